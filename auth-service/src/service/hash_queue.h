// Password hashing off the request threads. `workers` hashes run at once
// (each needs the argon2 memory) and at most `max_waiting` more wait; past
// that a request is refused at once with a retry hint, so a login flood holds
// no gRPC pool thread and grows no queue.
#pragma once

#include <atomic>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc/work_pool.h"

namespace messenger::auth {

class HashQueue {
 public:
  // Posts the work that follows a hash (the service's blocking pool); false
  // when it refuses.
  using Resume = std::function<bool(std::function<void()>)>;

  HashQueue(int workers, int max_waiting, Resume resume);
  HashQueue(const HashQueue&) = delete;
  HashQueue& operator=(const HashQueue&) = delete;

  // A place among the running and waiting hashes, given back when dropped
  // unused.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept : queue_(other.queue_) { other.queue_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class HashQueue;
    explicit Ticket(HashQueue* queue) : queue_(queue) {}
    HashQueue* queue_;
  };

  // A ticket, or RESOURCE_EXHAUSTED with a retry hint when every place is taken.
  absl::StatusOr<Ticket> Admit();
  // Runs `hash` on a hashing thread, then `then(OK)` through Resume (with the
  // caller's trace id); `then(error)` at once when Resume refuses.
  void Run(Ticket ticket, std::function<void()> hash, std::function<void(absl::Status)> then);
  // Finishes what is queued and joins the hashing threads.
  void Stop() { threads_.Stop(); }

  int admitted() const { return admitted_.load(); }

 private:
  void Release() { admitted_.fetch_sub(1); }

  const int workers_;
  const int capacity_;
  Resume resume_;
  std::atomic<int> admitted_{0};
  std::atomic<int64_t> average_us_{100'000};  // of one hash, smoothed
  grpcx::WorkPool threads_;
};

}  // namespace messenger::auth
