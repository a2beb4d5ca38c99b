// /v1/me: the caller's account (and, with the profile service, profile).
#include "common/status.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {

void AddMeRoutes(Gateway& gw) {
  gw.Route("GET", "/v1/me", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    auth::v1::GetUserRequest request;
    request.set_user_id(c.user_id());
    auth::v1::User user;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::GetUser, request, &user));
    return http::Response::Json(200, {{"user_id", user.user_id()},
                                      {"username", user.username()},
                                      {"email", user.email()},
                                      {"email_verified", user.email_verified()},
                                      {"profile", nlohmann::json::object()}});
  });
}

}  // namespace messenger::gateway
