#include "messaging-service/src/domain/stream_tracker.h"

#include <gtest/gtest.h>

namespace messenger::messaging {
namespace {

TEST(StreamTracker, WatermarkWaitsForTheLowestOpenPosition) {
  StreamTracker t;
  t.Reset(10);
  EXPECT_EQ(t.Watermark(), 10);
  const int64_t a = t.Allocate(), b = t.Allocate(), c = t.Allocate();
  EXPECT_EQ(a, 11);
  EXPECT_EQ(c, 13);
  EXPECT_EQ(t.Watermark(), 10);
  EXPECT_TRUE(t.Lagging());
  t.Finish(c);  // 13 committed first: 11 and 12 may still appear
  EXPECT_EQ(t.Watermark(), 10);
  t.Finish(a);
  EXPECT_EQ(t.Watermark(), 11);
  t.Finish(b);  // rolled back or committed: either way settled
  EXPECT_EQ(t.Watermark(), 13);
  EXPECT_FALSE(t.Lagging());
}

}  // namespace
}  // namespace messenger::messaging
