#include "messaging-service/src/domain/matrix/room.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/power_levels.h"

namespace messenger::matrix {

std::vector<std::string> Room::AuthEventIds(const EventDraft& draft) const {
  std::vector<std::string> ids;
  for (const StateKey& key :
       AuthEventSelection(draft.type, draft.sender, draft.state_key, draft.content)) {
    if (const Event* event = state_.Get(key.type, key.state_key); event != nullptr) {
      ids.push_back(event->event_id());
    }
  }
  return ids;
}

absl::StatusOr<Event> Room::Append(const EventDraft& draft, int64_t origin_server_ts,
                                   absl::string_view server_name, const Ed25519Key& key) {
  PduFields fields;
  fields.room_id = room_id_;
  fields.sender = draft.sender;
  fields.type = draft.type;
  fields.state_key = draft.state_key;
  fields.content = draft.content;
  fields.redacts = draft.redacts;
  fields.prev_events = forward_extremities_;
  fields.auth_events = AuthEventIds(draft);
  fields.depth = depth_ + 1;
  fields.origin_server_ts = origin_server_ts;
  ASSIGN_OR_RETURN(Event event, BuildPdu(fields, server_name, key));
  RETURN_IF_ERROR(Accept(event));
  return event;
}

bool SameEventIds(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // Every write asks this, nearly always of one tip each: no sets for that.
  if (a == b) return true;
  return std::set<std::string>(a.begin(), a.end()) == std::set<std::string>(b.begin(), b.end());
}

std::vector<std::string> ExtremitiesAfter(const std::vector<std::string>& extremities,
                                          const Event& event) {
  const std::set<std::string> named(event.prev_events().begin(), event.prev_events().end());
  std::vector<std::string> after;
  for (const std::string& id : extremities) {
    if (named.count(id) == 0 && id != event.event_id()) after.push_back(id);
  }
  after.push_back(event.event_id());
  return after;
}

void Room::AcceptForked(const Event& event, StateMap state) {
  state_ = std::move(state);
  forward_extremities_ = ExtremitiesAfter(forward_extremities_, event);
  depth_ = std::max(depth_, event.depth());
}

absl::Status Room::Accept(const Event& event) {
  if (event.room_id() != room_id_) return absl::InvalidArgumentError("event is for another room");
  if (!SameEventIds(event.prev_events(), forward_extremities_)) {
    return absl::FailedPreconditionError("event does not extend the room's latest events");
  }
  RETURN_IF_ERROR(Authorize(event, state_));
  if (event.is_state()) RETURN_IF_ERROR(state_.Put(event));
  forward_extremities_ = {event.event_id()};
  depth_ = std::max(depth_, event.depth());
  return absl::OkStatus();
}

absl::StatusOr<CreatedRoom> CreateRoom(const NewRoomOptions& options, absl::string_view server_name,
                                       const Ed25519Key& key) {
  if (!IsValidRoomId(options.room_id)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid room id: ", options.room_id));
  }
  if (!IsValidUserId(options.creator)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid creator: ", options.creator));
  }
  CreatedRoom created{Room(options.room_id), {}};
  const auto append = [&](std::string type, nlohmann::json content,
                          std::optional<std::string> state_key = "") -> absl::Status {
    EventDraft draft{options.creator, std::move(type), std::move(state_key), std::move(content),
                     std::nullopt};
    ASSIGN_OR_RETURN(Event event,
                     created.room.Append(draft, options.origin_server_ts, server_name, key));
    created.events.push_back(std::move(event));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(
      append(kCreateType, {{"creator", options.creator}, {"room_version", kRoomVersion}}));
  RETURN_IF_ERROR(append(kMemberType, {{"membership", "join"}}, options.creator));
  RETURN_IF_ERROR(append(kPowerLevelsType, DefaultPowerLevelsContent(options.creator)));
  RETURN_IF_ERROR(append(kJoinRulesType, {{"join_rule", options.join_rule}}));
  RETURN_IF_ERROR(
      append(kHistoryVisibilityType, {{"history_visibility", options.history_visibility}}));
  if (options.name.has_value()) RETURN_IF_ERROR(append(kNameType, {{"name", *options.name}}));
  if (options.topic.has_value()) RETURN_IF_ERROR(append(kTopicType, {{"topic", *options.topic}}));
  return created;
}

}  // namespace messenger::matrix
