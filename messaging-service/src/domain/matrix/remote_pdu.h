// What a room this server writes does with a PDU another server sent, once
// its format, signatures and content hash were checked (pdu_checks.h). Pure:
// the room, the known events and the servers come from the caller (the
// RoomWriter calls it under the room's lock).
//
// Rooms here stay linear (room.h): an event is applied only when its
// prev_events are the room's latest event. An event whose prev_events are
// unknown is refused and names them (the caller may fetch them with
// get_missing_events and try again); one whose prev_events are known but
// older (a fork) is refused too (branches are not merged with state
// resolution yet): the sender gets a clear per-event error.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/src/domain/matrix/state_resolution.h"

namespace messenger::matrix {

enum class RemotePduAction {
  kApply,   // authorized: the event enters the room and its state
  kReject,  // fails the auth rules: stored as rejected, never applied
  kRefuse,  // cannot be decided here (unknown room state, prev events,
            // wrong origin): nothing is stored, the sender gets `reason`
};

struct RemotePduDecision {
  RemotePduAction action = RemotePduAction::kRefuse;
  absl::Status reason;  // OK for kApply
  // Refused because these prev_events are unknown here.
  std::vector<std::string> missing_prev_events;
};

// Whether a user of `server_name` is joined (current state).
bool ServerHasJoinedMember(const StateMap& state, absl::string_view server_name);

// `origin` sent `event` to `local_server`; `events` holds the event's auth
// and prev events as far as this server knows them (rejected ones flagged).
// The origin must have a joined member, except for the join of one of its
// own users (send_join), which the auth rules then judge.
RemotePduDecision DecideRemotePdu(const Event& event, absl::string_view origin,
                                  absl::string_view local_server, const Room& room,
                                  const EventSource& events);

}  // namespace messenger::matrix
