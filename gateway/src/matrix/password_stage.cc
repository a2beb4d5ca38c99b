// The m.login.password stage of user-interactive auth: the caller proves
// their password again (password change, device deletion, deactivation).
#include "absl/strings/ascii.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/uia.h"
#include "gateway/src/matrix/user_ids.h"

namespace messenger::gateway::matrix {
namespace {

// The user the auth object names (identifier.user or the legacy user), if any.
absl::StatusOr<std::optional<std::string>> NamedUser(const MatrixBody& auth) {
  ASSIGN_OR_RETURN(std::optional<MatrixBody> identifier, auth.OptionalObject("identifier"));
  if (identifier.has_value()) return identifier->OptionalString("user");
  return auth.OptionalString("user");
}

}  // namespace

absl::StatusOr<std::optional<http::Response>> PasswordStage(ClientApi& api,
                                                            const ClientUser& me,
                                                            const MatrixBody& body,
                                                            const PasswordCheck& check) {
  const std::vector<std::string> stages = {kPasswordStage};
  ASSIGN_OR_RETURN(std::optional<UiaAuth> auth, ReadUiaAuth(body));
  if (!auth.has_value()) return UiaChallenge(stages, "");
  if (auth->type != kPasswordStage) {
    return UiaChallenge(stages, auth->session,
                        MatrixError(kForbidden, "only m.login.password is accepted here"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> named, NamedUser(auth->body));
  if (named.has_value()) {
    absl::StatusOr<std::string> username = LoginUsername(*named, api.config().server_name);
    if (!username.ok() || api.UserIdOf(*username) != me.user_id) {
      return UiaChallenge(stages, auth->session,
                          MatrixError(kForbidden, "the password must be your own"));
    }
  }
  ASSIGN_OR_RETURN(std::string password, auth->body.RequiredString("password"));
  const absl::Status checked = check(password);
  if (checked.code() == absl::StatusCode::kPermissionDenied) {
    return UiaChallenge(stages, auth->session, MatrixError(kForbidden, "wrong password"));
  }
  if (checked.code() == absl::StatusCode::kInvalidArgument) {
    return MatrixError(kWeakPassword, std::string(checked.message()));
  }
  RETURN_IF_ERROR(checked);
  return std::nullopt;
}

absl::StatusOr<std::optional<http::Response>> PasswordStage(
    ClientApi& api, const ClientUser& me, const MatrixBody& body,
    const std::optional<std::string>& new_password) {
  Gateway& gw = api.gateway();
  return PasswordStage(api, me, body, [&](const std::string& password) -> absl::Status {
    if (new_password.has_value()) {
      auth::v1::ChangePasswordRequest request;
      request.set_user_id(me.session.user_id);
      request.set_old_password(password);
      request.set_new_password(*new_password);
      auth::v1::ChangePasswordResponse response;
      return gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::ChangePassword, request,
                     &response);
    }
    auth::v1::CheckPasswordRequest request;
    request.set_user_id(me.session.user_id);
    request.set_password(password);
    auth::v1::CheckPasswordResponse response;
    return gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::CheckPassword, request,
                   &response);
  });
}

}  // namespace messenger::gateway::matrix
