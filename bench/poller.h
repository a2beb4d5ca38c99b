// Users long-polling /v1/sync, one thread each: every message event goes to
// a DeliveryChecker (with its arrival time), every Sync call is counted.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "bench/bench_client.h"
#include "bench/checker.h"

namespace messenger::bench {

class Pollers {
 public:
  // Called on each message event: (user id, text, message id, arrival).
  using OnMessage = std::function<void(const std::string& user, const std::string& text,
                                       const std::string& message_id, absl::Time arrived)>;
  // Starts one poll loop per user, each from the user's current position, and
  // returns once every user has that position (later messages are all seen).
  // With `retry_unavailable`, a 502/503/504 answer is retried and counted in
  // unavailable() instead of failing the check (a replica being restarted).
  // Each poll waits up to `poll_timeout_ms`.
  Pollers(const std::string& http, const std::vector<BenchUser>& users, DeliveryChecker& checker,
          OnMessage on_message = nullptr, bool retry_unavailable = false,
          int poll_timeout_ms = 1000);
  ~Pollers();  // stops and joins

  int64_t sync_calls() const { return sync_calls_; }
  int64_t unavailable() const { return unavailable_; }

 private:
  void Run(const BenchUser& user, std::string since);

  const std::string http_;
  DeliveryChecker& checker_;
  OnMessage on_message_;
  const bool retry_unavailable_;
  const int poll_timeout_ms_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> unavailable_{0};
  std::atomic<int64_t> sync_calls_{0};
  std::vector<std::thread> threads_;
};

}  // namespace messenger::bench
