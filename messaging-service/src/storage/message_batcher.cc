#include "messaging-service/src/storage/message_batcher.h"

#include <future>

#include "common/metrics.h"

namespace messenger::messaging {

MessageBatcher::MessageBatcher(MessagingStore& store, size_t max_batch, int writers,
                               size_t parallel_from, Confirm confirm)
    : store_(store),
      confirm_(std::move(confirm)),
      max_batch_(max_batch),
      parallel_from_(parallel_from) {
  for (int i = 0; i < writers; ++i) threads_.emplace_back([this] { Run(); });
}

MessageBatcher::~MessageBatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

bool MessageBatcher::ShouldWrite() const {
  return !queue_.empty() && (writing_ == 0 || queue_.size() >= parallel_from_ || stopping_);
}

void MessageBatcher::AppendAsync(std::shared_ptr<const FastMessage> message, Done done) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      done(absl::UnavailableError("shutting down"));
      return;
    }
    queue_.push_back(Pending{std::move(message), std::move(done)});
    // Otherwise a writer is already awake, or the busy one takes the queue next.
    wake = (queue_.size() == 1 && writing_ == 0) || queue_.size() == parallel_from_;
  }
  if (wake) ready_.notify_one();
}

absl::StatusOr<bool> MessageBatcher::Append(std::shared_ptr<const FastMessage> message) {
  std::promise<absl::StatusOr<bool>> result;
  std::future<absl::StatusOr<bool>> future = result.get_future();
  AppendAsync(std::move(message),
              [&result](absl::StatusOr<bool> written) { result.set_value(std::move(written)); });
  return future.get();
}

void MessageBatcher::Write(std::vector<Pending>& batch) {
  static metrics::Histogram& sizes = metrics::Registry::Default().GetHistogram(
      "messaging_send_batch_size", "Messages written per statement (group commit)", {},
      {1, 2, 4, 8, 16, 32, 64});
  sizes.Observe(static_cast<double>(batch.size()));
  if (confirm_) {
    std::vector<const FastMessage*> messages;
    for (const Pending& p : batch) messages.push_back(p.message.get());
    const std::vector<absl::Status> verdicts = confirm_(messages);
    std::vector<Pending> confirmed;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i < verdicts.size() && !verdicts[i].ok()) {
        batch[i].done(verdicts[i]);
      } else {
        confirmed.push_back(std::move(batch[i]));
      }
    }
    batch.swap(confirmed);
    if (batch.empty()) return;
  }
  if (batch.size() > 1) {
    std::vector<const FastMessage*> messages;
    for (const Pending& p : batch) messages.push_back(p.message.get());
    absl::StatusOr<std::vector<bool>> written = store_.AppendMessages(messages);
    if (written.ok()) {
      for (size_t i = 0; i < batch.size(); ++i) batch[i].done((*written)[i]);
      return;
    }
    // One bad message (e.g. a reused client_msg_id) fails the statement: write
    // them one by one so that only it fails.
  }
  for (Pending& p : batch) p.done(store_.AppendMessage(*p.message));
}

void MessageBatcher::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    ready_.wait(lock, [&] { return stopping_ || ShouldWrite(); });
    if (queue_.empty()) return;  // stopping and drained
    std::vector<Pending> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    ++writing_;
    lock.unlock();
    Write(batch);
    lock.lock();
    --writing_;
    if (!queue_.empty()) ready_.notify_one();  // what piled up meanwhile
  }
}

}  // namespace messenger::messaging
