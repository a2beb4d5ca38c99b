// Per-key token buckets: `burst` requests at once, refilled at `rate` per
// second. Keys idle long enough to be full again are forgotten.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "common/clock.h"

namespace messenger::gateway {

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst, const Clock& clock)
      : rate_(rate_per_second), burst_(burst), clock_(clock) {}

  // Takes one token for `key`; false when none is left.
  bool Allow(const std::string& key);

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
