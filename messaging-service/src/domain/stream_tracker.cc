#include "messaging-service/src/domain/stream_tracker.h"

namespace messenger::messaging {

void StreamTracker::Reset(int64_t committed) {
  std::lock_guard lock(mutex_);
  max_ = committed;
  in_flight_.clear();
  latest_.clear();
  known_from_ = committed;
}

int64_t StreamTracker::Allocate(absl::Span<const std::string> readers) {
  std::lock_guard lock(mutex_);
  const int64_t position = ++max_;
  in_flight_.insert(position);
  if (latest_.size() + readers.size() > max_readers_) {
    // Forgetting everyone is safe once no earlier position counts as known:
    // a reader asking from below max_ reads the database again.
    latest_.clear();
    known_from_ = max_;
  }
  for (const std::string& reader : readers) latest_[reader] = position;
  return position;
}

void StreamTracker::Finish(int64_t position) {
  std::lock_guard lock(mutex_);
  in_flight_.erase(position);
}

int64_t StreamTracker::Watermark() const {
  std::lock_guard lock(mutex_);
  return in_flight_.empty() ? max_ : *in_flight_.begin() - 1;
}

bool StreamTracker::MayHaveAfter(absl::string_view reader, int64_t position) const {
  std::lock_guard lock(mutex_);
  if (position < known_from_) return true;
  const auto it = latest_.find(reader);
  return it != latest_.end() && it->second > position;
}

}  // namespace messenger::messaging
