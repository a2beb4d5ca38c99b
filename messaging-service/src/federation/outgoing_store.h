// The persisted outgoing federation queue (federation_outgoing, written by
// RoomWriter with each event, by QueueEdu with to-device and contact EDUs,
// and by the E2EE store's fan-out queries with device-list and signing-key
// updates) and the per-destination sending state (federation_destinations:
// backoff and the lease that keeps two replicas from sending to one
// destination at once).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/pg.h"

namespace messenger::federation {

struct QueuedDestination {
  std::string destination;
  int64_t depth = 0;   // queued PDUs
  bool ready = false;  // not backing off
};

// One transaction to send: its PDUs in queue order under a txnId that stays
// the same until the destination answers 200.
struct OutgoingTxn {
  std::string txn_id;
  std::vector<std::string> pdus;
  std::vector<std::string> edus;  // persisted ones (m.direct_to_device), JSON text
  int failures = 0;               // of this destination, in a row
};

class OutgoingStore {
 public:
  virtual ~OutgoingStore() = default;
  // Every destination with queued PDUs.
  virtual absl::StatusOr<std::vector<QueuedDestination>> Destinations() = 0;
  // Takes the destination's lease for `owner` (nullopt when another replica
  // holds it or it is backing off) and returns the transaction in flight,
  // or a new one of the oldest `max_pdus` rows (nullopt when none).
  virtual absl::StatusOr<std::optional<OutgoingTxn>> Claim(const std::string& destination,
                                                           const std::string& owner,
                                                           absl::Duration lease, int max_pdus) = 0;
  // The destination answered 200, or refused the transaction for good (a
  // 4xx): its rows go, its backoff resets.
  virtual absl::Status Delivered(const std::string& destination, const std::string& txn_id) = 0;
  // The attempt failed: the next one waits `delay`.
  virtual absl::Status Failed(const std::string& destination, absl::Duration delay) = 0;
  // Drops the oldest rows not in flight beyond `limit`; returns how many.
  virtual absl::StatusOr<int64_t> Trim(const std::string& destination, int64_t limit) = 0;
  // Queues a persisted EDU (JSON text) for `destination`, committed with `tx`.
  virtual absl::Status QueueEdu(pg::Tx& tx, const std::string& destination,
                                const std::string& edu_json) = 0;
};

class PgOutgoingStore final : public OutgoingStore {
 public:
  explicit PgOutgoingStore(pg::Pool& pool) : pool_(pool) {}
  absl::StatusOr<std::vector<QueuedDestination>> Destinations() override;
  absl::StatusOr<std::optional<OutgoingTxn>> Claim(const std::string& destination,
                                                   const std::string& owner, absl::Duration lease,
                                                   int max_pdus) override;
  absl::Status Delivered(const std::string& destination, const std::string& txn_id) override;
  absl::Status Failed(const std::string& destination, absl::Duration delay) override;
  absl::StatusOr<int64_t> Trim(const std::string& destination, int64_t limit) override;
  absl::Status QueueEdu(pg::Tx& tx, const std::string& destination,
                        const std::string& edu_json) override;

 private:
  pg::Pool& pool_;
};

}  // namespace messenger::federation
