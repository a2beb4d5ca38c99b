// The sync feed statements run on their generic plan (issues 14/16): their
// custom plans took ~2 ms to make per call (pg_stat_statements in the
// federation bench) for 0.3 ms of work. PostgreSQL's own choice makes five
// custom plans before it compares, and keeps making them when its
// estimates rate the generic plan costlier; the store forces the generic
// one. Checked on the plan counters of the session (pg_prepared_statements),
// not on time: deterministic on a loaded machine.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/testing/testing.h"
#include "messaging-service/src/storage/queries.h"
#include "messaging-service/test/messaging_pg_fixture.h"

namespace messenger::messaging {
namespace {

constexpr pg::Query kPlanCounts{
    "t_plan_counts",
    "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1"};
constexpr pg::Query kPlanCacheMode{"t_plan_cache_mode",
                                   "SELECT current_setting('plan_cache_mode')"};

class SyncPlanPgTest : public testing_users::MessagingPgFixture<> {
 protected:
  void SetUp() override {
    // One connection: the counters are the session's, and every read below
    // runs on it.
    ASSERT_NO_FATAL_FAILURE(OpenStore(1));
    alice_ = LocalUser("alice");
    bob_ = LocalUser("bob");
    for (int i = 0; i < 3; ++i) {
      const std::string text = "hi-" + std::to_string(i);  // also the client's message id
      auto sent = manager_->Send({alice_, "dev1", bob_, std::nullopt, text, text});
      ASSERT_TRUE(sent.ok()) << sent.status();
    }
  }

  // (generic, custom) plans the session has made for statement `name`.
  std::pair<int64_t, int64_t> Plans(const std::string& name) {
    auto r = pool_->Exec(kPlanCounts, {name});
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || r->rows() != 1) return {-1, -1};
    return {r->GetInt64(0, 0), r->GetInt64(0, 1)};
  }

  // Whether `user`'s feed shows `messages` messages within 10 s: a send's
  // rows are read once no older transaction is open (the stream horizon),
  // which on a busy machine may take a moment (the outbox relay's).
  bool AllBelowTheHorizon(const std::string& user, size_t messages);

  std::string alice_, bob_;
};

size_t Messages(const SyncPage& page) {
  size_t n = 0;
  for (const SyncRow& row : page.rows) n += row.kind == "message";
  return n;
}

bool SyncPlanPgTest::AllBelowTheHorizon(const std::string& user, size_t messages) {
  return testing::WaitUntil(
      [&] {
        absl::StatusOr<SyncPage> page = store_->SyncRows(user, SyncKey{}, 100);
        return page.ok() && Messages(*page) == messages;
      },
      absl::Seconds(10), absl::Milliseconds(20));
}

TEST_F(SyncPlanPgTest, SyncReadsRunOnTheirGenericPlan) {
  ASSERT_TRUE(AllBelowTheHorizon(bob_, 3));
  constexpr int kReads = 8;  // more than the five custom plans of PostgreSQL's choice
  for (int i = 0; i < kReads; ++i) {
    auto single = store_->SyncRows(bob_, SyncKey{}, 100);
    ASSERT_TRUE(single.ok()) << single.status();
    EXPECT_EQ(Messages(*single), 3u);  // the messages, as before
    auto many = store_->SyncRowsMany({{bob_, SyncKey{}}, {alice_, SyncKey{}}}, 100);
    ASSERT_TRUE(many.ok()) << many.status();
    ASSERT_EQ(many->size(), 2u);
    EXPECT_EQ(Messages((*many)[0]), 3u);
  }
  const auto [single_generic, single_custom] = Plans(queries::kSyncRows.name);
  EXPECT_GE(single_generic, kReads);  // and the reads of AllBelowTheHorizon
  EXPECT_EQ(single_custom, 0);
  EXPECT_EQ(Plans(queries::kSyncRowsMany.name), std::make_pair(int64_t{kReads}, int64_t{0}));
}

// A page that ends inside a transaction is finished by a second kSyncRows:
// that one too is generic.
TEST_F(SyncPlanPgTest, FinishingAPageRunsOnTheGenericPlanToo) {
  auto page = store_->SyncRows(bob_, SyncKey{}, 1);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->full);
  const auto [generic, custom] = Plans(queries::kSyncRows.name);
  EXPECT_EQ(custom, 0);
  EXPECT_GE(generic, 1);
}

// The setting holds for the sync statements only: the session is back to
// PostgreSQL's own choice for every other statement, after a read and after
// a read that failed.
TEST_F(SyncPlanPgTest, OtherStatementsKeepPostgresChoice) {
  ASSERT_TRUE(store_->SyncRows(bob_, SyncKey{}, 100).ok());
  auto mode = pool_->Exec(kPlanCacheMode);
  ASSERT_TRUE(mode.ok()) << mode.status();
  EXPECT_EQ(mode->GetString(0, 0), "auto");

  EXPECT_FALSE(store_->SyncRows("not a uuid", SyncKey{}, 100).ok());
  mode = pool_->Exec(kPlanCacheMode);
  ASSERT_TRUE(mode.ok()) << mode.status();
  EXPECT_EQ(mode->GetString(0, 0), "auto");
}

// A reader in 32 joined rooms or more reads by key (room by room would cost
// a probe per room), one in fewer room by room; a batch of both kinds gets
// two statements and each reader its own rows.
TEST_F(SyncPlanPgTest, AReaderInManyRoomsReadsByKeyAndAMixedBatchAnswersEach) {
  const std::string carol = LocalUser("carol");
  std::string group;
  for (int i = 0; i < 32; ++i) {
    auto room = manager_->CreateGroup(carol, "g" + std::to_string(i), {alice_});
    ASSERT_TRUE(room.ok()) << room.status();
    group = room->room_id;
  }
  auto sent = manager_->Send({carol, "dev1", std::nullopt, group, "in a group", "g-msg"});
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_TRUE(AllBelowTheHorizon(carol, 1));
  // bob: 1 room, room by room; alice: 33, carol: 32, by key.
  auto many = store_->SyncRowsMany({{alice_, SyncKey{}}, {bob_, SyncKey{}}, {carol, SyncKey{}}},
                                   100);
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ(Messages((*many)[0]), 4u);  // the three direct ones and the group's
  EXPECT_EQ(Messages((*many)[1]), 3u);
  EXPECT_EQ(Messages((*many)[2]), 1u);
  const auto [by_room_generic, by_room_custom] = Plans(queries::kSyncRowsMany.name);
  EXPECT_EQ(by_room_generic + by_room_custom, 1);
  const auto [by_key_generic, by_key_custom] = Plans(queries::kSyncRowsManyByKey.name);
  EXPECT_EQ(by_key_generic + by_key_custom, 1);
  const auto [single_generic, single_custom] = Plans(queries::kSyncRowsByKey.name);
  EXPECT_GE(single_generic + single_custom, 1);  // AllBelowTheHorizon's, carol's
  // kSyncRows was never prepared on the session: carol's reads were by key.
  EXPECT_EQ(Plans(queries::kSyncRows.name), std::make_pair(int64_t{-1}, int64_t{-1}));
}

}  // namespace
}  // namespace messenger::messaging
