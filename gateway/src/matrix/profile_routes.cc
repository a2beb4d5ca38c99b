// Profiles: GET /profile/{userId} and its displayname and avatar_url, backed
// by profile-service (a PUT goes through its update, which publishes
// profile.updated). Updating the user's m.room.member events is not done yet.
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

using profile::v1::ProfileService;

absl::StatusOr<profile::v1::Profile> ProfileOf(ClientApi& api, const std::string& user_id) {
  ASSIGN_OR_RETURN(auth::v1::User account, api.AccountOf(user_id));
  Gateway& gw = api.gateway();
  profile::v1::GetProfileRequest request;
  request.set_user_id(account.user_id());
  profile::v1::Profile profile;
  absl::Status status =
      gw.Call(*gw.stubs().profile, &ProfileService::Stub::GetProfile, request, &profile);
  if (status.code() == absl::StatusCode::kNotFound) return MatrixError(kNotFound, "no profile");
  RETURN_IF_ERROR(status);
  return profile;
}

// Matrix leaves unset fields out.
void SetIfAny(nlohmann::json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

// One field of the profile: "displayname" or "avatar_url".
enum class Field { kDisplayName, kAvatarUrl };

const char* KeyOf(Field field) {
  return field == Field::kDisplayName ? "displayname" : "avatar_url";
}

const std::string& ValueOf(const profile::v1::Profile& p, Field field) {
  return field == Field::kDisplayName ? p.display_name() : p.avatar_url();
}

absl::StatusOr<http::Response> GetField(ClientApi& api, ClientRequest& c, Field field) {
  ASSIGN_OR_RETURN(profile::v1::Profile p, ProfileOf(api, c.params["user_id"]));
  nlohmann::json out = nlohmann::json::object();
  SetIfAny(out, KeyOf(field), ValueOf(p, field));
  return http::Response::Json(200, out);
}

absl::StatusOr<http::Response> PutField(ClientApi& api, ClientRequest& c, Field field) {
  if (c.params["user_id"] != c.me().user_id) {
    return MatrixError(kForbidden, "you can only change your own profile");
  }
  // DELETE has no body and clears the field, as a missing value does.
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::optional<std::string> value, body.OptionalString(KeyOf(field)));
  profile::v1::UpdateProfileRequest request;
  request.set_user_id(c.me().session.user_id);
  // A missing or null value clears the field.
  if (field == Field::kDisplayName) {
    request.set_display_name(value.value_or(""));
  } else {
    request.set_avatar_url(value.value_or(""));
  }
  profile::v1::Profile profile;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().profile, &ProfileService::Stub::UpdateProfile, request, &profile));
  return http::Response::Json(200, nlohmann::json::object());
}

}  // namespace

void AddProfileRoutes(ClientApi& api) {
  // Reads need no token (the spec's "requires authentication: no").
  api.Route("GET", "/profile/{user_id}", Access::kPublic, Versions::kV3AndR0,
            [&api](ClientRequest& c) -> absl::StatusOr<http::Response> {
              ASSIGN_OR_RETURN(profile::v1::Profile p, ProfileOf(api, c.params["user_id"]));
              nlohmann::json out = nlohmann::json::object();
              SetIfAny(out, "displayname", p.display_name());
              SetIfAny(out, "avatar_url", p.avatar_url());
              return http::Response::Json(200, out);
            });
  for (Field field : {Field::kDisplayName, Field::kAvatarUrl}) {
    const std::string path = std::string("/profile/{user_id}/") + KeyOf(field);
    api.Route("GET", path, Access::kPublic, Versions::kV3AndR0,
              [&api, field](ClientRequest& c) { return GetField(api, c, field); });
    api.Route("PUT", path, Access::kUser, Versions::kV3AndR0,
              [&api, field](ClientRequest& c) { return PutField(api, c, field); });
    api.Route("DELETE", path, Access::kUser, Versions::kV3,
              [&api, field](ClientRequest& c) { return PutField(api, c, field); });
  }
}

}  // namespace messenger::gateway::matrix
