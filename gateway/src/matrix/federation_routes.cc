// /_matrix/federation/v1/* and /.well-known/matrix/server. Requests are
// authenticated by messaging's FederationService (the gateway passes the
// method, target, Authorization headers and body, and checks nothing).
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/matrix/federation_errors.h"

namespace messenger::gateway {
namespace {

constexpr char kServerSoftware[] = "messenger";
constexpr char kServerVersion[] = "0.1.0";

}  // namespace

void AddFederationRoutes(Gateway& gw) {
  gw.Route("GET", "/.well-known/matrix/server", false,
           FederationRoute([&gw](RouteContext&) -> absl::StatusOr<http::Response> {
             const std::string& address = gw.config().federation_public_address;
             if (address.empty()) return absl::NotFoundError("no delegation configured");
             return http::Response::Json(200, {{"m.server", address}});
           }));
  gw.Route("GET", "/_matrix/federation/v1/version", false,
           FederationRoute([](RouteContext&) -> absl::StatusOr<http::Response> {
             return http::Response::Json(
                 200, {{"server", {{"name", kServerSoftware}, {"version", kServerVersion}}}});
           }));
  gw.Route(
      "GET", "/_matrix/federation/v1/query/profile", false,
      FederationRoute([&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
        federation::v1::QueryLocalUserRequest request;
        FillInbound(c.request, request.mutable_request());
        ASSIGN_OR_RETURN(std::string field, c.query.Text("field", 32));
        ASSIGN_OR_RETURN(std::string user_id, c.query.Text("user_id", 255));
        request.set_user_id(user_id);
        federation::v1::QueryLocalUserResponse user;
        RETURN_IF_ERROR(gw.Call(*gw.stubs().federation,
                                &federation::v1::FederationService::Stub::QueryLocalUser, request,
                                &user));
        // Checked after the signature: an unsigned request learns nothing.
        if (!field.empty() && field != "displayname" && field != "avatar_url") {
          return absl::InvalidArgumentError("field must be displayname or avatar_url");
        }
        profile::v1::GetProfileRequest get;
        get.set_user_id(user.local_user_id());
        profile::v1::Profile profile;
        RETURN_IF_ERROR(gw.Call(*gw.stubs().profile, &profile::v1::ProfileService::Stub::GetProfile,
                                get, &profile));
        nlohmann::json body = nlohmann::json::object();
        if (field.empty() || field == "displayname") {
          body["displayname"] =
              profile.display_name().empty() ? profile.username() : profile.display_name();
        }
        // Matrix avatars are mxc:// URIs; other URLs are not shared.
        if ((field.empty() || field == "avatar_url") &&
            profile.avatar_url().rfind("mxc://", 0) == 0) {
          body["avatar_url"] = profile.avatar_url();
        }
        return http::Response::Json(200, body);
      }));
  // The room an alias of this server names, and the servers in it.
  gw.Route("GET", "/_matrix/federation/v1/query/directory", false,
           FederationRoute([&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             federation::v1::InboundRequest inbound;
             FillInbound(c.request, &inbound);
             federation::v1::AuthenticateResponse origin;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().federation,
                                     &federation::v1::FederationService::Stub::AuthenticateRequest,
                                     inbound, &origin));
             ASSIGN_OR_RETURN(std::string alias, c.query.Text("room_alias", 255));
             if (alias.empty()) return absl::InvalidArgumentError("room_alias is required");
             // Only this server's aliases: never another server's, asked on.
             const size_t colon = alias.find(':');
             if (colon == std::string::npos ||
                 alias.substr(colon + 1) != gw.config().matrix_client.server_name) {
               return absl::NotFoundError("not an alias of this server");
             }
             messaging::v1::RoomAliasRequest request;
             request.set_alias(alias);
             messaging::v1::RoomAliasResponse room;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().account,
                                     &messaging::v1::MatrixAccountService::Stub::ResolveAlias,
                                     request, &room));
             return http::Response::Json(
                 200, {{"room_id", room.room_id()}, {"servers", room.servers()}});
           }));
}

}  // namespace messenger::gateway
