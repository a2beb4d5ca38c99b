// messaging-service/src/service/user_sync_section.h
// A per-user part of the Matrix sync beyond the room timelines (to-device
// messages, device lists, account data): its own cursor inside next_batch.
#pragma once
#include <cstdint>
#include <string>
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
namespace messenger::messaging {
struct UserSyncInput {
  std::string user_id;    // UUID
  std::string device_id;  // the session's device
  int64_t since = 0;      // this section's cursor from the token
  // A sync without `since`. Not `since == 0`: a section with nothing yet
  // keeps cursor 0 across incremental syncs.
  bool initial = false;
};
struct UserSyncOutput {
  int64_t next = 0;         // the cursor to put in next_batch
  bool has_changes = false; // something new after `since` (ends a long poll)
  // A JSON object whose members are merged into the /sync response,
  // e.g. {"to_device":{"events":[...]}} or {"account_data":{"events":[...]}}.
  std::string json;
};
class UserSyncSection {
 public:
  virtual ~UserSyncSection() = default;
  virtual absl::string_view name() const = 0;  // its slot in the token
  virtual absl::StatusOr<UserSyncOutput> Collect(const UserSyncInput& in) = 0;
};
}  // namespace messenger::messaging
