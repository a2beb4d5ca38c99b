// Group commit for the send hot path: messages of different rooms that are
// waiting at the same moment go to PostgreSQL as one statement and one commit.
// Alone, a message goes at once (no added latency); under load the batch is
// whatever piled up while the previous one was being written.
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

class MessageBatcher {
 public:
  explicit MessageBatcher(MessagingStore& store, size_t max_batch = 64);
  ~MessageBatcher();

  // Same answer as MessagingStore::AppendMessage; blocks until written. At
  // most one message per room may be waiting (callers hold the room's lock).
  absl::StatusOr<bool> Append(const FastMessage& message);

 private:
  struct Pending {
    const FastMessage* message;
    std::promise<absl::StatusOr<bool>> result;
  };
  void Run();
  void Write(std::vector<Pending*>& batch);

  MessagingStore& store_;
  size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace messenger::messaging
