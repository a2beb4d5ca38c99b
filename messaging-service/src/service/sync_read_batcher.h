// Sync reads of woken long polls, batched: a send into a group of N wakes the
// polls of N members at once, and instead of N statements (each its own
// snapshot, most of them timing out behind each other) the reads queued
// meanwhile go to the database together in one SyncRowsMany. One thread
// reads; a read never waits for company: a lone request goes at once, and
// the ones arriving during a read form the next batch.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

class SyncReadBatcher {
 public:
  using Done = std::function<void(absl::StatusOr<SyncPage>)>;

  struct Options {
    size_t max_batch = 1'000;    // users per statement
    size_t max_queued = 20'000;  // beyond this Submit refuses (retry later)
  };

  SyncReadBatcher(MessagingStore& store, int limit, Options options);
  ~SyncReadBatcher();
  SyncReadBatcher(const SyncReadBatcher&) = delete;
  SyncReadBatcher& operator=(const SyncReadBatcher&) = delete;

  // Queues SyncRows(request, limit); `done` runs on the reader thread. False
  // (and `done` never runs) when the queue is full or stopping.
  [[nodiscard]] bool Submit(SyncRequest request, Done done);
  // Statements run so far (each serves a batch).
  uint64_t reads() const;
  // Reads, once per batch, what showing its pages needs (SyncPage::notes);
  // runs on the reader thread. Set before the first Submit.
  using Prefetch = std::function<std::shared_ptr<const SyncNotes>(const std::vector<SyncRequest>&,
                                                                  const std::vector<SyncPage>&)>;
  void SetPrefetch(Prefetch prefetch);

 private:
  struct Pending {
    SyncRequest request;
    Done done;
  };
  void Loop();

  MessagingStore& store_;
  const int limit_;
  const Options options_;
  metrics::Counter& reads_total_;
  metrics::Counter& polls_total_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Pending> queue_;
  Prefetch prefetch_;
  uint64_t reads_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // started by the first Submit
};

}  // namespace messenger::messaging
