// Transactional outbox: Outbox::Enqueue writes the event row in the caller's
// transaction; OutboxRelay publishes committed rows to JetStream and deletes
// them only after the ack. NATS away => rows wait, retried with backoff.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/bus/nats_bus.h"
#include "common/metrics.h"
#include "common/pg/pg.h"

namespace messenger::bus {

class Outbox {
 public:
  // `wake` is called after each commit that enqueued events (the relay's Notify).
  explicit Outbox(std::function<void()> wake = {}) : wake_(std::move(wake)) {}
  absl::Status Enqueue(pg::Tx& tx, const Event& event) const;
  // For rows written by a single statement of the caller's (no pg::Tx):
  // call after it committed.
  void Committed() const {
    if (wake_) wake_();
  }

 private:
  std::function<void()> wake_;
};

class OutboxRelay {
 public:
  struct Options {
    std::string service;  // metric label
    int batch_size = 256;
    absl::Duration poll_interval = absl::Milliseconds(500);  // other replicas' rows
    // Rounds start at most this often: under load each publishes many rows.
    absl::Duration min_round_interval = absl::Milliseconds(5);
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
  };

  OutboxRelay(pg::Pool& pool, NatsBus& bus, Options options);
  ~OutboxRelay();

  void Start();
  // Publishes what is committed (best effort within the drain timeout) and stops.
  void Stop();
  void Notify();
  std::function<void()> Notifier() {
    return [this] { Notify(); };
  }

  // One pass: publishes up to batch_size rows. Returns how many were published.
  absl::StatusOr<int> PublishBatch();
  int64_t published() const { return published_.load(); }

 private:
  void Run();
  absl::Status CountPending();  // for the pending gauge

  pg::Pool& pool_;
  NatsBus& bus_;
  Options options_;
  bool stream_ready_ = false;
  std::atomic<int64_t> published_{0};
  std::atomic<int64_t> pending_estimate_{0};
  metrics::GaugeHandle lag_gauge_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool notified_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace messenger::bus
