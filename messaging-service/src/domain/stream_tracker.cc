#include "messaging-service/src/domain/stream_tracker.h"

namespace messenger::messaging {

void StreamTracker::Reset(int64_t committed) {
  std::lock_guard lock(mutex_);
  max_ = committed;
  in_flight_.clear();
}

int64_t StreamTracker::Allocate() {
  std::lock_guard lock(mutex_);
  const int64_t position = ++max_;
  in_flight_.insert(position);
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

}  // namespace messenger::messaging

namespace messenger::messaging {

bool StreamTracker::Lagging() const {
  std::lock_guard lock(mutex_);
  return !in_flight_.empty();
}

}  // namespace messenger::messaging
