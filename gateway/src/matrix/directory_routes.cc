// Room discovery of the Matrix client API: room aliases, directory
// visibility, the public room list (messaging's MatrixAccountService) and
// the user directory (profile-service's username search).
#include <algorithm>

#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

using messaging::v1::MatrixAccountService;

constexpr int kDefaultUserResults = 10;
constexpr int kMaxUserResults = 100;
constexpr int kMaxPublicRooms = 500;

absl::StatusOr<http::Response> PutAlias(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::string room_id, body.RequiredString("room_id"));
  messaging::v1::RoomAliasRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_alias(c.params["alias"]);
  request.set_room_id(room_id);
  messaging::v1::RoomAliasResponse response;
  Gateway& gw = api.gateway();
  absl::Status status =
      gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::PutRoomAlias, request, &response);
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return MatrixError(kRoomInUse, std::string(status.message()));
  }
  if (status.code() == absl::StatusCode::kNotFound) {
    return MatrixError(kNotFound, "no such room");
  }
  RETURN_IF_ERROR(status);
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<http::Response> GetAlias(ClientApi& api, ClientRequest& c) {
  messaging::v1::RoomAliasRequest request;
  request.set_alias(c.params["alias"]);
  messaging::v1::RoomAliasResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::ResolveAlias, request, &response));
  return http::Response::Json(200,
                              {{"room_id", response.room_id()}, {"servers", response.servers()}});
}

absl::StatusOr<http::Response> DeleteAlias(ClientApi& api, ClientRequest& c) {
  messaging::v1::RoomAliasRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_alias(c.params["alias"]);
  messaging::v1::RoomAliasResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::DeleteRoomAlias,
                          request, &response));
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<http::Response> RoomAliases(ClientApi& api, ClientRequest& c) {
  messaging::v1::RoomAliasRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  messaging::v1::RoomAliasesResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::ListRoomAliases,
                          request, &response));
  return http::Response::Json(200, {{"aliases", response.aliases()}});
}

absl::StatusOr<http::Response> Visibility(ClientApi& api, ClientRequest& c, bool put) {
  messaging::v1::RoomVisibilityRequest request;
  request.set_room_id(c.params["room_id"]);
  messaging::v1::RoomVisibilityResponse response;
  Gateway& gw = api.gateway();
  if (!put) {
    RETURN_IF_ERROR(gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::GetRoomVisibility,
                            request, &response));
    return http::Response::Json(200, {{"visibility", response.published() ? "public" : "private"}});
  }
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::optional<std::string> visibility, body.OptionalString("visibility"));
  if (visibility && *visibility != "public" && *visibility != "private") {
    return MatrixError(kInvalidParam, "'visibility' is public or private");
  }
  request.set_user_id(c.me().session.user_id);
  request.set_published(visibility.value_or("public") == "public");
  RETURN_IF_ERROR(gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::SetRoomVisibility,
                          request, &response));
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<http::Response> PublicRooms(ClientApi& api,
                                           messaging::v1::PublicRoomsRequest request,
                                           const std::optional<std::string>& server) {
  // Rooms of other servers would need federation: only ours are listed.
  if (server && *server != api.config().server_name) {
    return MatrixError(kInvalidParam, "only this server's public rooms are listed");
  }
  if (request.limit() < 0 || request.limit() > kMaxPublicRooms) {
    return MatrixError(kInvalidParam, "'limit' is 0-500");
  }
  messaging::v1::PublicRoomsResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::ListPublicRooms,
                          request, &response));
  nlohmann::json chunk = nlohmann::json::array();
  for (const auto& room : response.chunk()) {
    nlohmann::json entry = {{"room_id", room.room_id()},
                            {"num_joined_members", room.joined_members()},
                            {"world_readable", room.world_readable()},
                            {"guest_can_join", false},
                            {"join_rule", room.join_rule()}};
    if (room.has_name()) entry["name"] = room.name();
    if (room.has_topic()) entry["topic"] = room.topic();
    if (room.has_canonical_alias()) entry["canonical_alias"] = room.canonical_alias();
    if (room.has_avatar_url()) entry["avatar_url"] = room.avatar_url();
    chunk.push_back(std::move(entry));
  }
  nlohmann::json out = {{"chunk", std::move(chunk)},
                        {"total_room_count_estimate", response.total()}};
  if (response.has_next_batch()) out["next_batch"] = response.next_batch();
  if (response.has_prev_batch()) out["prev_batch"] = response.prev_batch();
  return http::Response::Json(200, out);
}

absl::StatusOr<http::Response> GetPublicRooms(ClientApi& api, ClientRequest& c) {
  messaging::v1::PublicRoomsRequest request;
  ASSIGN_OR_RETURN(int64_t limit, c.query.Int("limit", 0, kMaxPublicRooms, 0));
  request.set_limit(static_cast<int32_t>(limit));
  if (auto since = c.query.Get("since")) request.set_since(std::string(*since));
  std::optional<std::string> server;
  if (auto s = c.query.Get("server")) server = std::string(*s);
  return PublicRooms(api, std::move(request), server);
}

absl::StatusOr<http::Response> PostPublicRooms(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  messaging::v1::PublicRoomsRequest request;
  const nlohmann::json& json = body.json();
  if (json.contains("limit")) {
    if (!json["limit"].is_number_integer()) return MatrixError(kBadJson, "'limit' is an integer");
    request.set_limit(json["limit"].get<int>());
  }
  ASSIGN_OR_RETURN(std::optional<std::string> since, body.OptionalString("since"));
  if (since) request.set_since(*since);
  ASSIGN_OR_RETURN(std::optional<MatrixBody> filter, body.OptionalObject("filter"));
  if (filter) {
    ASSIGN_OR_RETURN(std::optional<std::string> term,
                     filter->OptionalString("generic_search_term"));
    if (term) request.set_search(*term);
  }
  std::optional<std::string> server;
  if (auto s = c.query.Get("server")) server = std::string(*s);
  return PublicRooms(api, std::move(request), server);
}

absl::StatusOr<http::Response> SearchUsers(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::string term, body.RequiredString("search_term"));
  int limit = kDefaultUserResults;
  if (body.json().contains("limit")) {
    if (!body.json()["limit"].is_number_integer()) {
      return MatrixError(kBadJson, "'limit' is an integer");
    }
    limit = std::clamp(body.json()["limit"].get<int>(), 1, kMaxUserResults);
  }
  // A user id searches by its localpart.
  if (!term.empty() && term.front() == '@') term = term.substr(1, term.find(':') - 1);
  profile::v1::SearchUsersRequest request;
  request.set_query(term);
  request.set_limit(limit + 1);  // one more tells whether the list was cut
  profile::v1::SearchUsersResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().profile, &profile::v1::ProfileService::Stub::SearchUsers,
                          request, &response));
  nlohmann::json results = nlohmann::json::array();
  for (const auto& user : response.users()) {
    if (static_cast<int>(results.size()) == limit) break;
    nlohmann::json entry = {{"user_id", api.UserIdOf(user.username())}};
    if (!user.display_name().empty()) entry["display_name"] = user.display_name();
    if (!user.avatar_url().empty()) entry["avatar_url"] = user.avatar_url();
    results.push_back(std::move(entry));
  }
  return http::Response::Json(
      200, {{"results", std::move(results)}, {"limited", response.users_size() > limit}});
}

}  // namespace

void AddDirectoryRoutes(ClientApi& api) {
  auto route =
      [&api](std::string_view method, std::string_view path, Access access,
             std::function<absl::StatusOr<http::Response>(ClientApi&, ClientRequest&)> handler) {
        api.Route(
            method, path, access, Versions::kV3AndR0,
            [&api, handler = std::move(handler)](ClientRequest& c) { return handler(api, c); });
      };
  route("PUT", "/directory/room/{alias}", Access::kUser, PutAlias);
  route("GET", "/directory/room/{alias}", Access::kPublic, GetAlias);
  route("DELETE", "/directory/room/{alias}", Access::kUser, DeleteAlias);
  route("GET", "/rooms/{room_id}/aliases", Access::kUser, RoomAliases);
  route("GET", "/directory/list/room/{room_id}", Access::kPublic,
        [](ClientApi& api, ClientRequest& c) { return Visibility(api, c, false); });
  route("PUT", "/directory/list/room/{room_id}", Access::kUser,
        [](ClientApi& api, ClientRequest& c) { return Visibility(api, c, true); });
  route("GET", "/publicRooms", Access::kPublic, GetPublicRooms);
  route("POST", "/publicRooms", Access::kUser, PostPublicRooms);
  route("POST", "/user_directory/search", Access::kUser, SearchUsers);
}

}  // namespace messenger::gateway::matrix
