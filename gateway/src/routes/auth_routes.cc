// /v1/auth/*: register, verify email, resend verification, login, refresh, logout.
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/json_body.h"

namespace messenger::gateway {
namespace {

nlohmann::json TokensJson(const session::v1::SessionTokens& t) {
  return {{"access_token", t.access_token()},   {"refresh_token", t.refresh_token()},
          {"token_type", "Bearer"},             {"expires_in", t.expires_in()},
          {"session_id", t.session_id()},       {"user_id", t.user_id()}};
}

}  // namespace

void AddAuthRoutes(Gateway& gw) {
  gw.Route("POST", "/v1/auth/register", false, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
    auth::v1::RegisterRequest request;
    ASSIGN_OR_RETURN(*request.mutable_username(), body.RequiredString("username"));
    ASSIGN_OR_RETURN(*request.mutable_email(), body.RequiredString("email"));
    ASSIGN_OR_RETURN(*request.mutable_password(), body.RequiredString("password"));
    auth::v1::RegisterResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::Register, request, &response));
    const auth::v1::User& user = response.user();
    return http::Response::Json(201, {{"user_id", user.user_id()},
                                      {"username", user.username()},
                                      {"email", user.email()},
                                      {"email_verified", user.email_verified()}});
  });

  gw.Route("POST", "/v1/auth/verify-email", false, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
    auth::v1::VerifyEmailRequest request;
    ASSIGN_OR_RETURN(*request.mutable_token(), body.RequiredString("token"));
    auth::v1::VerifyEmailResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::VerifyEmail, request, &response));
    return http::Response::Json(200, {{"email_verified", true}});
  });

  gw.Route("POST", "/v1/auth/resend-verification", false,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
             auth::v1::ResendVerificationRequest request;
             ASSIGN_OR_RETURN(*request.mutable_email(), body.RequiredString("email"));
             auth::v1::ResendVerificationResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().auth,
                                     &auth::v1::AuthService::Stub::ResendVerification, request,
                                     &response));
             return http::Response::Json(202, nlohmann::json::object());
           });

  gw.Route("POST", "/v1/auth/login", false, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
    auth::v1::LoginRequest request;
    ASSIGN_OR_RETURN(*request.mutable_login(), body.RequiredString("login"));
    ASSIGN_OR_RETURN(*request.mutable_password(), body.RequiredString("password"));
    ASSIGN_OR_RETURN(std::optional<std::string> device, body.OptionalString("device_name"));
    request.set_device_name(device.value_or(""));
    auth::v1::LoginResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::Login, request, &response));
    return http::Response::Json(200, TokensJson(response.tokens()));
  });

  gw.Route("POST", "/v1/auth/refresh", false, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
    session::v1::RefreshSessionRequest request;
    ASSIGN_OR_RETURN(*request.mutable_refresh_token(), body.RequiredString("refresh_token"));
    session::v1::SessionTokens response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().session, &session::v1::SessionService::Stub::RefreshSession,
                            request, &response));
    return http::Response::Json(200, TokensJson(response));
  });

  gw.Route("POST", "/v1/auth/logout", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    session::v1::RevokeSessionRequest request;
    request.set_session_id(c.principal->session_id);
    request.set_user_id(c.user_id());
    request.set_reason(session::v1::REVOKE_REASON_LOGOUT);
    session::v1::RevokeSessionResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().session, &session::v1::SessionService::Stub::RevokeSession,
                            request, &response));
    gw.bearer_auth().InvalidateSession(c.principal->session_id);
    return http::Response::Empty(204);
  });
}

}  // namespace messenger::gateway
