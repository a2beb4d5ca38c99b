// Users long-polling /v1/sync: every message event goes to a DeliveryChecker
// (with its arrival time), every Sync call is counted. The polls are
// asynchronous HTTP/1.1 keep-alive connections served by a few threads, so
// one process holds 10,000 of them (a thread each did not: its own
// scheduling delayed the polls it measured).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
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
  struct Poll;
  void Connect(std::shared_ptr<Poll> poll);
  void Send(std::shared_ptr<Poll> poll);
  void OnAnswer(std::shared_ptr<Poll> poll);
  // A failed poll (status 0: no answer) tries again shortly.
  void Failed(std::shared_ptr<Poll> poll, int status, const std::string& why);
  void Started(std::shared_ptr<Poll> poll, bool ok);

  const int port_;
  DeliveryChecker& checker_;
  OnMessage on_message_;
  const bool retry_unavailable_;
  const int poll_timeout_ms_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> unavailable_{0};
  std::atomic<int64_t> sync_calls_{0};
  std::mutex mutex_;
  std::condition_variable started_cv_;
  size_t started_ = 0;  // polls with their first position, or given up
  std::vector<std::shared_ptr<Poll>> polls_;
  std::vector<std::thread> threads_;
};

}  // namespace messenger::bench
