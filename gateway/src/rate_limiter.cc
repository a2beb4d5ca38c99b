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
  Bucket b = buckets_.Get(key).value_or(Bucket{burst_, now});
  b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.updated) * rate_);
  b.updated = now;
  absl::Duration wait = absl::ZeroDuration();
  if (b.tokens < 1.0) {
    refused_.Inc();
    wait = std::max(absl::Milliseconds(1), absl::Seconds((1.0 - b.tokens) / std::max(rate_, 1e-9)));
  } else {
    b.tokens -= 1.0;
  }
  buckets_.Put(key, b);
  return wait;
}

}  // namespace messenger::gateway
