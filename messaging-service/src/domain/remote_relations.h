// What an event of another server's user does to a message's relations, so
// that the native API and sync show remote edits, reactions and deletes like
// local ones (relations.h writes those for local users). Pure, no IO.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::messaging {

// The event a relation or redaction names, as stored here.
struct RelatedTarget {
  std::string room_id;
  std::string sender;  // its Matrix id
  std::string type;
  bool is_relation = false;  // an edit or reaction itself
  bool deleted = false;
};

struct RemoteRelation {
  enum class Kind { kNone, kEdit, kReaction, kRedaction } kind = Kind::kNone;
  std::string target;
  std::string key;  // a reaction's
};

// The event that `event` relates to or redacts; nullopt when none.
std::optional<std::string> RelatedEventOf(const matrix::Event& event);

// What to record for `event` given its target (nullopt: not stored here)
// and the room's state: kNone for what is not applied. An edit must be of
// its sender's own message; a reaction of a message, with a valid key; a
// redaction (any event of the room) needs the same server as its target's
// sender or the redact power level (Matrix: redactions are checked when
// applied, room versions 3+). Already deleted targets take nothing more.
RemoteRelation DecideRemoteRelation(const matrix::Event& event,
                                    const std::optional<RelatedTarget>& target,
                                    const matrix::StateMap& state);

}  // namespace messenger::messaging
