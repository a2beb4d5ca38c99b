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

  std::string alice_, bob_;
};

size_t Messages(const SyncPage& page) {
  size_t n = 0;
  for (const SyncRow& row : page.rows) n += row.kind == "message";
  return n;
}

TEST_F(SyncPlanPgTest, SyncReadsRunOnTheirGenericPlan) {
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
  EXPECT_EQ(Plans(queries::kSyncRows.name), std::make_pair(int64_t{kReads}, int64_t{0}));
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

}  // namespace
}  // namespace messenger::messaging
