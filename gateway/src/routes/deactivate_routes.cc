// POST /v1/me/deactivate: the caller closes their account (always erased).
#include "common/status.h"
#include "gateway/src/json_body.h"
#include "gateway/src/routes/deactivate_account.h"

namespace messenger::gateway {

absl::Status DeactivateAccount(Gateway& gw, const std::string& user_id,
                               const std::string& password, bool erase) {
  auth::v1::DeactivateRequest request;
  request.set_user_id(user_id);
  request.set_password(password);
  request.set_erase(erase);
  auth::v1::DeactivateResponse response;
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::Deactivate, request, &response));
  session::v1::RevokeUserSessionsRequest revoke;
  revoke.set_user_id(user_id);
  revoke.set_reason(session::v1::REVOKE_REASON_DEACTIVATED);
  session::v1::RevokeUserSessionsResponse revoked;
  RETURN_IF_ERROR(gw.Call(*gw.stubs().session,
                          &session::v1::SessionService::Stub::RevokeUserSessions, revoke,
                          &revoked));
  for (const std::string& id : revoked.session_ids()) gw.bearer_auth().InvalidateSession(id);
  return absl::OkStatus();
}

void AddDeactivateRoutes(Gateway& gw) {
  gw.Route("POST", "/v1/me/deactivate", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
             ASSIGN_OR_RETURN(std::string password, body.RequiredString("password"));
             // The /v1 API always erases the profile (GDPR erasure).
             RETURN_IF_ERROR(DeactivateAccount(gw, c.user_id(), password, true));
             // The caller's own session is among the revoked ones.
             gw.bearer_auth().InvalidateSession(c.principal->session_id);
             return http::Response::Json(200, {{"deactivated", true}});
           });
}

}  // namespace messenger::gateway
