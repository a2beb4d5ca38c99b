// The end-to-end encryption relay's use cases: keys upload, query and claim,
// device-list changes, to-device messages, and the removal of a revoked
// session's device. Requests are checked by domain/e2ee_requests; Matrix ids
// of other servers are skipped (no federation of keys).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "common/clock.h"
#include "messaging-service/src/domain/e2ee_requests.h"
#include "messaging-service/src/storage/e2ee_store.h"

namespace messenger::messaging {

struct KeyChanges {
  std::vector<std::string> changed;  // Matrix user ids
  std::vector<std::string> left;
};

class E2eeManager {
 public:
  E2eeManager(E2eeStore& store, std::string server_name, E2eeLimits limits, const Clock& clock)
      : store_(store), server_name_(std::move(server_name)), limits_(limits), clock_(clock) {}

  // Each answers the JSON body of its Matrix route.
  absl::StatusOr<std::string> UploadKeys(const E2eeCaller& caller, std::string_view body);
  // Keys of the caller and of users sharing a room with it; others' are
  // answered as users without devices.
  absl::StatusOr<std::string> QueryKeys(const E2eeCaller& caller, std::string_view body);
  absl::StatusOr<std::string> ClaimKeys(const E2eeCaller& caller, std::string_view body);
  // Users whose device lists changed after device-list position `from` (the
  // device_lists cursor of a sync token). `left` stays empty: who stopped
  // sharing a room is not tracked.
  absl::StatusOr<KeyChanges> Changes(const E2eeCaller& caller, int64_t from);
  // Idempotent per (caller's device, txn_id). RESOURCE_EXHAUSTED with a
  // retry hint when a recipient's inbox is full.
  absl::Status SendToDevice(const E2eeCaller& caller, std::string_view event_type,
                            const std::string& txn_id, std::string_view body);
  // session.revoked: the session's device loses its keys and inbox.
  absl::Status OnSessionEvent(const bus::Event& event, pg::Tx& tx);
  // Forgets sendToDevice transactions older than a day (a client retries
  // within minutes).
  absl::Status ForgetOldTransactions();

  const std::string& server_name() const { return server_name_; }
  const E2eeLimits& limits() const { return limits_; }

 private:
  // Matrix user id -> account uuid of the local users among `user_ids`.
  absl::StatusOr<std::map<std::string, std::string>> LocalUsers(
      const std::vector<std::string>& user_ids);

  E2eeStore& store_;
  const std::string server_name_;
  const E2eeLimits limits_;
  const Clock& clock_;
};

}  // namespace messenger::messaging
