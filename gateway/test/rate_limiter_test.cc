#include "gateway/src/rate_limiter.h"

#include <gtest/gtest.h>

namespace messenger::gateway {
namespace {

TEST(RateLimiter, BurstThenRate) {
  FakeClock clock;
  RateLimiter limiter(/*rate_per_second=*/2, /*burst=*/3, clock);
  EXPECT_TRUE(limiter.Allow("u"));
  EXPECT_TRUE(limiter.Allow("u"));
  EXPECT_TRUE(limiter.Allow("u"));
  EXPECT_FALSE(limiter.Allow("u"));
  EXPECT_TRUE(limiter.Allow("other"));  // per key
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(limiter.Allow("u"));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(limiter.Allow("u"));
  EXPECT_FALSE(limiter.Allow("u"));
  clock.Advance(absl::Hours(1));  // refills only up to the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("u"));
  EXPECT_FALSE(limiter.Allow("u"));
}

}  // namespace
}  // namespace messenger::gateway
