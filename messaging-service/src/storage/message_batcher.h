// Group commit for the send hot path: messages of different rooms that are
// waiting at the same moment go to PostgreSQL as one statement and one commit.
// Alone, a message goes at once (no added latency); under load the batch is
// whatever piled up while the previous one was being written. A second writer
// starts a batch while the first waits for its commit, once enough messages
// wait (so that the CPU is not idle during the flush, yet light load still
// makes full batches).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

class MessageBatcher {
 public:
  // Gets MessagingStore::AppendMessage's answer, on the batcher's thread: it
  // must not wait for the batcher.
  using Done = std::function<void(absl::StatusOr<bool>)>;
  // Asked once per batch, just before it is written: per message OK, or the
  // error it is answered with instead of being written (e.g. the friendship
  // of a direct message ended). One call per batch keeps it off the per-
  // message cost.
  using Confirm =
      std::function<std::vector<absl::Status>(const std::vector<const FastMessage*>& messages)>;

  explicit MessageBatcher(MessagingStore& store, size_t max_batch = 64, int writers = 2,
                          size_t parallel_from = 8, Confirm confirm = nullptr);
  ~MessageBatcher();

  // At most one message per room may be waiting (callers serialize per room).
  void AppendAsync(std::shared_ptr<const FastMessage> message, Done done);
  // Same, blocking until written.
  absl::StatusOr<bool> Append(std::shared_ptr<const FastMessage> message);

 private:
  struct Pending {
    std::shared_ptr<const FastMessage> message;
    Done done;
  };
  void Run();
  void Write(std::vector<Pending>& batch);

  // Under mutex_: whether a writer should take the queue now.
  bool ShouldWrite() const;

  MessagingStore& store_;
  Confirm confirm_;
  size_t max_batch_;
  size_t parallel_from_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Pending> queue_;
  int writing_ = 0;  // writers inside Write
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace messenger::messaging
