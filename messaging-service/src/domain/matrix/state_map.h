// Room state: the current state event for each (type, state_key).
#pragma once

#include <compare>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/event.h"

namespace messenger::matrix {

// Well-known event types.
inline constexpr char kCreateType[] = "m.room.create";
inline constexpr char kMemberType[] = "m.room.member";
inline constexpr char kPowerLevelsType[] = "m.room.power_levels";
inline constexpr char kJoinRulesType[] = "m.room.join_rules";
inline constexpr char kHistoryVisibilityType[] = "m.room.history_visibility";
inline constexpr char kThirdPartyInviteType[] = "m.room.third_party_invite";
inline constexpr char kNameType[] = "m.room.name";
inline constexpr char kTopicType[] = "m.room.topic";
inline constexpr char kMessageType[] = "m.room.message";
inline constexpr char kRedactionType[] = "m.room.redaction";

struct StateKey {
  std::string type;
  std::string state_key;
  auto operator<=>(const StateKey&) const = default;
};

class StateMap {
 public:
  using Map = std::map<StateKey, Event>;

  // nullptr when the room has no such state.
  const Event* Get(absl::string_view type, absl::string_view state_key) const;
  // Replaces the entry for the event's (type, state_key); InvalidArgument for
  // events without a state_key.
  absl::Status Put(const Event& event);

  const Event* create() const { return Get(kCreateType, ""); }
  const Event* power_levels() const { return Get(kPowerLevelsType, ""); }
  const Event* join_rules() const { return Get(kJoinRulesType, ""); }
  const Event* member(absl::string_view user_id) const { return Get(kMemberType, user_id); }

  // The user's content.membership, or "leave" when the room has no member
  // event for them (the spec's assumption for an absent previous membership).
  std::string Membership(absl::string_view user_id) const;
  // content.join_rule, or "invite" when unset (the conservative choice).
  std::string JoinRule() const;

  size_t size() const { return events_.size(); }
  Map::const_iterator begin() const { return events_.begin(); }
  Map::const_iterator end() const { return events_.end(); }

 private:
  Map events_;
};

// The state events an authorization decision looks at: normally either the
// room state before the event or the event's auth events.
using AuthState = StateMap;

}  // namespace messenger::matrix
