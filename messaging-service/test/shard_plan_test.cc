#include "messaging-service/src/sharding/shard_plan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace messenger::messaging {
namespace {

std::set<int> Range(int from, int to) {  // [from, to)
  std::set<int> out;
  for (int i = from; i < to; ++i) out.insert(i);
  return out;
}

TEST(ShardPlan, ShardOfIsStableAndSpreads) {
  EXPECT_EQ(ShardOf("!abc:localhost"), ShardOf(std::string("!abc:localhost")));
  EXPECT_EQ(ShardOf(""), static_cast<int>(2166136261u % kShardCount));
  std::set<int> seen;
  for (int i = 0; i < 1000; ++i) {
    const int shard = ShardOf("!room" + std::to_string(i) + ":localhost");
    ASSERT_GE(shard, 0);
    ASSERT_LT(shard, kShardCount);
    seen.insert(shard);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kShardCount));
}

TEST(ShardPlan, FairShareIsTheCeiling) {
  EXPECT_EQ(FairShare(0), 64);
  EXPECT_EQ(FairShare(1), 64);
  EXPECT_EQ(FairShare(2), 32);
  EXPECT_EQ(FairShare(3), 22);
  EXPECT_EQ(FairShare(64), 1);
  EXPECT_EQ(FairShare(100), 1);
}

TEST(ShardPlan, AloneTakesEverything) {
  LeasePlan plan = PlanLeases({}, {}, 1);
  EXPECT_EQ(plan.take.size(), 64u);
  EXPECT_TRUE(plan.release.empty());
}

TEST(ShardPlan, TakesOnlyFreeShardsUpToTheShare) {
  // Another replica holds 0..21; this one holds nothing; three are live.
  LeasePlan plan = PlanLeases({}, Range(0, 22), 3);
  ASSERT_EQ(plan.take.size(), 22u);
  EXPECT_EQ(plan.take.front(), 22);
  EXPECT_EQ(plan.take.back(), 43);
  EXPECT_TRUE(plan.release.empty());
}

TEST(ShardPlan, AtTheShareNothingChanges) {
  LeasePlan plan = PlanLeases(Range(0, 22), Range(0, 44), 3);
  EXPECT_TRUE(plan.take.empty());
  EXPECT_TRUE(plan.release.empty());
}

TEST(ShardPlan, GivesBackExtrasWhenEveryShardIsHeldAndAReplicaJoined) {
  // Alone before, a second replica is live now and finds nothing free.
  LeasePlan plan = PlanLeases(Range(0, 64), Range(0, 64), 2);
  ASSERT_EQ(plan.release.size(), 32u);
  EXPECT_EQ(plan.release.front(), 63);
  EXPECT_EQ(plan.release.back(), 32);
  EXPECT_TRUE(plan.take.empty());
}

TEST(ShardPlan, KeepsExtrasWhileShardsAreFree) {
  // A dead replica still counts as live for a moment; its shards are free.
  // Holding 30 > 22 is fine then: giving them back would move them twice.
  LeasePlan plan = PlanLeases(Range(0, 30), Range(0, 50), 3);
  EXPECT_TRUE(plan.release.empty());
  EXPECT_TRUE(plan.take.empty());
  // Once the dead one is stale the survivors' share grows and the rest moves.
  plan = PlanLeases(Range(0, 30), Range(0, 50), 2);
  EXPECT_EQ(plan.take, std::vector<int>({50, 51}));
}

}  // namespace
}  // namespace messenger::messaging
