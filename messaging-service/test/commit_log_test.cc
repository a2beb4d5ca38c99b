// CommitLog: commits of several writers announced out of order, late or not
// at all; the watermark never passes a position whose readers are unknown
// unless it counts them as "anyone may have rows".
#include "messaging-service/src/domain/commit_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace messenger::messaging {
namespace {

TEST(CommitLog, OutOfOrderCommitsHoldTheWatermarkAtTheGap) {
  CommitLog log;
  log.Reset(10);
  log.Committed(13, 14, {"bob"});  // writer B committed after A, heard first
  EXPECT_EQ(log.Watermark(), 10);
  EXPECT_TRUE(log.MayHaveAfter("bob", 10));
  EXPECT_FALSE(log.MayHaveAfter("alice", 10));  // as far as anyone said
  log.Committed(11, 12, {"alice"});
  EXPECT_EQ(log.Watermark(), 14);
  EXPECT_TRUE(log.MayHaveAfter("alice", 10));
  EXPECT_FALSE(log.MayHaveAfter("alice", 12));
  EXPECT_FALSE(log.MayHaveAfter("bob", 14));
}

TEST(CommitLog, PositionsBeforeStartUpAreUnknown) {
  CommitLog log;
  log.Reset(10);
  EXPECT_TRUE(log.MayHaveAfter("dave", 9));
  EXPECT_FALSE(log.MayHaveAfter("dave", 10));
}

TEST(CommitLog, ALostAnnouncementIsClosedAtTheSecondHeadReadAsUnknown) {
  CommitLog log;
  log.Reset(10);
  log.Committed(12, 12, {"bob"});  // 11 was committed by a writer whose news is lost
  log.HeadIs(12);
  EXPECT_EQ(log.Watermark(), 10);  // 11 may still be on its way
  log.HeadIs(12);
  EXPECT_EQ(log.Watermark(), 12);
  EXPECT_TRUE(log.MayHaveAfter("carol", 11));  // read the database, never skip 11
  EXPECT_FALSE(log.MayHaveAfter("carol", 12));
}

TEST(CommitLog, ALateAnnouncementFillsItsGapWithoutUnknowns) {
  CommitLog log;
  log.Reset(10);
  log.HeadIs(11);
  log.Committed(11, 11, {"alice"});
  log.HeadIs(11);
  EXPECT_EQ(log.Watermark(), 11);
  EXPECT_FALSE(log.MayHaveAfter("zed", 10));  // known: 11 was alice's only
  EXPECT_TRUE(log.MayHaveAfter("alice", 10));
}

TEST(CommitLog, RepeatedAndOverlappingAnnouncementsAreHarmless) {
  CommitLog log;
  log.Reset(0);
  log.Committed(1, 1, {"a"});
  log.Committed(1, 1, {"a"});
  log.Committed(3, 5, {"b"});
  log.Committed(2, 4, {"c"});
  EXPECT_EQ(log.Watermark(), 5);
  log.Committed(4, 4, {"a"});  // below the watermark: only its reader is noted
  EXPECT_EQ(log.Watermark(), 5);
  EXPECT_TRUE(log.MayHaveAfter("a", 3));
}

TEST(CommitLog, ForgottenReadersMayHaveRows) {
  CommitLog log(/*max_readers=*/1);
  log.Reset(0);
  log.Committed(1, 1, {"alice"});
  log.Committed(2, 2, {"bob"});  // alice is pushed out
  EXPECT_TRUE(log.MayHaveAfter("alice", 0));
  EXPECT_TRUE(log.MayHaveAfter("alice", 1));
  EXPECT_FALSE(log.MayHaveAfter("bob", 2));
}

}  // namespace
}  // namespace messenger::messaging
