// Matrix rooms: createRoom, joined_rooms, state and members. A room is a
// messaging room; the contact policy and the room's events are decided
// there, this file only translates.
#include "absl/time/clock.h"
#include "common/matrix_user_uuid.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/client_events.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

using messaging::v1::MessagingService;

// Invitees one createRoom takes (messaging's bound too).
constexpr size_t kMaxInvites = 100;

// The invitees' account ids (a remote invitee of a direct room: its
// RemoteUserUuid); M_BAD_JSON unless an array of strings.
absl::StatusOr<std::vector<std::string>> InviteeIds(ClientApi& api, const MatrixBody& body,
                                                    bool is_direct) {
  ASSIGN_OR_RETURN(std::optional<nlohmann::json> invite, body.OptionalArray("invite"));
  std::vector<std::string> ids;
  if (!invite) return ids;
  if (invite->size() > kMaxInvites) {
    return MatrixError(kInvalidParam, "'invite' names at most 100 users");
  }
  for (const auto& user : *invite) {
    if (!user.is_string()) return MatrixError(kBadJson, "'invite' must be an array of user ids");
  }
  for (const auto& user : *invite) {
    const std::string id = user.get<std::string>();
    const size_t colon = id.find(':');
    if (is_direct && id.starts_with('@') && colon != std::string::npos &&
        id.substr(colon + 1) != api.config().server_name) {
      // A user of another server, named as messaging names it (a direct
      // room with a remote contact; messaging decides the rest).
      ids.push_back(RemoteUserUuid(id));
      continue;
    }
    ASSIGN_OR_RETURN(auth::v1::User account, api.AccountOf(id));
    ids.push_back(account.user_id());
  }
  return ids;
}

absl::StatusOr<http::Response> CreateRoom(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  messaging::v1::CreateMatrixRoomRequest request;
  request.set_creator_id(c.me().session.user_id);
  ASSIGN_OR_RETURN(std::optional<std::string> preset, body.OptionalString("preset"));
  ASSIGN_OR_RETURN(std::optional<std::string> visibility, body.OptionalString("visibility"));
  if (visibility && *visibility != "public" && *visibility != "private") {
    return MatrixError(kInvalidParam, "'visibility' is public or private");
  }
  // Without a preset, the visibility picks it (the spec's rule).
  request.set_preset(preset ? *preset : visibility == "public" ? "public_chat" : "private_chat");
  ASSIGN_OR_RETURN(bool is_direct, body.OptionalBool("is_direct", false));
  request.set_is_direct(is_direct);
  ASSIGN_OR_RETURN(std::optional<std::string> name, body.OptionalString("name"));
  if (name) request.set_name(*name);
  ASSIGN_OR_RETURN(std::optional<std::string> topic, body.OptionalString("topic"));
  if (topic) request.set_topic(*topic);
  ASSIGN_OR_RETURN(std::optional<std::string> version, body.OptionalString("room_version"));
  if (version) request.set_room_version(*version);
  ASSIGN_OR_RETURN(std::optional<nlohmann::json> initial_state,
                   body.OptionalArray("initial_state"));
  if (initial_state) request.set_initial_state_json(initial_state->dump());
  ASSIGN_OR_RETURN(std::optional<nlohmann::json> power,
                   body.OptionalJsonObject("power_level_content_override"));
  if (power) request.set_power_level_content_override_json(power->dump());
  // Aliases and 3PID invites are not served: refused rather than ignored.
  if (body.json().contains("room_alias_name") || body.json().contains("invite_3pid")) {
    return MatrixError(kInvalidParam, "room aliases and 3PID invites are not supported");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> invitees, InviteeIds(api, body, is_direct));
  for (const auto& id : invitees) request.add_invitee_ids(id);

  messaging::v1::CreateMatrixRoomResponse response;
  Gateway& gw = api.gateway();
  absl::Status status =
      gw.Call(*gw.stubs().messaging, &MessagingService::Stub::CreateMatrixRoom, request, &response);
  if (status.code() == absl::StatusCode::kFailedPrecondition) {
    return MatrixError(kUnsupportedRoomVersion, std::string(status.message()));
  }
  RETURN_IF_ERROR(status);
  return http::Response::Json(200, {{"room_id", response.room_id()}});
}

// The room's state in the client format: the current one, or as it was at
// the room or sync token `at`.
absl::StatusOr<std::vector<nlohmann::json>> RoomState(ClientApi& api, ClientRequest& c,
                                                      std::string_view at = {}) {
  messaging::v1::GetMatrixRoomStateRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_room_id(c.params["room_id"]);
  request.set_at(std::string(at));
  messaging::v1::GetMatrixRoomStateResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::GetMatrixRoomState,
                          request, &response));
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  std::vector<nlohmann::json> events;
  for (const auto& event : response.events()) {
    ASSIGN_OR_RETURN(events.emplace_back(), ClientEvent(event, now_ms));
  }
  return events;
}

absl::StatusOr<http::Response> StateEvent(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(std::vector<nlohmann::json> state, RoomState(api, c));
  const std::string& type = c.params["event_type"];
  const std::string key = c.params.count("state_key") ? c.params["state_key"] : "";
  for (const auto& event : state) {
    if (event["type"] == type && event["state_key"] == key) {
      return http::Response::Json(200, event["content"]);
    }
  }
  return MatrixError(kNotFound, "the room has no such state event");
}

absl::StatusOr<http::Response> Members(ClientApi& api, ClientRequest& c) {
  std::optional<std::string_view> membership = c.query.Get("membership");
  std::optional<std::string_view> not_membership = c.query.Get("not_membership");
  ASSIGN_OR_RETURN(std::vector<nlohmann::json> state,
                   RoomState(api, c, c.query.Get("at").value_or("")));
  nlohmann::json chunk = nlohmann::json::array();
  for (auto& event : state) {
    if (event["type"] != "m.room.member") continue;
    const std::string m = event["content"].value("membership", "");
    if (membership && m != *membership) continue;
    if (not_membership && m == *not_membership) continue;
    chunk.push_back(std::move(event));
  }
  return http::Response::Json(200, {{"chunk", std::move(chunk)}});
}

absl::StatusOr<http::Response> JoinedMembers(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(std::vector<nlohmann::json> state, RoomState(api, c));
  nlohmann::json joined = nlohmann::json::object();
  for (const auto& event : state) {
    if (event["type"] != "m.room.member" || event["content"].value("membership", "") != "join") {
      continue;
    }
    nlohmann::json member = nlohmann::json::object();
    for (const char* key : {"displayname", "avatar_url"}) {
      if (event["content"].contains(key) && event["content"][key].is_string()) {
        member[key == std::string("displayname") ? "display_name" : key] = event["content"][key];
      }
    }
    joined[event["state_key"].get<std::string>()] = std::move(member);
  }
  return http::Response::Json(200, {{"joined", std::move(joined)}});
}

absl::StatusOr<http::Response> JoinedRooms(ClientApi& api, ClientRequest& c) {
  messaging::v1::JoinedMatrixRoomsRequest request;
  request.set_user_id(c.me().session.user_id);
  messaging::v1::JoinedMatrixRoomsResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::JoinedMatrixRooms,
                          request, &response));
  return http::Response::Json(200, {{"joined_rooms", response.room_ids()}});
}

}  // namespace

void AddRoomRoutes(ClientApi& api) {
  auto route = [&api](std::string_view method, std::string_view path,
                      absl::StatusOr<http::Response> (*handler)(ClientApi&, ClientRequest&)) {
    api.Route(method, path, Access::kUser, Versions::kV3AndR0,
              [&api, handler](ClientRequest& c) { return handler(api, c); });
  };
  route("POST", "/createRoom", CreateRoom);
  route("GET", "/joined_rooms", JoinedRooms);
  route("GET", "/rooms/{room_id}/state",
        [](ClientApi& api, ClientRequest& c) -> absl::StatusOr<http::Response> {
          ASSIGN_OR_RETURN(std::vector<nlohmann::json> state, RoomState(api, c));
          return http::Response::Json(200, state);
        });
  // An empty state key may come as a missing last segment.
  route("GET", "/rooms/{room_id}/state/{event_type}", StateEvent);
  route("GET", "/rooms/{room_id}/state/{event_type}/{state_key}", StateEvent);
  route("GET", "/rooms/{room_id}/members", Members);
  route("GET", "/rooms/{room_id}/joined_members", JoinedMembers);
}

}  // namespace messenger::gateway::matrix
