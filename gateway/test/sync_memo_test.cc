#include "gateway/src/sync_memo.h"

#include <gtest/gtest.h>

namespace messenger::gateway {
namespace {

TEST(SyncMemo, SkipsOnlyFromTheRememberedTokenWithoutAWakeUp) {
  SyncMemo memo;
  EXPECT_FALSE(memo.NothingSince("alice", "t5", 3));  // never answered
  memo.Remember("alice", "t5", 3);
  EXPECT_TRUE(memo.NothingSince("alice", "t5", 3));
  EXPECT_FALSE(memo.NothingSince("alice", "t5", 4));  // woken since
  EXPECT_FALSE(memo.NothingSince("alice", "t4", 3));  // another device, older token
  EXPECT_FALSE(memo.NothingSince("bob", "t5", 3));
  memo.Forget("alice");  // an answer that left news pending
  EXPECT_FALSE(memo.NothingSince("alice", "t5", 3));
}

TEST(SyncMemo, ForgetsTheLeastRecentlyAnsweredWhenFull) {
  SyncMemo memo(/*max_users=*/2);
  memo.Remember("alice", "t1", 1);
  memo.Remember("bob", "t1", 1);
  memo.Remember("bob", "t2", 2);  // an update, not a new user
  EXPECT_TRUE(memo.NothingSince("alice", "t1", 1));  // alice is now the most recent
  memo.Remember("carol", "t1", 1);
  EXPECT_TRUE(memo.NothingSince("alice", "t1", 1));
  EXPECT_FALSE(memo.NothingSince("bob", "t2", 2));
  EXPECT_TRUE(memo.NothingSince("carol", "t1", 1));
}

}  // namespace
}  // namespace messenger::gateway
