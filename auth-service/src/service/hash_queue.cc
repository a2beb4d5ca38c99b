#include "auth-service/src/service/hash_queue.h"

#include <algorithm>
#include <memory>

#include "common/metrics.h"
#include "common/status_mapping.h"
#include "common/trace.h"

namespace messenger::auth {
namespace {

metrics::Counter& Refused() {
  static metrics::Counter& c = metrics::Registry::Default().GetCounter(
      "auth_hash_queue_refused_total", "Password hashes refused because the queue was full", {});
  return c;
}

}  // namespace

HashQueue::Ticket::~Ticket() {
  if (queue_ != nullptr) queue_->Release();
}

HashQueue::HashQueue(int workers, int max_waiting, Resume resume)
    : workers_(std::max(1, workers)),
      capacity_(workers_ + std::max(0, max_waiting)),
      resume_(std::move(resume)),
      // The admission count keeps the pool's queue below its own bound.
      threads_("argon2", workers_, static_cast<size_t>(capacity_) + 1) {}

absl::StatusOr<HashQueue::Ticket> HashQueue::Admit() {
  int taken = admitted_.load();
  while (taken < capacity_) {
    if (admitted_.compare_exchange_weak(taken, taken + 1)) return Ticket(this);
  }
  Refused().Inc();
  // The queue ahead drains `workers_` hashes at a time.
  const absl::Duration drain = absl::Microseconds(average_us_.load()) * (capacity_ / workers_ + 1);
  return RetryLaterError("too many sign-ins in progress; try again shortly",
                         std::max(drain, absl::Seconds(1)));
}

void HashQueue::Run(Ticket ticket, std::function<void()> hash,
                    std::function<void(absl::Status)> then) {
  struct Job {
    Ticket ticket;
    std::function<void()> hash;
    std::function<void(absl::Status)> then;
    std::string trace_id;
  };
  auto job = std::make_shared<Job>(
      Job{std::move(ticket), std::move(hash), std::move(then), trace::CurrentTraceId()});
  const bool queued = threads_.Submit([this, job] {
    {
      trace::ScopedTrace scoped(job->trace_id);
      const absl::Time start = absl::Now();
      job->hash();
      const int64_t us = absl::ToInt64Microseconds(absl::Now() - start);
      average_us_.store((average_us_.load() * 7 + us) / 8);
    }
    { Ticket done = std::move(job->ticket); }  // the place is free before the rest runs
    auto then = [job] {
      trace::ScopedTrace scoped(job->trace_id);
      job->then(absl::OkStatus());
    };
    if (!resume_(then)) job->then(absl::UnavailableError("server busy"));
  });
  if (!queued) job->then(absl::UnavailableError("shutting down"));
}

}  // namespace messenger::auth
