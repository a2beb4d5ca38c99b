#include "gateway/src/rate_limiter.h"

#include <algorithm>

#include "common/status_mapping.h"

namespace messenger::gateway {

absl::Status RateLimiter::Take(const std::string& key, std::string_view message) {
  const absl::Duration wait = TakeOrWait(key);
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  return RetryLaterError(message, wait);
}

absl::Duration RateLimiter::TakeOrWait(const std::string& key) {
  const absl::Time now = clock_.Now();
  std::lock_guard lock(mutex_);
  if (now - last_sweep_ > absl::Minutes(1)) {
    // A bucket that would be full again holds nothing worth keeping.
    const absl::Duration refill = absl::Seconds(burst_ / std::max(rate_, 1e-9));
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      it = now - it->second.updated > refill ? buckets_.erase(it) : std::next(it);
    }
    last_sweep_ = now;
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.updated) * rate_);
  b.updated = now;
  if (b.tokens < 1.0) {
    return std::max(absl::Milliseconds(1), absl::Seconds((1.0 - b.tokens) / std::max(rate_, 1e-9)));
  }
  b.tokens -= 1.0;
  return absl::ZeroDuration();
}

}  // namespace messenger::gateway
