// What a room this server writes does with a PDU another server sent, once
// its format, signatures and content hash were checked (pdu_checks.h). Pure:
// the room, the known events and the servers come from the caller (the
// RoomWriter calls it under the room's lock).
//
// An event whose prev_events are the room's forward extremities is judged
// against the current state. One whose prev_events are known but older (a
// fork: another server wrote concurrently) is judged against the state
// before it, the resolution (state resolution v2) of the states after its
// prev events; the room's new state is then the resolution of the states
// after its forward extremities. An event whose prev_events are unknown is
// refused and names them (the caller may fetch them with get_missing_events
// and try again).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/src/domain/matrix/state_resolution.h"

namespace messenger::matrix {

enum class RemotePduAction {
  kApply,   // authorized: the event enters the room and its state
  kReject,  // fails the auth rules: stored as rejected, never applied
  kSoftFail,  // passes the state before it, not the room's current state:
              // stored with the state after it (`state_after`) so that later
              // events may name it, never applied, shown or a forward extremity
  kRefuse,  // cannot be decided here (unknown room state, prev events,
            // wrong origin): nothing is stored, the sender gets `reason`
};

struct RemotePduDecision {
  RemotePduAction action = RemotePduAction::kRefuse;
  absl::Status reason;  // OK for kApply
  // Refused because these prev_events are unknown here.
  std::vector<std::string> missing_prev_events;
  // kSoftFail: the state after the event (the state before it, and the
  // event itself when it is a state event).
  StateIds state_after;
};

// Whether a user of `server_name` is joined (current state).
bool ServerHasJoinedMember(const StateMap& state, absl::string_view server_name);

// `origin` sent `event` to `local_server`; `events` holds the event's auth
// and prev events as far as this server knows them (rejected ones flagged);
// `state_before` is the state before the event: the room's state when the
// event extends its forward extremities, else StateBeforeFork's (unused when
// prev events are unknown). The origin must have a joined member, except for
// the join of one of its own users (send_join), which the auth rules judge.
RemotePduDecision DecideRemotePdu(const Event& event, absl::string_view origin,
                                  absl::string_view local_server, const Room& room,
                                  const EventSource& events, const StateMap& state_before);

// The state after each event a fork's resolution needs (the event's prev
// events and the forward extremities it does not name), read by the caller
// from the state groups.
using StatesAfter = std::map<std::string, StateIds, std::less<>>;

// The state before a forked event: the state after its prev event, or the
// resolution of the states after them. `events` holds the events of those
// states and their auth chains.
absl::StatusOr<StateIds> StateBeforeFork(const Event& event, const StatesAfter& after,
                                         const EventSource& events);

// The room's state once the forked event is in: the state after it
// (`event_state`) when it names every forward extremity, else the resolution
// of that and the states after the extremities it does not name.
absl::StatusOr<StateIds> RoomStateAfterFork(const Room& room, const Event& event,
                                            const StateIds& event_state,
                                            const StatesAfter& after, const EventSource& events);

}  // namespace messenger::matrix
