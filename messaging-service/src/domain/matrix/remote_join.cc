#include "messaging-service/src/domain/matrix/remote_join.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

absl::Status BadAnswer(absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("the resident server's answer ", why));
}

absl::StatusOr<std::vector<std::string>> Ids(const Json& event, const char* name) {
  const auto it = event.find(name);
  if (it == event.end() || !it->is_array() || it->empty() || it->size() > 20) {
    return BadAnswer(absl::StrCat("has no usable ", name));
  }
  std::vector<std::string> out;
  for (const Json& id : *it) {
    if (!id.is_string()) return BadAnswer(absl::StrCat("has a bad entry in ", name));
    out.push_back(id.get<std::string>());
  }
  return out;
}

// The events of `name` in a send_join answer, signatures and hashes checked
// (an event whose hash does not match is kept redacted, as the spec says).
absl::StatusOr<std::vector<Event>> CheckedEvents(const Json& answer, const char* name,
                                                 const std::string& room_id,
                                                 ServerKeySource& keys) {
  const auto it = answer.find(name);
  if (it == answer.end() || !it->is_array()) return BadAnswer(absl::StrCat("has no ", name));
  if (it->size() > kMaxJoinStateEvents) return BadAnswer(absl::StrCat("has too large a ", name));
  std::vector<Event> out;
  for (const Json& pdu : *it) {
    absl::StatusOr<CheckedPdu> checked = CheckPduFormatAndSignatures(pdu, keys);
    if (!checked.ok()) {
      if (absl::IsUnavailable(checked.status())) return checked.status();
      return BadAnswer(absl::StrCat("has an event in ", name,
                                    " that fails its checks: ", checked.status().message()));
    }
    if (checked->event.room_id() != room_id) {
      return BadAnswer(absl::StrCat("has an event of another room in ", name));
    }
    out.push_back(std::move(checked->event));
  }
  return out;
}

}  // namespace

absl::StatusOr<PduFields> JoinFromTemplate(const Json& answer, const std::string& room_id,
                                           const std::string& user_id, int64_t origin_server_ts) {
  return MembershipFromTemplate(answer, room_id, user_id, "join", origin_server_ts);
}

absl::StatusOr<PduFields> MembershipFromTemplate(const Json& answer, const std::string& room_id,
                                                 const std::string& user_id,
                                                 const std::string& membership,
                                                 int64_t origin_server_ts) {
  if (!answer.is_object()) return BadAnswer("is not a JSON object");
  // Absent means version 1, which this server does not speak.
  if (answer.value("room_version", "") != kRoomVersion) {
    return BadAnswer(absl::StrCat("names a room version other than ", kRoomVersion));
  }
  const auto it = answer.find("event");
  if (it == answer.end() || !it->is_object()) return BadAnswer("has no event template");
  const Json& event = *it;
  if (event.value("room_id", "") != room_id || event.value("sender", "") != user_id ||
      event.value("state_key", "") != user_id || event.value("type", "") != kMemberType) {
    return BadAnswer(absl::StrCat("is not a ", membership, " template for this room and user"));
  }
  const auto depth = event.find("depth");
  if (depth == event.end() || !depth->is_number_integer() || depth->get<int64_t>() < 1) {
    return BadAnswer("has no usable depth");
  }
  PduFields fields;
  fields.room_id = room_id;
  fields.sender = user_id;
  fields.type = kMemberType;
  fields.state_key = user_id;
  fields.content = Json{{"membership", membership}};
  ASSIGN_OR_RETURN(fields.prev_events, Ids(event, "prev_events"));
  ASSIGN_OR_RETURN(fields.auth_events, Ids(event, "auth_events"));
  fields.depth = depth->get<int64_t>();
  fields.origin_server_ts = origin_server_ts;
  return fields;
}

absl::StatusOr<JoinedRoom> CheckSendJoinAnswer(const Json& answer, const Event& join,
                                               ServerKeySource& keys) {
  if (!answer.is_object()) return BadAnswer("is not a JSON object");
  ASSIGN_OR_RETURN(std::vector<Event> state, CheckedEvents(answer, "state", join.room_id(), keys));
  // The auth chain is checked too and kept for the history's auth checks
  // (join_history.h): later events name current state as auth events.
  ASSIGN_OR_RETURN(std::vector<Event> auth_chain,
                   CheckedEvents(answer, "auth_chain", join.room_id(), keys));
  std::sort(state.begin(), state.end(),
            [](const Event& a, const Event& b) { return a.depth() < b.depth(); });
  StateMap map;
  for (const Event& e : state) {
    if (!e.is_state()) return BadAnswer("has a non-state event in state");
    RETURN_IF_ERROR(map.Put(e));
  }
  if (map.create() == nullptr) return BadAnswer("has no m.room.create in state");
  if (map.create()->content().value("room_version", "1") != kRoomVersion) {
    return BadAnswer(absl::StrCat("is for a room of a version other than ", kRoomVersion));
  }
  // Every auth event of the join must be in the returned state.
  for (const std::string& id : join.auth_events()) {
    if (std::none_of(state.begin(), state.end(),
                     [&](const Event& e) { return e.event_id() == id; })) {
      return BadAnswer(absl::StrCat("lacks the join's auth event ", id));
    }
  }
  Room room = Room::Restore(join.room_id(), std::move(map), join.prev_events(), join.depth() - 1);
  // Authorizes the join against the returned state and applies it.
  absl::Status accepted = room.Accept(join);
  if (!accepted.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the join is not allowed by the room's state: ", accepted.message()));
  }
  return JoinedRoom{std::move(state), std::move(auth_chain), std::move(room)};
}

}  // namespace messenger::matrix
