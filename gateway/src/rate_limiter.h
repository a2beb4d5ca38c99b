// Per-key token buckets: `burst` requests at once, refilled at `rate` per
// second. Keys idle long enough to be full again are forgotten.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace messenger::gateway {

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst, const Clock& clock)
      : rate_(rate_per_second), burst_(burst), clock_(clock) {}

  // Takes one token for `key`; false when none is left.
  bool Allow(const std::string& key) { return TakeOrWait(key) == absl::ZeroDuration(); }
  // Takes one token, or answers RESOURCE_EXHAUSTED with `message` and the time
  // until the next token (the client's Retry-After).
  absl::Status Take(const std::string& key, std::string_view message);
  // Zero when a token was taken, otherwise how long until one is there.
  absl::Duration TakeOrWait(const std::string& key);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double rate_;
  double burst_;
  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  absl::Time last_sweep_;
};

}  // namespace messenger::gateway
