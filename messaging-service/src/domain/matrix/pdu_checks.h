// The checks on a PDU received from another server (server-server API,
// "Checks performed on receipt of a PDU"), for room version 10. Pure: the
// servers' keys, the auth events and the room states come from the caller.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/domain/matrix/state_resolution.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// Public keys of other servers, for the signatures on their events.
class ServerKeySource {
 public:
  virtual ~ServerKeySource() = default;
  // The raw ed25519 public key `key_id` of `server_name`, if it was valid at
  // `at` (the event's origin_server_ts). Unauthenticated when the server has
  // no such key or it had expired by then, Unavailable when the keys cannot
  // be fetched now.
  virtual absl::StatusOr<std::string> PublicKeyAt(const std::string& server_name,
                                                  const std::string& key_id, absl::Time at) = 0;
};

// What becomes of a received PDU.
enum class PduOutcome {
  kAccepted,    // passes every check: it enters the DAG and the state
  kSoftFailed,  // authorized by its auth events and the state before it but
                // not by the current state: stored, not a forward extremity
  kRejected,    // fails the auth rules: stored as rejected, never applied
};

struct CheckedPdu {
  Event event;            // redacted when the content hash did not match
  bool redacted = false;  // the hash did not match
};

// Steps 1-3: the v10 format (Event::FromJson), the signature of the
// sender's server (and of the authorising server of a restricted join), and
// the content hash. A PDU failing these is dropped: InvalidArgument for the
// format, Unauthenticated for a signature, Unavailable when keys could not
// be had. A content hash mismatch is not an error: the redacted event is
// returned and flagged.
absl::StatusOr<CheckedPdu> CheckPduFormatAndSignatures(const nlohmann::json& pdu,
                                                       ServerKeySource& keys);

// Steps 4-6: the auth rules against the event's auth events (read from
// `events`; a missing one is NotFound, a rejected one rejects the event),
// against the state before the event, and against the current room state.
// PermissionDenied (with the reason) for kRejected outcomes is reported in
// `reason`; kSoftFailed carries the current state's reason.
struct PduAuthResult {
  PduOutcome outcome = PduOutcome::kRejected;
  absl::Status reason;
};
absl::StatusOr<PduAuthResult> AuthorizePdu(const Event& event, const EventSource& events,
                                           const StateMap& state_before,
                                           const StateMap& current_state);

}  // namespace messenger::matrix
