// Shard leases of several replicas against a real PostgreSQL: the fair
// share, a joining replica, a dead one's shards moving, drain.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "common/pg/pg.h"
#include "common/testing/testing.h"
#include "messaging-service/src/sharding/lease_holder.h"
#include "messaging-service/src/sharding/shard_plan.h"
#include "messaging_migrations.h"

namespace messenger::messaging {
namespace {

constexpr pg::Query kOwners{"t_owners", "SELECT count(*) FROM shard_owners WHERE replica_id = $1"};
// Only this test's database: the other lease tests run alongside with the
// same replica names, and killing their "b" failed them.
constexpr pg::Query kKill{"t_kill",
                          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'messaging-lease ' || $1 "
                          "AND datname = current_database()"};

class LeaseHolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        testing::OpenTestDatabase("messaging", 2, {&pg::MessagingMigrations()}, &db_, &pool_).ok());
  }
  std::unique_ptr<LeaseHolder> Holder(const std::string& id) {
    // Rounds are driven by the test: the timer would fire after an hour.
    return std::make_unique<LeaseHolder>(LeaseHolder::Options{.dsn = db_->dsn(),
                                                              .replica_id = id,
                                                              .address = id + ":9105",
                                                              .interval = absl::Hours(1),
                                                              .stale_after = absl::Seconds(2)},
                                         [this](int) { ++gained_; });
  }
  int64_t OwnerRows(const std::string& id) {
    auto r = pool_->Exec(kOwners, {id});
    return r.ok() ? r->GetInt64(0, 0) : -1;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::atomic<int> gained_ = 0;
};

TEST_F(LeaseHolderTest, ReplicasShareTheShardsAndForwardingKnowsTheOwner) {
  auto a = Holder("a");
  {
    const absl::Status started = a->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  EXPECT_EQ(a->held().size(), 64u);  // alone: everything
  EXPECT_EQ(gained_, 64);
  EXPECT_EQ(OwnerRows("a"), 64);

  auto b = Holder("b");
  {
    const absl::Status started = b->Start();
    ASSERT_TRUE(started.ok()) << started;
  }  // all held: b takes nothing yet
  EXPECT_TRUE(b->held().empty());
  {
    const absl::Status round = a->Round();
    ASSERT_TRUE(round.ok()) << round;
  }  // two live now: a gives back the upper half
  EXPECT_EQ(a->held().size(), 32u);
  {
    const absl::Status round = b->Round();
    ASSERT_TRUE(round.ok()) << round;
  }
  EXPECT_EQ(b->held().size(), 32u);
  {
    const absl::Status round = a->Round();
    ASSERT_TRUE(round.ok()) << round;
  }  // learns the owners
  EXPECT_EQ(OwnerRows("a"), 32);
  EXPECT_EQ(OwnerRows("b"), 32);

  const int of_b = *b->held().begin();
  EXPECT_TRUE(b->OwnerOf(of_b).here);
  LeaseHolder::Owner owner = a->OwnerOf(of_b);
  EXPECT_FALSE(owner.here);
  EXPECT_EQ(owner.address, "b:9105");
  EXPECT_FALSE(a->TryTake(of_b));  // held: no second writer
}

TEST_F(LeaseHolderTest, ADeadReplicasShardsMoveAndItComesBackWithNone) {
  auto a = Holder("a");
  auto b = Holder("b");
  {
    const absl::Status started = a->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  {
    const absl::Status started = b->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  {
    const absl::Status round = a->Round();
    ASSERT_TRUE(round.ok()) << round;
  }
  {
    const absl::Status round = b->Round();
    ASSERT_TRUE(round.ok()) << round;
  }
  ASSERT_EQ(b->held().size(), 32u);
  const int of_b = *b->held().begin();

  // b's session ends as when its process is killed: its locks go at once.
  ASSERT_TRUE(pool_->Exec(kKill, {"b"}).ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        (void)a->Round();
        return a->OwnerOf(of_b).address.empty();
      },
      absl::Seconds(10)));
  // A write for a room of the free shard takes it at once (below the share).
  EXPECT_TRUE(a->TryTake(of_b));
  // Once b's heartbeat is stale a holds everything.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        (void)a->Round();
        return a->held().size() == 64u;
      },
      absl::Seconds(20)));
  // b finds its connection gone: it holds nothing, and takes nothing held.
  EXPECT_FALSE(b->Round().ok());
  EXPECT_TRUE(b->held().empty());
  {
    const absl::Status round = b->Round();
    ASSERT_TRUE(round.ok()) << round;
  }
  EXPECT_TRUE(b->held().empty());
  EXPECT_FALSE(b->OwnerOf(of_b).here);
}

TEST_F(LeaseHolderTest, StopGivesEverythingBackAtOnce) {
  auto a = Holder("a");
  auto b = Holder("b");
  {
    const absl::Status started = a->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  {
    const absl::Status started = b->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  a->Stop();  // drain
  EXPECT_EQ(OwnerRows("a"), 0);
  // b sees every shard free; a's registry row is gone, so b's share is all.
  {
    const absl::Status round = b->Round();
    ASSERT_TRUE(round.ok()) << round;
  }
  EXPECT_EQ(b->held().size(), 64u);
}

}  // namespace
}  // namespace messenger::messaging
