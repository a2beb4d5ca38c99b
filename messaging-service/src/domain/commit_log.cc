#include "messaging-service/src/domain/commit_log.h"

#include <algorithm>

namespace messenger::messaging {

void CommitLog::Reset(int64_t head) {
  std::lock_guard lock(mutex_);
  watermark_ = head;
  ahead_.clear();
  head_seen_ = head;
  latest_.Clear();
  unknown_up_to_ = head;
}

void CommitLog::Advance() {
  while (!ahead_.empty() && ahead_.begin()->first <= watermark_ + 1) {
    watermark_ = std::max(watermark_, ahead_.begin()->second);
    ahead_.erase(ahead_.begin());
  }
}

void CommitLog::Committed(int64_t first, int64_t last, absl::Span<const std::string> readers) {
  if (last < first) return;
  std::lock_guard lock(mutex_);
  for (const std::string& reader : readers) {
    std::optional<int64_t> known = latest_.Get(reader);
    // A new reader in a full record pushes one out: a missing reader may
    // now have rows up to here.
    if (!known && latest_.size() >= latest_.capacity()) {
      unknown_up_to_ = std::max(unknown_up_to_, last);
    }
    latest_.Put(reader, std::max(known.value_or(0), last));
  }
  if (last <= watermark_) return;
  int64_t& end = ahead_[first];
  end = std::max(end, last);
  Advance();
}

void CommitLog::HeadIs(int64_t head) {
  std::lock_guard lock(mutex_);
  if (watermark_ < head_seen_) {
    // Announcements below the head read last time are lost, not late.
    unknown_up_to_ = std::max(unknown_up_to_, head_seen_);
    watermark_ = head_seen_;
    while (!ahead_.empty() && ahead_.begin()->second <= watermark_) ahead_.erase(ahead_.begin());
    Advance();
  }
  head_seen_ = std::max(head_seen_, head);
}

int64_t CommitLog::Watermark() const {
  std::lock_guard lock(mutex_);
  return watermark_;
}

bool CommitLog::MayHaveAfter(absl::string_view reader, int64_t position) const {
  std::lock_guard lock(mutex_);
  if (position < unknown_up_to_) return true;
  if (std::optional<int64_t> latest = latest_.Get(std::string(reader))) return *latest > position;
  return false;
}

}  // namespace messenger::messaging
