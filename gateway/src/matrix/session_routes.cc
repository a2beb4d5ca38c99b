// Sessions: login, refresh, logout (one or all), whoami, password change. A
// Matrix login is a session of session-service; its device id is the
// session's.
#include "absl/strings/ascii.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/session_json.h"
#include "gateway/src/matrix/user_ids.h"

namespace messenger::gateway::matrix {
namespace {

using auth::v1::AuthService;
using session::v1::SessionService;

constexpr char kPasswordLogin[] = "m.login.password";

// What the auth service's Login takes: a username or an email address, from
// an m.id.user or m.id.thirdparty (email) identifier or the legacy fields.
absl::StatusOr<std::string> LoginName(const ClientApi& api, const MatrixBody& body) {
  ASSIGN_OR_RETURN(std::optional<MatrixBody> identifier, body.OptionalObject("identifier"));
  if (!identifier.has_value()) {
    ASSIGN_OR_RETURN(std::optional<std::string> user, body.OptionalString("user"));
    if (user.has_value()) return LoginUsername(*user, api.config().server_name);
    ASSIGN_OR_RETURN(std::optional<std::string> medium, body.OptionalString("medium"));
    if (medium.has_value()) identifier = body;  // legacy {medium, address}
  }
  if (!identifier.has_value()) return MatrixError(kMissingParam, "'identifier' is required");
  std::string type = "m.id.thirdparty";
  if (identifier->json().contains("type")) {
    ASSIGN_OR_RETURN(type, identifier->RequiredString("type"));
  }
  if (type == "m.id.user") {
    ASSIGN_OR_RETURN(std::string user, identifier->RequiredString("user"));
    return LoginUsername(user, api.config().server_name);
  }
  if (type == "m.id.thirdparty") {
    ASSIGN_OR_RETURN(std::string medium, identifier->RequiredString("medium"));
    ASSIGN_OR_RETURN(std::string address, identifier->RequiredString("address"));
    if (medium != "email") return MatrixError(kUnknown, "only email addresses log in here");
    if (address.find('@') == std::string::npos) {
      return MatrixError(kInvalidParam, "address is not an email address");
    }
    return address;
  }
  return MatrixError(kUnknown, "unsupported identifier type");
}

absl::StatusOr<http::Response> Login(ClientApi& api, ClientRequest& c) {
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.auth_limits().TakeForClient(c.http));
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::string type, body.RequiredString("type"));
  if (type != kPasswordLogin) return MatrixError(kUnknown, "unsupported login type");
  ASSIGN_OR_RETURN(std::string login, LoginName(api, body));
  ASSIGN_OR_RETURN(std::string password, body.RequiredString("password"));
  ASSIGN_OR_RETURN(std::optional<std::string> device_id, body.OptionalString("device_id"));
  ASSIGN_OR_RETURN(std::optional<std::string> device_name,
                   body.OptionalString("initial_device_display_name"));
  ASSIGN_OR_RETURN(bool wants_refresh, body.OptionalBool("refresh_token", false));
  RETURN_IF_ERROR(gw.auth_limits().TakeForAccount("login", absl::AsciiStrToLower(login)));

  auth::v1::LoginRequest request;
  request.set_login(login);
  request.set_password(password);
  request.set_device_name(device_name.value_or(""));
  request.set_device_id(device_id.value_or(""));
  auth::v1::LoginResponse response;
  absl::Status status = gw.Call(*gw.stubs().auth, &AuthService::Stub::Login, request, &response);
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    return MatrixError(kForbidden, "invalid login or password");
  }
  RETURN_IF_ERROR(status);
  const session::v1::SessionTokens& tokens = response.tokens();
  ASSIGN_OR_RETURN(std::string username, api.UsernameOf(tokens.user_id()));
  nlohmann::json out = LoginJson(api, username, tokens, wants_refresh);
  out["well_known"] = {{"m.homeserver", {{"base_url", api.config().base_url}}}};
  return http::Response::Json(200, out);
}

absl::StatusOr<http::Response> Refresh(ClientApi& api, ClientRequest& c) {
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.auth_limits().TakeForClient(c.http));
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::string refresh_token, body.RequiredString("refresh_token"));
  RETURN_IF_ERROR(gw.auth_limits().TakeForAccount("refresh", refresh_token));
  session::v1::RefreshSessionRequest request;
  request.set_refresh_token(refresh_token);
  session::v1::SessionTokens tokens;
  absl::Status status =
      gw.Call(*gw.stubs().session, &SessionService::Stub::RefreshSession, request, &tokens);
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    return MatrixError(kUnknownToken, "unknown, used or expired refresh token");
  }
  RETURN_IF_ERROR(status);
  return http::Response::Json(200, {{"access_token", tokens.access_token()},
                                    {"refresh_token", tokens.refresh_token()},
                                    {"expires_in_ms", tokens.expires_in() * 1000}});
}

// Revokes sessions of the caller: its own, or all.
absl::StatusOr<http::Response> Logout(ClientApi& api, ClientRequest& c, bool all) {
  Gateway& gw = api.gateway();
  const Principal& me = c.me().session;
  if (all) {
    session::v1::RevokeUserSessionsRequest request;
    request.set_user_id(me.user_id);
    request.set_reason(session::v1::REVOKE_REASON_LOGOUT);
    session::v1::RevokeUserSessionsResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().session, &SessionService::Stub::RevokeUserSessions,
                            request, &response));
    for (const std::string& id : response.session_ids()) gw.bearer_auth().InvalidateSession(id);
  } else {
    session::v1::RevokeSessionRequest request;
    request.set_session_id(me.session_id);
    request.set_user_id(me.user_id);
    request.set_reason(session::v1::REVOKE_REASON_LOGOUT);
    session::v1::RevokeSessionResponse response;
    RETURN_IF_ERROR(
        gw.Call(*gw.stubs().session, &SessionService::Stub::RevokeSession, request, &response));
  }
  gw.bearer_auth().InvalidateSession(me.session_id);
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<http::Response> ChangePassword(ClientApi& api, ClientRequest& c) {
  Gateway& gw = api.gateway();
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::string new_password, body.RequiredString("new_password"));
  ASSIGN_OR_RETURN(bool logout_devices, body.OptionalBool("logout_devices", true));
  ASSIGN_OR_RETURN(std::optional<http::Response> challenge,
                   PasswordStage(api, c.me(), body, new_password));
  if (challenge.has_value()) return std::move(*challenge);
  if (logout_devices) {
    session::v1::RevokeUserSessionsRequest request;
    request.set_user_id(c.me().session.user_id);
    request.set_except_session_id(c.me().session.session_id);
    request.set_reason(session::v1::REVOKE_REASON_REVOKED);
    session::v1::RevokeUserSessionsResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().session, &SessionService::Stub::RevokeUserSessions,
                            request, &response));
    for (const std::string& id : response.session_ids()) gw.bearer_auth().InvalidateSession(id);
  }
  return http::Response::Json(200, nlohmann::json::object());
}

}  // namespace

void AddSessionRoutes(ClientApi& api) {
  api.Route("GET", "/login", Access::kPublic, Versions::kV3AndR0,
            [](ClientRequest&) -> absl::StatusOr<http::Response> {
              return http::Response::Json(200, {{"flows", {{{"type", kPasswordLogin}}}}});
            });
  api.Route("POST", "/login", Access::kPublic, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return Login(api, c); });
  api.Route("POST", "/refresh", Access::kPublic, Versions::kV3,
            [&api](ClientRequest& c) { return Refresh(api, c); });
  api.Route("POST", "/logout", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return Logout(api, c, false); });
  api.Route("POST", "/logout/all", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return Logout(api, c, true); });
  api.Route("GET", "/account/whoami", Access::kUser, Versions::kV3AndR0,
            [](ClientRequest& c) -> absl::StatusOr<http::Response> {
              return http::Response::Json(200, {{"user_id", c.me().user_id},
                                                {"device_id", c.me().session.device_id},
                                                {"is_guest", false}});
            });
  api.Route("POST", "/account/password", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) { return ChangePassword(api, c); });
}

}  // namespace messenger::gateway::matrix
