#include "messaging-service/src/domain/remote_relations.h"

#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/relations.h"

namespace messenger::messaging {
namespace {

// v10: top-level "redacts" (checked to be a string when present).
std::optional<std::string> RedactsOf(const matrix::Event& event) {
  const auto it = event.json().find("redacts");
  if (it == event.json().end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool SameServer(const std::string& a, const std::string& b) {
  absl::StatusOr<std::string> x = matrix::ServerNameOf(a);
  absl::StatusOr<std::string> y = matrix::ServerNameOf(b);
  return x.ok() && y.ok() && *x == *y;
}

bool MayRedact(const matrix::Event& redaction, const RelatedTarget& target,
               const matrix::StateMap& state) {
  if (SameServer(redaction.sender(), target.sender)) return true;
  absl::StatusOr<matrix::PowerLevels> levels = matrix::PowerLevels::FromState(state);
  return levels.ok() && levels->UserLevel(redaction.sender()) >= levels->redact();
}

}  // namespace

std::optional<std::string> RelatedEventOf(const matrix::Event& event) {
  if (event.type() == kRedactionType) return RedactsOf(event);
  absl::StatusOr<std::optional<SentRelation>> relation =
      SentRelationOf(event.type(), event.content());
  if (!relation.ok() || !*relation) return std::nullopt;
  return (*relation)->target;
}

RemoteRelation DecideRemoteRelation(const matrix::Event& event,
                                    const std::optional<RelatedTarget>& target,
                                    const matrix::StateMap& state) {
  const RemoteRelation none;
  if (!target || target->room_id != event.room_id() || target->deleted) return none;
  if (event.type() == kRedactionType) {
    const std::optional<std::string> redacts = RedactsOf(event);
    if (!redacts || !MayRedact(event, *target, state)) return none;
    return {RemoteRelation::Kind::kRedaction, *redacts, ""};
  }
  absl::StatusOr<std::optional<SentRelation>> relation =
      SentRelationOf(event.type(), event.content());
  if (!relation.ok() || !*relation) return none;
  const SentRelation& r = **relation;
  if (target->type != matrix::kMessageType || target->is_relation) return none;
  if (r.kind == SentRelation::Kind::kEdit) {
    if (target->sender != event.sender()) return none;  // only one's own message
    return {RemoteRelation::Kind::kEdit, r.target, ""};
  }
  if (!ValidateReactionKey(r.key).ok()) return none;
  return {RemoteRelation::Kind::kReaction, r.target, r.key};
}

}  // namespace messenger::messaging
