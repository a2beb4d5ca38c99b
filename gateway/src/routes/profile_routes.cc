// /v1/users/{user_id}/profile (cacheable, ETag), /v1/me/profile, /v1/users/search.
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto.h"
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/json_body.h"

namespace messenger::gateway {
namespace {

// A username prefix (usernames are at most 32 characters); room for slack.
constexpr size_t kMaxSearchQueryBytes = 256;

// True when an If-None-Match header names `etag` (or is "*").
bool MatchesEtag(std::string_view header, const std::string& etag) {
  for (absl::string_view candidate : absl::StrSplit(absl::string_view(header.data(), header.size()), ',')) {
    candidate = absl::StripAsciiWhitespace(candidate);
    if (candidate == "*" || candidate == etag) return true;
  }
  return false;
}

}  // namespace

nlohmann::json ProfileJson(const profile::v1::Profile& p) {
  return {{"user_id", p.user_id()},       {"username", p.username()},
          {"display_name", p.display_name()}, {"avatar_url", p.avatar_url()},
          {"bio", p.bio()},               {"updated_at", Rfc3339(p.updated_at())}};
}

absl::StatusOr<std::map<std::string, profile::v1::Profile>> ProfilesById(
    Gateway& gw, const std::vector<std::string>& user_ids) {
  std::map<std::string, profile::v1::Profile> out;
  if (user_ids.empty()) return out;
  profile::v1::GetProfilesRequest request;
  for (const auto& id : user_ids) request.add_user_ids(id);
  profile::v1::GetProfilesResponse response;
  RETURN_IF_ERROR(gw.Call(*gw.stubs().profile, &profile::v1::ProfileService::Stub::GetProfiles,
                          request, &response));
  for (auto& p : *response.mutable_profiles()) out[p.user_id()] = std::move(p);
  return out;
}

void AddProfileRoutes(Gateway& gw) {
  gw.Route("GET", "/v1/users/{user_id:uuid}/profile", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             profile::v1::GetProfileRequest request;
             request.set_user_id(c.params["user_id"]);
             profile::v1::Profile profile;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().profile,
                                     &profile::v1::ProfileService::Stub::GetProfile, request,
                                     &profile));
             http::Response r = http::Response::Json(200, ProfileJson(profile));
             // Strong validator: a digest of the exact representation.
             const std::string etag = "\"" + HexEncode(Sha256(r.body)).substr(0, 32) + "\"";
             if (MatchesEtag(c.request.Header("if-none-match"), etag)) {
               r = http::Response::Empty(304);
             }
             r.SetHeader("ETag", etag);
             r.SetHeader("Cache-Control", "private, max-age=60");
             return r;
           });

  gw.Route("PATCH", "/v1/me/profile", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
    profile::v1::UpdateProfileRequest request;
    request.set_user_id(c.user_id());
    ASSIGN_OR_RETURN(std::optional<std::string> display_name, body.OptionalString("display_name"));
    ASSIGN_OR_RETURN(std::optional<std::string> avatar_url, body.OptionalString("avatar_url"));
    ASSIGN_OR_RETURN(std::optional<std::string> bio, body.OptionalString("bio"));
    if (!display_name && !avatar_url && !bio) {
      return absl::InvalidArgumentError("give at least one of display_name, avatar_url, bio");
    }
    if (display_name) request.set_display_name(*display_name);
    if (avatar_url) request.set_avatar_url(*avatar_url);
    if (bio) request.set_bio(*bio);
    profile::v1::Profile profile;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().profile, &profile::v1::ProfileService::Stub::UpdateProfile,
                            request, &profile));
    return http::Response::Json(200, ProfileJson(profile));
  });

  gw.Route("GET", "/v1/users/search", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    profile::v1::SearchUsersRequest request;
    ASSIGN_OR_RETURN(*request.mutable_query(), c.query.Text("q", kMaxSearchQueryBytes));
    // 0: the service's default.
    ASSIGN_OR_RETURN(int64_t limit, c.query.Int("limit", 1, 50, 0));
    request.set_limit(static_cast<int32_t>(limit));
    profile::v1::SearchUsersResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().profile, &profile::v1::ProfileService::Stub::SearchUsers,
                            request, &response));
    nlohmann::json users = nlohmann::json::array();
    for (const auto& p : response.users()) {
      users.push_back({{"user_id", p.user_id()},
                       {"username", p.username()},
                       {"display_name", p.display_name()}});
    }
    return http::Response::Json(200, {{"users", users}});
  });
}

}  // namespace messenger::gateway
