// Group commit for the send hot path: messages of different rooms that are
// waiting at the same moment go to PostgreSQL as one statement and one commit.
// Alone, a message goes at once (no added latency); under load the batch is
// whatever piled up while the previous one was being written.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

class MessageBatcher {
 public:
  // Gets MessagingStore::AppendMessage's answer, on the batcher's thread: it
  // must not wait for the batcher.
  using Done = std::function<void(absl::StatusOr<bool>)>;

  explicit MessageBatcher(MessagingStore& store, size_t max_batch = 64);
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

  MessagingStore& store_;
  size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace messenger::messaging
