#include "messaging-service/src/domain/matrix/remote_pdu.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/pdu_checks.h"
#include "messaging-service/src/domain/matrix/server_acl.h"

namespace messenger::matrix {
namespace {

RemotePduDecision Refuse(absl::Status reason) {
  return {RemotePduAction::kRefuse, std::move(reason)};
}

bool OnServer(absl::string_view id, absl::string_view server_name) {
  absl::StatusOr<std::string> server = ServerNameOf(id);
  return server.ok() && *server == server_name;
}

}  // namespace

bool ServerHasJoinedMember(const StateMap& state, absl::string_view server_name) {
  for (const auto& [key, event] : state) {
    if (key.type == kMemberType && event.membership() == "join" &&
        OnServer(key.state_key, server_name)) {
      return true;
    }
  }
  return false;
}

RemotePduDecision DecideRemotePdu(const Event& event, absl::string_view origin,
                                  absl::string_view local_server, const Room& room,
                                  const EventSource& events, const StateMap& state_before) {
  if (event.room_id() != room.room_id()) {
    return Refuse(absl::InvalidArgumentError("the event is for another room"));
  }
  if (!AclAllows(room.state(), origin)) {
    return Refuse(absl::PermissionDeniedError(
        absl::StrCat("the room's server ACL denies ", origin)));
  }
  if (OnServer(event.sender(), local_server)) {
    return Refuse(absl::PermissionDeniedError("events of this server's users come from it only"));
  }
  const bool own_join = event.type() == kMemberType && event.membership() == "join" &&
                        event.state_key() == event.sender() && OnServer(event.sender(), origin);
  // A server with no one joined may still send its user's join (send_join)
  // or its user's refusal of an invite (send_leave).
  const bool declines_invite = event.type() == kMemberType && event.membership() == "leave" &&
                               event.state_key() == event.sender() &&
                               OnServer(event.sender(), origin) &&
                               room.state().Membership(event.sender()) == "invite";
  if (!own_join && !declines_invite && !ServerHasJoinedMember(room.state(), origin)) {
    return Refuse(absl::PermissionDeniedError(
        absl::StrCat(origin, " has no member joined in ", room.room_id())));
  }
  std::vector<std::string> unknown;
  for (const std::string& prev : event.prev_events()) {
    if (events.Find(prev) == nullptr) unknown.push_back(prev);
  }
  if (!unknown.empty()) {
    RemotePduDecision refused = Refuse(absl::FailedPreconditionError(absl::StrCat(
        "unknown prev_events ", absl::StrJoin(unknown, ", "), ": send them first")));
    refused.missing_prev_events = std::move(unknown);
    return refused;
  }
  absl::StatusOr<PduAuthResult> auth = AuthorizePdu(event, events, state_before, room.state());
  if (!auth.ok()) return Refuse(absl::FailedPreconditionError(auth.status().message()));
  switch (auth->outcome) {
    case PduOutcome::kAccepted:
      return {RemotePduAction::kApply, absl::OkStatus()};
    case PduOutcome::kRejected:
      return {RemotePduAction::kReject, absl::PermissionDeniedError(auth->reason.message())};
    case PduOutcome::kSoftFailed:
      break;
  }
  RemotePduDecision soft{RemotePduAction::kSoftFail,
                         absl::PermissionDeniedError(auth->reason.message())};
  for (const auto& [key, before] : state_before) soft.state_after[key] = before.event_id();
  if (event.is_state()) soft.state_after[{event.type(), *event.state_key()}] = event.event_id();
  return soft;
}

absl::StatusOr<StateIds> StateBeforeFork(const Event& event, const StatesAfter& after,
                                         const EventSource& events) {
  std::vector<StateIds> sets;
  for (const std::string& prev : event.prev_events()) {
    const auto it = after.find(prev);
    if (it == after.end()) return absl::NotFoundError(absl::StrCat("no state after ", prev));
    sets.push_back(it->second);
  }
  if (sets.empty()) return absl::InvalidArgumentError("the event has no prev_events");
  if (sets.size() == 1) return sets.front();
  return ResolveState(sets, events);
}

absl::StatusOr<StateIds> RoomStateAfterFork(const Room& room, const Event& event,
                                            const StateIds& event_state,
                                            const StatesAfter& after, const EventSource& events) {
  std::vector<StateIds> sets = {event_state};
  for (const std::string& tip : ExtremitiesAfter(room.forward_extremities(), event)) {
    if (tip == event.event_id()) continue;
    const auto it = after.find(tip);
    if (it == after.end()) return absl::NotFoundError(absl::StrCat("no state after ", tip));
    sets.push_back(it->second);
  }
  if (sets.size() == 1) return event_state;
  return ResolveState(sets, events);
}

}  // namespace messenger::matrix
