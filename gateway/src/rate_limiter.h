// Per-key token buckets: `burst` requests at once, refilled at `rate` per
// second. At most `max_keys` buckets are kept (least recently used go first:
// a forgotten key starts full again), so clients spraying keys (addresses,
// logins) cannot grow memory.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/lru_cache.h"
#include "common/metrics.h"

namespace messenger::gateway {

class RateLimiter {
 public:
  // `name` labels the bucket cache's metrics.
  RateLimiter(double rate_per_second, double burst, const Clock& clock,
              std::string name = "rate_limiter", size_t max_keys = 100'000)
      : rate_(rate_per_second),
        burst_(burst),
        clock_(clock),
        refused_(metrics::Registry::Default().GetCounter(
            "rate_limit_refusals_total", "Requests refused by a rate limit", {{"limiter", name}})),
        buckets_(std::move(name), max_keys) {}

  // Takes one token for `key`; false when none is left.
  bool Allow(const std::string& key) { return TakeOrWait(key) == absl::ZeroDuration(); }
  // Takes one token, or answers RESOURCE_EXHAUSTED with `message` and the time
  // until the next token (the client's Retry-After).
  absl::Status Take(const std::string& key, std::string_view message);
  // Zero when a token was taken, otherwise how long until one is there.
  absl::Duration TakeOrWait(const std::string& key);
  size_t keys() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double rate_;
  double burst_;
  const Clock& clock_;
  metrics::Counter& refused_;
  std::mutex mutex_;  // a take is one read-modify-write of a bucket
  LruCache<std::string, Bucket> buckets_;
};

}  // namespace messenger::gateway
