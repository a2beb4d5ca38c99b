// Discovery: /.well-known/matrix/client, /_matrix/client/versions and
// /_matrix/client/v3/capabilities.
#include "gateway/src/matrix/client_api.h"

namespace messenger::gateway::matrix {
namespace {

// Spec versions whose core (non-module) endpoints are served: v1.1 (v3
// paths), v1.2 (registration tokens) and v1.3 (refresh tokens). Not v1.4+:
// it adds thread receipts and /threads, not served. Optional modules not
// served (media, presence, ...) do not change a version; the served
// endpoints are listed in docs/matrix-client-api.md.
const std::vector<std::string>& ServedVersions() {
  static const auto* versions = new std::vector<std::string>{"v1.1", "v1.2", "v1.3"};
  return *versions;
}

// The room version rooms are made with (messaging-service/src/domain/matrix).
constexpr char kRoomVersion[] = "10";

}  // namespace

void AddDiscoveryRoutes(ClientApi& api) {
  const std::string base_url = api.config().base_url;
  api.RouteExact("GET", "/.well-known/matrix/client", Access::kPublic,
                 [base_url](ClientRequest&) -> absl::StatusOr<http::Response> {
                   http::Response r =
                       http::Response::Json(200, {{"m.homeserver", {{"base_url", base_url}}}});
                   // Clients on any origin read it (spec: CORS on .well-known).
                   r.SetHeader("Access-Control-Allow-Origin", "*");
                   return r;
                 });

  api.RouteExact("GET", "/_matrix/client/versions", Access::kPublic,
                 [](ClientRequest&) -> absl::StatusOr<http::Response> {
                   return http::Response::Json(200, {{"versions", ServedVersions()},
                                                     {"unstable_features", nlohmann::json::object()}});
                 });

  api.Route("GET", "/capabilities", Access::kUser, Versions::kV3AndR0,
            [](ClientRequest&) -> absl::StatusOr<http::Response> {
              nlohmann::json capabilities = {
                  {"m.change_password", {{"enabled", true}}},
                  {"m.room_versions",
                   {{"default", kRoomVersion}, {"available", {{kRoomVersion, "stable"}}}}},
                  {"m.set_displayname", {{"enabled", true}}},
                  {"m.set_avatar_url", {{"enabled", true}}},
                  {"m.3pid_changes", {{"enabled", false}}},
                  {"m.get_login_token", {{"enabled", false}}}};
              return http::Response::Json(200, {{"capabilities", capabilities}});
            });
}

}  // namespace messenger::gateway::matrix
