#include "messaging-service/src/domain/stream_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace messenger::messaging {
namespace {

const std::vector<std::string> kNobody;

TEST(StreamTracker, WatermarkWaitsForTheLowestOpenPosition) {
  StreamTracker t;
  t.Reset(10);
  EXPECT_EQ(t.Watermark(), 10);
  const int64_t a = t.Allocate(kNobody), b = t.Allocate(kNobody), c = t.Allocate(kNobody);
  EXPECT_EQ(a, 11);
  EXPECT_EQ(c, 13);
  EXPECT_EQ(t.Watermark(), 10);
  t.Finish(c);  // 13 committed first: 11 and 12 may still appear
  EXPECT_EQ(t.Watermark(), 10);
  t.Finish(a);
  EXPECT_EQ(t.Watermark(), 11);
  t.Finish(b);  // rolled back or committed: either way settled
  EXPECT_EQ(t.Watermark(), 13);
}

TEST(StreamTracker, KnowsWhoseStreamHasSomethingAbovePosition) {
  StreamTracker t;
  t.Reset(10);
  const int64_t p = t.Allocate({"alice", "bob"});
  t.Allocate({"carol"});
  EXPECT_TRUE(t.MayHaveAfter("alice", 10));
  EXPECT_TRUE(t.MayHaveAfter("bob", p - 1));
  EXPECT_FALSE(t.MayHaveAfter("alice", p));  // already read up to it
  EXPECT_FALSE(t.MayHaveAfter("carol", p + 1));
  EXPECT_TRUE(t.MayHaveAfter("carol", p));
  EXPECT_FALSE(t.MayHaveAfter("dave", 10));  // nothing since start-up
}

TEST(StreamTracker, PositionsBeforeStartUpAreUnknown) {
  StreamTracker t;
  t.Reset(10);
  // Rows at or below 10 were written by another process: read them.
  EXPECT_TRUE(t.MayHaveAfter("dave", 9));
  EXPECT_TRUE(t.MayHaveAfter("dave", 0));
  EXPECT_FALSE(t.MayHaveAfter("dave", 10));
}

TEST(StreamTracker, ForgettingReadersKeepsAnswersSafe) {
  StreamTracker t(/*max_readers=*/2);
  t.Reset(0);
  const int64_t first = t.Allocate({"alice", "bob"});
  EXPECT_FALSE(t.MayHaveAfter("carol", 0));
  const int64_t second = t.Allocate({"carol"});  // over the limit: alice and bob forgotten
  EXPECT_TRUE(t.MayHaveAfter("carol", first));
  // alice may have something above `first - 1` and nobody remembers: read.
  EXPECT_TRUE(t.MayHaveAfter("alice", first - 1));
  EXPECT_TRUE(t.MayHaveAfter("alice", second - 1));
  EXPECT_FALSE(t.MayHaveAfter("alice", second));
  EXPECT_FALSE(t.MayHaveAfter("carol", second));
}

TEST(StreamTracker, TheLeastRecentlyActiveReaderIsForgottenFirst) {
  StreamTracker t(/*max_readers=*/2);
  t.Reset(0);
  const int64_t first = t.Allocate({"alice", "bob"});
  EXPECT_FALSE(t.MayHaveAfter("alice", first));   // alice polls; bob does not
  const int64_t second = t.Allocate({"carol"});   // bob goes, alice stays known
  EXPECT_FALSE(t.MayHaveAfter("alice", first));   // still answered from memory
  EXPECT_TRUE(t.MayHaveAfter("bob", first - 1));  // forgotten: may have rows, read
  EXPECT_TRUE(t.MayHaveAfter("carol", first));
  EXPECT_FALSE(t.MayHaveAfter("carol", second));
}

}  // namespace
}  // namespace messenger::messaging
