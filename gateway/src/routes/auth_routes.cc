// /v1/auth/*: register, verify email, resend verification, login, refresh,
// logout. The public routes are limited per client address and per account
// (AuthLimits) and call the services asynchronously: a slow password hash
// holds no gateway worker.
#include "gateway/src/routes/auth_routes.h"

#include "common/status.h"
#include "common/text.h"
#include "gateway/src/json_body.h"

namespace messenger::gateway {
namespace {

using auth::v1::AuthService;
using session::v1::SessionService;

nlohmann::json TokensJson(const session::v1::SessionTokens& t) {
  return {{"access_token", t.access_token()}, {"refresh_token", t.refresh_token()},
          {"token_type", "Bearer"},           {"expires_in", t.expires_in()},
          {"session_id", t.session_id()},     {"user_id", t.user_id()}};
}

// Calls `method` of `Service` asynchronously; answers `done` with
// `ok(response)` or the error.
template <typename Service, typename Request, typename Response, typename Ok>
void Forward(Gateway& gw, typename Service::Stub& stub,
             void (Service::StubInterface::async_interface::*method)(
                 grpc::ClientContext*, const Request*, Response*,
                 std::function<void(grpc::Status)>),
             Request request, AsyncDone done, Ok ok) {
  gw.CallAsync<Request, Response>(
      [&stub, method](grpc::ClientContext* context, const Request* req, Response* resp,
                      std::function<void(grpc::Status)> on_done) {
        (stub.async()->*method)(context, req, resp, std::move(on_done));
      },
      std::move(request),
      [done = std::move(done), ok = std::move(ok)](absl::Status status, const Response& response) {
        if (!status.ok()) return done(status);
        done(ok(response));
      });
}

using AuthApi = AuthService::StubInterface::async_interface;
using SessionApi = SessionService::StubInterface::async_interface;

// The body of a public auth route, after the client's address took a token.
absl::StatusOr<JsonBody> LimitedBody(Gateway& gw, const RouteContext& c) {
  RETURN_IF_ERROR(gw.auth_limits().TakeForClient(c.request));
  return JsonBody::Parse(c.request.body);
}

absl::StatusOr<auth::v1::RegisterRequest> RegisterRequest(Gateway& gw, const RouteContext& c) {
  ASSIGN_OR_RETURN(JsonBody body, LimitedBody(gw, c));
  auth::v1::RegisterRequest request;
  ASSIGN_OR_RETURN(*request.mutable_username(), body.RequiredString("username"));
  ASSIGN_OR_RETURN(*request.mutable_email(), body.RequiredString("email"));
  ASSIGN_OR_RETURN(*request.mutable_password(), body.RequiredString("password"));
  RETURN_IF_ERROR(gw.auth_limits().TakeForAccount(
      "register", text::ToLowerAscii(text::Trim(request.username()))));
  return request;
}

absl::StatusOr<auth::v1::LoginRequest> LoginRequest(Gateway& gw, const RouteContext& c) {
  ASSIGN_OR_RETURN(JsonBody body, LimitedBody(gw, c));
  auth::v1::LoginRequest request;
  ASSIGN_OR_RETURN(*request.mutable_login(), body.RequiredString("login"));
  ASSIGN_OR_RETURN(*request.mutable_password(), body.RequiredString("password"));
  ASSIGN_OR_RETURN(std::optional<std::string> device, body.OptionalString("device_name"));
  request.set_device_name(device.value_or(""));
  RETURN_IF_ERROR(gw.auth_limits().TakeForAccount("login", text::ToLowerAscii(request.login())));
  return request;
}

absl::StatusOr<auth::v1::ResendVerificationRequest> ResendRequest(Gateway& gw,
                                                                  const RouteContext& c) {
  ASSIGN_OR_RETURN(JsonBody body, LimitedBody(gw, c));
  auth::v1::ResendVerificationRequest request;
  ASSIGN_OR_RETURN(*request.mutable_email(), body.RequiredString("email"));
  RETURN_IF_ERROR(
      gw.auth_limits().TakeForAccount("resend", text::ToLowerAscii(text::Trim(request.email()))));
  return request;
}

absl::StatusOr<session::v1::RefreshSessionRequest> RefreshRequest(Gateway& gw,
                                                                  const RouteContext& c) {
  ASSIGN_OR_RETURN(JsonBody body, LimitedBody(gw, c));
  session::v1::RefreshSessionRequest request;
  ASSIGN_OR_RETURN(*request.mutable_refresh_token(), body.RequiredString("refresh_token"));
  RETURN_IF_ERROR(gw.auth_limits().TakeForAccount("refresh", request.refresh_token()));
  return request;
}

}  // namespace

void VerifyEmailToken(Gateway& gw, const std::string& token, AsyncDone done,
                      std::function<http::Response()> ok) {
  if (absl::Status limited = gw.auth_limits().TakeForAccount("verify", token); !limited.ok()) {
    return done(limited);
  }
  auth::v1::VerifyEmailRequest request;
  request.set_token(token);
  Forward<AuthService>(gw, *gw.stubs().auth, &AuthApi::VerifyEmail, std::move(request),
                       std::move(done),
                       [ok = std::move(ok)](const auth::v1::VerifyEmailResponse&) { return ok(); });
}

void AddAuthRoutes(Gateway& gw) {
  AuthService::Stub* auth_stub = gw.stubs().auth.get();
  SessionService::Stub* session_stub = gw.stubs().session.get();

  gw.RouteAsync(
      "POST", "/v1/auth/register", false, [&gw, auth_stub](RouteContext& c, AsyncDone done) {
        auto request = RegisterRequest(gw, c);
        if (!request.ok()) return done(request.status());
        Forward<AuthService>(gw, *auth_stub, &AuthApi::Register, std::move(*request),
                             std::move(done), [](const auth::v1::RegisterResponse& response) {
                               const auth::v1::User& user = response.user();
                               return http::Response::Json(
                                   201, {{"user_id", user.user_id()},
                                         {"username", user.username()},
                                         {"email", user.email()},
                                         {"email_verified", user.email_verified()}});
                             });
      });

  gw.RouteAsync("POST", "/v1/auth/verify-email", false, [&gw](RouteContext& c, AsyncDone done) {
    absl::StatusOr<JsonBody> body = LimitedBody(gw, c);
    if (!body.ok()) return done(body.status());
    absl::StatusOr<std::string> token = body->RequiredString("token");
    if (!token.ok()) return done(token.status());
    VerifyEmailToken(gw, *token, std::move(done), [] {
      return http::Response::Json(200, {{"email_verified", true}});
    });
  });

  gw.RouteAsync("POST", "/v1/auth/resend-verification", false,
                [&gw, auth_stub](RouteContext& c, AsyncDone done) {
                  auto request = ResendRequest(gw, c);
                  if (!request.ok()) return done(request.status());
                  Forward<AuthService>(gw, *auth_stub, &AuthApi::ResendVerification,
                                       std::move(*request), std::move(done),
                                       [](const auth::v1::ResendVerificationResponse&) {
                                         return http::Response::Json(202, nlohmann::json::object());
                                       });
                });

  gw.RouteAsync("POST", "/v1/auth/login", false, [&gw, auth_stub](RouteContext& c, AsyncDone done) {
    auto request = LoginRequest(gw, c);
    if (!request.ok()) return done(request.status());
    Forward<AuthService>(gw, *auth_stub, &AuthApi::Login, std::move(*request), std::move(done),
                         [](const auth::v1::LoginResponse& response) {
                           return http::Response::Json(200, TokensJson(response.tokens()));
                         });
  });

  gw.RouteAsync(
      "POST", "/v1/auth/refresh", false, [&gw, session_stub](RouteContext& c, AsyncDone done) {
        auto request = RefreshRequest(gw, c);
        if (!request.ok()) return done(request.status());
        Forward<SessionService>(gw, *session_stub, &SessionApi::RefreshSession, std::move(*request),
                                std::move(done), [](const session::v1::SessionTokens& tokens) {
                                  return http::Response::Json(200, TokensJson(tokens));
                                });
      });

  gw.Route(
      "POST", "/v1/auth/logout", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
        session::v1::RevokeSessionRequest request;
        request.set_session_id(c.principal->session_id);
        request.set_user_id(c.user_id());
        request.set_reason(session::v1::REVOKE_REASON_LOGOUT);
        session::v1::RevokeSessionResponse response;
        RETURN_IF_ERROR(
            gw.Call(*gw.stubs().session, &SessionService::Stub::RevokeSession, request, &response));
        gw.bearer_auth().InvalidateSession(c.principal->session_id);
        return http::Response::Empty(204);
      });
}

}  // namespace messenger::gateway
