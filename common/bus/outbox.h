// Transactional outbox: Outbox::Enqueue writes the event row in the caller's
// transaction; OutboxRelay publishes committed rows to JetStream and deletes
// them only after the ack. NATS away => rows wait, retried with backoff.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/bus/nats_bus.h"
#include "common/metrics.h"
#include "common/pg/pg.h"

// The head of an outbox insert: followed by VALUES or a SELECT of (event id,
// subject, JSON envelope). For statements of other modules that write their
// rows and those rows' events in one round trip (a data-modifying WITH);
// after the commit they hand the events over with Outbox::Commit. The outbox
// table itself is known only here and in this directory's migrations.
#define MESSENGER_OUTBOX_INSERT "INSERT INTO outbox (event_id, subject, payload) "

namespace messenger::bus {

class Outbox {
 public:
  // `committed` gets the events of each commit that enqueued some (the
  // relay's Handoff), so that they are published without reading them back.
  using Committed = std::function<void(std::vector<Event>)>;
  explicit Outbox(Committed committed = {}) : committed_(std::move(committed)) {}
  absl::Status Enqueue(pg::Tx& tx, const Event& event) const;
  // For rows written by a single statement of the caller's (no pg::Tx):
  // call after it committed, with the events of the rows it wrote.
  void Commit(std::vector<Event> events) const {
    if (committed_ && !events.empty()) committed_(std::move(events));
  }

 private:
  Committed committed_;
};

// Publishes in two ways: events handed over after their commit go out at once
// from memory; a sweep reads unpublished rows from the table (at start, every
// poll_interval, and after failures), which covers a crash, other replicas
// and anything handed over while NATS was away. A row is deleted only after
// JetStream acknowledged its event; an event published twice (hand-off and
// sweep racing) is dropped by JetStream's duplicate window (Nats-Msg-Id).
class OutboxRelay {
 public:
  struct Options {
    std::string service;  // metric label
    int batch_size = 256;
    absl::Duration poll_interval = absl::Milliseconds(500);  // the sweep
    // Rounds start at most this often: under load each publishes many events.
    absl::Duration min_round_interval = absl::Milliseconds(5);
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    size_t max_handed = 50'000;  // beyond, rows wait for the sweep
  };

  OutboxRelay(pg::Pool& pool, NatsBus& bus, Options options);
  ~OutboxRelay();

  void Start();
  // Publishes what is committed (best effort within the drain timeout) and stops.
  void Stop();
  // Events whose rows just committed.
  void Hand(std::vector<Event> events);
  Outbox::Committed Handoff() {
    return [this](std::vector<Event> events) { Hand(std::move(events)); };
  }

  // One sweep: publishes up to batch_size rows read from the table. Returns
  // how many were published.
  absl::StatusOr<int> PublishBatch();
  int64_t published() const { return published_.load(); }

 private:
  void Run();
  // Publishes handed-over events and deletes the rows of those acknowledged.
  absl::Status PublishHanded(const std::vector<Event>& events);
  absl::Status EnsureStream();
  absl::Status CountPending();  // for the pending gauge

  pg::Pool& pool_;
  NatsBus& bus_;
  Options options_;
  bool stream_ready_ = false;
  std::atomic<int64_t> published_{0};
  std::atomic<int64_t> pending_estimate_{0};
  std::atomic<double> oldest_age_seconds_{0};
  metrics::GaugeHandle lag_gauge_;
  metrics::GaugeHandle age_gauge_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Event> handed_;
  bool failing_ = false;  // handed-over events are left to the sweep
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace messenger::bus
