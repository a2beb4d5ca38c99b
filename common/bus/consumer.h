// A durable JetStream pull consumer whose handler runs in the same PostgreSQL
// transaction that records the event id: redelivery is harmless, and the
// message is acked only after the commit.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/bus/nats_bus.h"
#include "common/metrics.h"
#include "common/pg/pg.h"

namespace messenger::bus {

// Runs `handler` for `event` in a transaction that also records the event id
// under `consumer`; true when it ran, false when the id was already recorded.
absl::StatusOr<bool> ApplyEventOnce(
    pg::Pool& pool, const std::string& consumer, const Event& event,
    const std::function<absl::Status(const Event& event, pg::Tx& tx)>& handler);

class EventConsumer {
 public:
  struct Options {
    // Durable consumer name, also the key in processed_events: "<service>_<what>".
    std::string durable;
    std::string subject;  // one subject or wildcard, e.g. "user.created"
    int batch = 64;
    absl::Duration fetch_wait = absl::Seconds(1);
    absl::Duration ack_wait = absl::Seconds(30);
  };
  // Runs inside the transaction; a non-OK status rolls back and redelivers later.
  // INVALID_ARGUMENT means the event can never be applied: it is logged and dropped.
  using Handler = std::function<absl::Status(const Event& event, pg::Tx& tx)>;

  EventConsumer(NatsBus& bus, pg::Pool& pool, Options options, Handler handler);
  ~EventConsumer();

  void Start();
  void Stop();
  int64_t processed() const { return processed_.load(); }

  // Applies one delivered payload (exposed for tests). Returns true when its
  // effect ran, false for a duplicate.
  absl::StatusOr<bool> Apply(const Event& event);

 private:
  void Run();

  NatsBus& bus_;
  pg::Pool& pool_;
  Options options_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> processed_{0};
  // Stream messages not yet delivered to this consumer, as of the last fetch.
  std::atomic<int64_t> pending_{0};
  metrics::GaugeHandle pending_gauge_;
  std::thread thread_;
};

}  // namespace messenger::bus
