// The history a server takes when it joins a room of another server
// (server-server API, "Backfilling and retrieving missing events"): the
// resident server's /backfill answer from the join's prev_events, checked
// and ordered, so that messages sent before the join are seen here too.
// Pure: the request is federation/outgoing_join.cc's.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/pdu_checks.h"
#include "messaging-service/src/domain/matrix/state_resolution.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// At most this many events are asked for and taken at a join.
inline constexpr size_t kJoinHistoryLimit = 100;

struct JoinHistory {
  std::vector<Event> events;  // oldest first: by depth, then time, then id
  size_t dropped = 0;         // failing a check, or authorized by events not at hand
};

// Checks a /backfill answer ({"pdus": [...]}) for `room_id`. Each PDU: its
// format, signatures and content hash (kept redacted on a mismatch), its
// room, and the auth rules against its auth events, found in `known` (the
// send_join state and auth chain) or among the answer's accepted events.
// Events in `known` or repeated are skipped (not dropped); at most `limit`
// are taken. FailedPrecondition when the answer has no pdus array.
// A failing event is dropped, not an error: history is best effort, the
// join stands without it.
absl::StatusOr<JoinHistory> CheckJoinHistory(const nlohmann::json& answer,
                                             const std::string& room_id, const EventSource& known,
                                             ServerKeySource& keys, size_t limit);

}  // namespace messenger::matrix
