#include "messaging-service/src/domain/stream_tracker.h"

namespace messenger::messaging {

void StreamTracker::Reset(int64_t committed) {
  std::lock_guard lock(mutex_);
  max_ = committed;
  in_flight_.clear();
  latest_.Clear();
  known_from_ = committed;
  forgotten_up_to_ = committed;
}

int64_t StreamTracker::Allocate(absl::Span<const std::string> readers) {
  std::lock_guard lock(mutex_);
  const int64_t position = ++max_;
  in_flight_.insert(position);
  for (const std::string& reader : readers) {
    const bool known = latest_.Update(reader, [](int64_t&) {});
    // A new reader in a full record pushes out one whose positions are all
    // below this one: from now on a missing reader may have rows up to here.
    if (!known && latest_.size() >= latest_.capacity()) forgotten_up_to_ = position;
    latest_.Put(reader, position);
  }
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
  if (std::optional<int64_t> latest = latest_.Get(std::string(reader))) return *latest > position;
  return position < forgotten_up_to_;
}

}  // namespace messenger::messaging
