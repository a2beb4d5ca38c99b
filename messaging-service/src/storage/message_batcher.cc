#include "messaging-service/src/storage/message_batcher.h"

#include "common/metrics.h"

namespace messenger::messaging {

MessageBatcher::MessageBatcher(MessagingStore& store, size_t max_batch)
    : store_(store), max_batch_(max_batch), thread_([this] { Run(); }) {}

MessageBatcher::~MessageBatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  thread_.join();
}

absl::StatusOr<bool> MessageBatcher::Append(const FastMessage& message) {
  Pending pending{&message, {}};
  std::future<absl::StatusOr<bool>> result = pending.result.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return absl::UnavailableError("shutting down");
    queue_.push_back(&pending);
  }
  ready_.notify_one();
  return result.get();
}

void MessageBatcher::Write(std::vector<Pending*>& batch) {
  static metrics::Histogram& sizes = metrics::Registry::Default().GetHistogram(
      "messaging_send_batch_size", "Messages written per statement (group commit)", {},
      {1, 2, 4, 8, 16, 32, 64});
  sizes.Observe(static_cast<double>(batch.size()));
  if (batch.size() > 1) {
    std::vector<const FastMessage*> messages;
    for (Pending* p : batch) messages.push_back(p->message);
    absl::StatusOr<std::vector<bool>> written = store_.AppendMessages(messages);
    if (written.ok()) {
      for (size_t i = 0; i < batch.size(); ++i) batch[i]->result.set_value((*written)[i]);
      return;
    }
    // One bad message (e.g. a reused client_msg_id) fails the statement: write
    // them one by one so that only it fails.
  }
  for (Pending* p : batch) p->result.set_value(store_.AppendMessage(*p->message));
}

void MessageBatcher::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    std::vector<Pending*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    Write(batch);
    lock.lock();
  }
}

}  // namespace messenger::messaging
