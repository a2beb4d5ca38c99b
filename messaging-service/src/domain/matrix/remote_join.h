// Joining a room of another server (server-server API, "Joining Rooms"),
// the pure steps: the join event built from the resident server's make_join
// template, and the send_join answer checked (every state and auth chain
// event's signatures and content hash, the join authorized against the
// returned state). The requests themselves are federation/outgoing_join.*.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/pdu_checks.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// At most this many state and auth chain events are taken from an answer.
inline constexpr size_t kMaxJoinStateEvents = 5000;

// The fields of `user_id`'s join from a make_join answer: the template's
// prev_events, auth_events and depth, our content and timestamp.
// FailedPrecondition when the answer is not a usable template for this room,
// user and room version 10.
absl::StatusOr<PduFields> JoinFromTemplate(const nlohmann::json& answer, const std::string& room_id,
                                           const std::string& user_id, int64_t origin_server_ts);
// The same for any membership template (make_leave: "leave").
absl::StatusOr<PduFields> MembershipFromTemplate(const nlohmann::json& answer,
                                                 const std::string& room_id,
                                                 const std::string& user_id,
                                                 const std::string& membership,
                                                 int64_t origin_server_ts);

// A checked send_join answer: the room's state before the join, oldest
// first, its auth chain, and the room after the join (state, tip, depth).
struct JoinedRoom {
  std::vector<Event> state;
  std::vector<Event> auth_chain;
  Room room;
};

// Checks a send_join (v2) answer for `join`. FailedPrecondition for a
// malformed answer, a state event failing its signature or hash checks, or a
// state missing the create event; PermissionDenied when the auth rules
// refuse the join against the returned state; Unavailable when the keys to
// check signatures cannot be had.
absl::StatusOr<JoinedRoom> CheckSendJoinAnswer(const nlohmann::json& answer, const Event& join,
                                               ServerKeySource& keys);

}  // namespace messenger::matrix
