// Registration: POST /register with user-interactive auth (m.login.dummy when
// open, m.login.registration_token when a token is required), GET
// /register/available, GET /v1/register/m.login.registration_token/validity.
// Accounts made here have no email.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/crypto.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/session_json.h"
#include "gateway/src/matrix/uia.h"

namespace messenger::gateway::matrix {
namespace {

using auth::v1::AuthService;

// The auth service says which field is wrong in its message.
absl::Status RegisterError(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return MatrixError(kUserInUse, "this user id is taken");
  }
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    const std::string message(status.message());
    if (absl::StartsWith(message, "username")) return MatrixError(kInvalidUsername, message);
    if (absl::StartsWith(message, "password")) return MatrixError(kWeakPassword, message);
  }
  return status;
}

// The stage this server's registration asks for, or M_FORBIDDEN.
absl::StatusOr<std::string> RegistrationStage(const ClientConfig& config) {
  switch (config.registration) {
    case Registration::kOpen: return std::string(kDummyStage);
    case Registration::kToken: return std::string(kRegistrationTokenStage);
    case Registration::kDisabled: break;
  }
  return MatrixError(kForbidden, "registration is disabled on this server");
}

// nullopt when `auth` completes `stage`, else the 401 to answer.
std::optional<http::Response> CheckStage(const ClientConfig& config, const std::string& stage,
                                         const std::optional<UiaAuth>& auth) {
  if (!auth.has_value()) return UiaChallenge({stage}, "");
  if (auth->type != stage) {
    return UiaChallenge({stage}, auth->session,
                        MatrixError(kForbidden, "this server asks for " + stage));
  }
  if (stage == kRegistrationTokenStage) {
    absl::StatusOr<std::string> token = auth->body.RequiredString("token");
    // Digests compared: the time taken says nothing of the configured token.
    if (!token.ok() || Sha256(*token) != Sha256(config.registration_token)) {
      return UiaChallenge({stage}, auth->session,
                          MatrixError(kForbidden, "invalid registration token"));
    }
  }
  return std::nullopt;
}

absl::StatusOr<http::Response> Register(ClientApi& api, ClientRequest& c) {
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.auth_limits().TakeForClient(c.http));
  const std::optional<std::string_view> kind = c.query.Get("kind");
  if (kind.has_value() && *kind != "user") {
    return MatrixError(kForbidden, "guest access is not offered");
  }
  ASSIGN_OR_RETURN(std::string stage, RegistrationStage(api.config()));
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  // Fields are checked before the stage, so a client learns of a bad body first.
  ASSIGN_OR_RETURN(std::optional<std::string> username, body.OptionalString("username"));
  ASSIGN_OR_RETURN(std::optional<std::string> password, body.OptionalString("password"));
  ASSIGN_OR_RETURN(std::optional<std::string> device_id, body.OptionalString("device_id"));
  ASSIGN_OR_RETURN(std::optional<std::string> device_name,
                   body.OptionalString("initial_device_display_name"));
  ASSIGN_OR_RETURN(bool inhibit_login, body.OptionalBool("inhibit_login", false));
  ASSIGN_OR_RETURN(bool wants_refresh, body.OptionalBool("refresh_token", false));
  ASSIGN_OR_RETURN(std::optional<UiaAuth> auth, ReadUiaAuth(body));
  if (std::optional<http::Response> challenge = CheckStage(api.config(), stage, auth)) {
    return std::move(*challenge);
  }
  if (!password.has_value()) {
    return MatrixError(kMissingParam, "'password' is required (no other login is offered)");
  }
  if (!username.has_value()) {
    // The spec lets the server choose: "u" + 12 random lowercase letters.
    std::string chosen = "u";
    unsigned char bytes[12];
    SecureRng::Instance().Fill(bytes, sizeof bytes);
    for (unsigned char b : bytes) chosen += static_cast<char>('a' + b % 26);
    username = std::move(chosen);
  }
  RETURN_IF_ERROR(gw.auth_limits().TakeForAccount("register", absl::AsciiStrToLower(*username)));

  auth::v1::RegisterRequest request;
  request.set_username(*username);
  request.set_password(*password);
  request.set_without_email(true);
  request.set_create_session(!inhibit_login);
  request.set_device_name(device_name.value_or(""));
  request.set_device_id(device_id.value_or(""));
  auth::v1::RegisterResponse response;
  absl::Status status = gw.Call(*gw.stubs().auth, &AuthService::Stub::Register, request, &response);
  if (!status.ok()) return RegisterError(status);
  if (inhibit_login) {
    return http::Response::Json(200, {{"user_id", api.UserIdOf(response.user().username())}});
  }
  return http::Response::Json(
      200, LoginJson(api, response.user().username(), response.tokens(), wants_refresh));
}

absl::StatusOr<http::Response> Available(ClientApi& api, ClientRequest& c) {
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.auth_limits().TakeForClient(c.http));
  std::optional<std::string_view> username = c.query.Get("username");
  if (!username.has_value() || username->empty()) {
    return MatrixError(kMissingParam, "'username' is required");
  }
  auth::v1::UsernameAvailableRequest request;
  request.set_username(std::string(*username));
  auth::v1::UsernameAvailableResponse response;
  absl::Status status =
      gw.Call(*gw.stubs().auth, &AuthService::Stub::UsernameAvailable, request, &response);
  if (!status.ok()) return RegisterError(status);
  if (!response.available()) return MatrixError(kUserInUse, "this user id is taken");
  return http::Response::Json(200, {{"available", true}});
}

// Spec v1.2: whether a registration token would be accepted; rate limited
// like registration so it is no cheaper way to guess the token.
absl::StatusOr<http::Response> TokenValidity(ClientApi& api, ClientRequest& c) {
  RETURN_IF_ERROR(api.gateway().auth_limits().TakeForClient(c.http));
  if (api.config().registration != Registration::kToken) {
    return MatrixError(kForbidden, "registration on this server takes no token");
  }
  std::optional<std::string_view> token = c.query.Get("token");
  if (!token.has_value()) return MatrixError(kMissingParam, "'token' is required");
  const bool valid = Sha256(std::string(*token)) == Sha256(api.config().registration_token);
  return http::Response::Json(200, {{"valid", valid}});
}

}  // namespace

void AddRegisterRoutes(ClientApi& api) {
  api.Route("POST", "/register", Access::kPublic, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return Register(api, c); });
  api.Route("GET", "/register/available", Access::kPublic, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return Available(api, c); });
  api.RouteExact("GET", "/_matrix/client/v1/register/m.login.registration_token/validity",
                 Access::kPublic, [&api](ClientRequest& c) { return TokenValidity(api, c); });
}

}  // namespace messenger::gateway::matrix
