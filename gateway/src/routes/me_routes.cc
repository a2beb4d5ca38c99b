// /v1/me: the caller's account with its profile.
#include "common/status.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {

void AddMeRoutes(Gateway& gw) {
  gw.Route("GET", "/v1/me", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    auth::v1::GetUserRequest request;
    request.set_user_id(c.user_id());
    auth::v1::User user;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().auth, &auth::v1::AuthService::Stub::GetUser, request, &user));
    profile::v1::GetProfileRequest profile_request;
    profile_request.set_user_id(c.user_id());
    profile::v1::Profile profile;
    absl::Status found = gw.Call(*gw.stubs().profile, &profile::v1::ProfileService::Stub::GetProfile,
                                 profile_request, &profile);
    // A profile appears moments after registration (user.created): null until then.
    if (!found.ok() && found.code() != absl::StatusCode::kNotFound) return found;
    return http::Response::Json(200, {{"user_id", user.user_id()},
                                      {"username", user.username()},
                                      {"email", user.email()},
                                      {"email_verified", user.email_verified()},
                                      {"profile", found.ok() ? ProfileJson(profile) : nullptr}});
  });
}

}  // namespace messenger::gateway
