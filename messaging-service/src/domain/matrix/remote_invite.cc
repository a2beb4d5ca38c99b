#include "messaging-service/src/domain/matrix/remote_invite.h"

#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::matrix {
namespace {

bool IsString(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string();
}

}  // namespace

absl::StatusOr<InviteBody> ParseInviteBody(const nlohmann::json& body) {
  if (!body.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  InviteBody out;
  auto event = body.find("event");
  if (event == body.end() || !event->is_object()) {
    return absl::InvalidArgumentError("`event` must be the invite event");
  }
  out.event = *event;
  if (!IsString(body, "room_version")) {
    return absl::InvalidArgumentError("`room_version` must be a string");
  }
  out.room_version = body["room_version"].get<std::string>();
  auto state = body.find("invite_room_state");
  if (state == body.end()) return out;
  if (!state->is_array()) return absl::InvalidArgumentError("`invite_room_state` must be an array");
  if (state->size() > kMaxInviteStateEvents) {
    return absl::InvalidArgumentError("`invite_room_state` has too many events");
  }
  for (const nlohmann::json& e : *state) {
    if (!e.is_object() || !IsString(e, "type") || !IsString(e, "state_key") ||
        !IsString(e, "sender") || !e.contains("content") || !e["content"].is_object()) {
      return absl::InvalidArgumentError(
          "each `invite_room_state` event needs type, state_key, sender and content");
    }
    out.invite_state.push_back({{"type", e["type"]},
                                {"state_key", e["state_key"]},
                                {"sender", e["sender"]},
                                {"content", e["content"]}});
  }
  return out;
}

absl::Status CheckRemoteInvite(const Event& event, absl::string_view origin,
                               absl::string_view local_server, absl::string_view room_id,
                               absl::string_view event_id) {
  if (event.event_id() != event_id) {
    return absl::InvalidArgumentError("the event's id is not the one in the path");
  }
  if (event.room_id() != room_id) return absl::InvalidArgumentError("the event is for another room");
  if (event.type() != kMemberType || event.membership() != "invite" || !event.state_key()) {
    return absl::InvalidArgumentError("the event is not an m.room.member invite");
  }
  absl::StatusOr<std::string> target_server = ServerNameOf(*event.state_key());
  if (!target_server.ok() || !IsValidUserId(*event.state_key()) || *target_server != local_server) {
    return absl::InvalidArgumentError("the invited user is not a user of this server");
  }
  absl::StatusOr<std::string> sender_server = ServerNameOf(event.sender());
  if (!sender_server.ok() || *sender_server != origin) {
    return absl::PermissionDeniedError("the inviter is not a user of the requesting server");
  }
  return absl::OkStatus();
}

}  // namespace messenger::matrix
