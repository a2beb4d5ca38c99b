#include "gateway/src/rate_limiter.h"

#include <gtest/gtest.h>

#include "common/status_mapping.h"

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

TEST(RateLimiter, RefusalSaysWhenToRetry) {
  FakeClock clock;
  RateLimiter limiter(/*rate_per_second=*/0.5, /*burst=*/1, clock);
  EXPECT_TRUE(limiter.Take("u", "slow down").ok());
  absl::Status refused = limiter.Take("u", "slow down");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(), "slow down");
  ASSERT_TRUE(RetryAfter(refused).has_value());
  EXPECT_EQ(*RetryAfter(refused), absl::Seconds(2));
  EXPECT_EQ(RetryAfterSeconds(refused), 2);
}

TEST(RateLimiter, KeepsAtMostMaxKeysBuckets) {
  FakeClock clock;
  RateLimiter limiter(/*rate_per_second=*/1, /*burst=*/1, clock, "test_limiter", /*max_keys=*/100);
  for (int i = 0; i < 10'000; ++i) limiter.Allow("10.0." + std::to_string(i));
  EXPECT_EQ(limiter.keys(), 100u);
  // Recent keys are still limited.
  EXPECT_FALSE(limiter.Allow("10.0.9999"));
}

}  // namespace
}  // namespace messenger::gateway
