// A fixed set of threads running queued work with a bounded queue: where gRPC
// callback handlers put their blocking work (database calls).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace messenger::grpcx {

class WorkPool {
 public:
  WorkPool(std::string name, int threads, size_t max_queue = 10'000);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // False when the queue is full or the pool is stopping: shed the work.
  [[nodiscard]] bool Submit(std::function<void()> work);
  // Runs what is queued, then joins the threads.
  void Stop();
  size_t queued() const;

 private:
  void Loop();

  std::string name_;
  size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace messenger::grpcx
