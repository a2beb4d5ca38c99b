// POST /_matrix/client/v3/account/deactivate: user-interactive auth with the
// caller's password, then the account is closed as /v1/me/deactivate does.
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/routes/deactivate_account.h"

namespace messenger::gateway::matrix {
namespace {

absl::StatusOr<http::Response> Deactivate(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(bool erase, body.OptionalBool("erase", false));
  ASSIGN_OR_RETURN(std::optional<std::string> id_server, body.OptionalString("id_server"));
  (void)id_server;  // no identity server is ever bound here
  const std::string& user_id = c.me().session.user_id;
  ASSIGN_OR_RETURN(std::optional<http::Response> challenge,
                   PasswordStage(api, c.me(), body, [&](const std::string& password) {
                     return DeactivateAccount(api.gateway(), user_id, password, erase);
                   }));
  if (challenge.has_value()) return std::move(*challenge);
  api.gateway().bearer_auth().InvalidateSession(c.me().session.session_id);
  return http::Response::Json(200, {{"id_server_unbind_result", "no-support"}});
}

}  // namespace

void AddDeactivateRoutes(ClientApi& api) {
  api.Route("POST", "/account/deactivate", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return Deactivate(api, c); });
}

}  // namespace messenger::gateway::matrix
