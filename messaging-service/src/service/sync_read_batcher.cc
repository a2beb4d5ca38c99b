#include "messaging-service/src/service/sync_read_batcher.h"

#include <utility>

#include "absl/status/status.h"

namespace messenger::messaging {

SyncReadBatcher::SyncReadBatcher(MessagingStore& store, int limit, Options options)
    : store_(store),
      limit_(limit),
      options_(options),
      reads_total_(metrics::Registry::Default().GetCounter(
          "messaging_sync_batch_reads_total", "Batched sync statements (each serves many polls)")),
      polls_total_(metrics::Registry::Default().GetCounter(
          "messaging_sync_batch_polls_total", "Sync reads served by batched statements")) {}

SyncReadBatcher::~SyncReadBatcher() {
  std::deque<Pending> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    left.swap(queue_);
  }
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (Pending& p : left) p.done(absl::UnavailableError("the server is stopping"));
}

bool SyncReadBatcher::Submit(SyncRequest request, Done done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queued) return false;
    queue_.push_back({std::move(request), std::move(done)});
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  }
  ready_.notify_one();
  return true;
}

uint64_t SyncReadBatcher::reads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reads_;
}

void SyncReadBatcher::SetPrefetch(Prefetch prefetch) {
  std::lock_guard<std::mutex> lock(mutex_);
  prefetch_ = std::move(prefetch);
}

void SyncReadBatcher::Loop() {
  for (;;) {
    std::vector<Pending> batch;
    Prefetch prefetch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++reads_;
      prefetch = prefetch_;
    }
    std::vector<SyncRequest> requests;
    requests.reserve(batch.size());
    for (const Pending& p : batch) requests.push_back(p.request);
    absl::StatusOr<std::vector<SyncPage>> pages = store_.SyncRowsMany(requests, limit_);
    reads_total_.Inc();
    polls_total_.Inc(static_cast<double>(batch.size()));
    if (pages.ok() && prefetch && pages->size() == batch.size()) {
      std::shared_ptr<const SyncNotes> notes = prefetch(requests, *pages);
      for (SyncPage& page : *pages) page.notes = notes;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!pages.ok()) {
        batch[i].done(pages.status());
      } else if (pages->size() != batch.size()) {
        batch[i].done(absl::InternalError("sync read lost a request"));
      } else {
        batch[i].done(std::move((*pages)[i]));
      }
    }
  }
}

}  // namespace messenger::messaging
