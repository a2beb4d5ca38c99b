#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/pg/migrations.h"
#include "common/log.h"
#include "common/pg/pg.h"
#include "common/testing/testing.h"
#include "common/trace.h"

namespace messenger::pg {
namespace {

class PgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db).release();
  }
  static void TearDownTestSuite() { delete db_; }

  void SetUp() override {
    auto pool = Pool::Create({.dsn = db_->dsn(), .size = 4, .schema = "pgtest"});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
    ASSERT_TRUE(Migrate(*pool_, {&Schema()}).ok());
  }

  static const Migrations& Schema() {
    static const Migrations kMigrations{
        "pgtest",
        {{1, "things",
          "CREATE TABLE things (id bigserial PRIMARY KEY, name text NOT NULL, "
          "CONSTRAINT things_name_key UNIQUE (name), at timestamptz, raw bytea, n int8)"},
         {2, "counter", "CREATE TABLE counter (id int PRIMARY KEY, value int8 NOT NULL); "
                        "INSERT INTO counter VALUES (1, 0)"}}};
    return kMigrations;
  }

  static testing::TestDatabase* db_;
  std::unique_ptr<Pool> pool_;
};

testing::TestDatabase* PgTest::db_ = nullptr;

constexpr Query kInsert{"t_insert",
                        "INSERT INTO things (name, at, raw, n) VALUES ($1, $2, $3, $4) RETURNING id"};
constexpr Query kSelect{"t_select", "SELECT name, at, raw, n FROM things WHERE name = $1"};

TEST_F(PgTest, ParametersAndResultsRoundTrip) {
  const absl::Time at = absl::FromUnixMicros(1'800'000'000'123'456);
  const std::string raw("\x00\x01\xff", 3);
  auto inserted = pool_->Exec(kInsert, {"round", at, Param::Bytes(raw), int64_t{1} << 40});
  ASSERT_TRUE(inserted.ok()) << inserted.status();
  auto row = pool_->Exec(kSelect, {"round"});
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->rows(), 1);
  EXPECT_EQ(row->Get(0, 0), "round");
  EXPECT_EQ(row->GetTime(0, 1), at);
  EXPECT_EQ(row->GetBytes(0, 2), raw);
  EXPECT_EQ(row->GetInt64(0, 3), int64_t{1} << 40);

  ASSERT_TRUE(pool_->Exec(kInsert, {"nulls", nullptr, nullptr, std::optional<int64_t>()}).ok());
  auto nulls = pool_->Exec(kSelect, {"nulls"});
  ASSERT_TRUE(nulls.ok());
  EXPECT_TRUE(nulls->IsNull(0, 1));
  EXPECT_FALSE(nulls->GetOptionalTime(0, 1).has_value());
  EXPECT_TRUE(nulls->IsNull(0, 3));
}

TEST_F(PgTest, UniqueViolationNamesTheConstraint) {
  ASSERT_TRUE(pool_->Exec(kInsert, {"dup", nullptr, nullptr, nullptr}).ok());
  auto again = pool_->Exec(kInsert, {"dup", nullptr, nullptr, nullptr});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(IsUniqueViolation(again.status(), "things_name_key"));
  EXPECT_FALSE(IsUniqueViolation(again.status(), "other_key"));
}

TEST_F(PgTest, TransactionRollsBackOnError) {
  absl::Status status = pool_->Transaction([](Tx& tx) -> absl::Status {
    auto r = tx.Exec(kInsert, {"rolled-back", nullptr, nullptr, nullptr});
    if (!r.ok()) return r.status();
    return absl::AbortedError("changed my mind");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  auto row = pool_->Exec(kSelect, {"rolled-back"});
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->rows(), 0);
}

TEST_F(PgTest, AfterCommitRunsOnlyOnCommit) {
  int ran = 0;
  ASSERT_TRUE(pool_->Transaction([&](Tx& tx) {
                     tx.AfterCommit([&] { ++ran; });
                     return absl::OkStatus();
                   })
                  .ok());
  EXPECT_EQ(ran, 1);
  (void)pool_->Transaction([&](Tx& tx) {
    tx.AfterCommit([&] { ++ran; });
    return absl::InternalError("no");
  });
  EXPECT_EQ(ran, 1);
}

TEST_F(PgTest, ConcurrentIncrementsAreNotLost) {
  static constexpr Query kIncrement{
      "t_increment", "UPDATE counter SET value = value + 1 WHERE id = 1"};
  static constexpr Query kRead{"t_read", "SELECT value FROM counter WHERE id = 1"};
  auto before = pool_->Exec(kRead);
  ASSERT_TRUE(before.ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (!pool_->Transaction([](Tx& tx) { return tx.Exec(kIncrement).status(); }).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto after = pool_->Exec(kRead);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->GetInt64(0, 0) - before->GetInt64(0, 0), 200);
  EXPECT_EQ(pool_->in_use(), 0);
}

TEST_F(PgTest, MigrationsAreRecordedAndAppliedOnce) {
  static constexpr Query kCount{"t_migrations",
                                "SELECT count(*) FROM schema_migrations WHERE component = 'pgtest'"};
  static constexpr Query kCounterRows{"t_counter_rows", "SELECT count(*) FROM counter"};
  // ctest runs each test in a process of its own, so SetUp's Migrate may have
  // been the first: run it twice more here. Applied again, V1's CREATE TABLE
  // and V2's INSERT would fail (or V2 would add a second counter row).
  for (int round = 0; round < 2; ++round) {
    absl::Status again = Migrate(*pool_, {&Schema()});
    ASSERT_TRUE(again.ok()) << "round " << round << ": " << again;
  }
  auto count = pool_->Exec(kCount);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->GetInt64(0, 0), 2);
  auto counters = pool_->Exec(kCounterRows);
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->GetInt64(0, 0), 1);
}

TEST_F(PgTest, BrokenMigrationFailsWithItsNameAndLeavesNothing) {
  static const Migrations kBad{"pgtest_bad",
                               {{1, "half", "CREATE TABLE half (id int); SELECT no_such_fn()"}}};
  absl::Status status = Migrate(*pool_, {&kBad});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("pgtest_bad V1 half"), std::string::npos) << status;
  static constexpr Query kHalf{"t_half", "SELECT to_regclass('pgtest.half') IS NULL"};
  auto gone = pool_->Exec(kHalf);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->GetBool(0, 0));
}

TEST_F(PgTest, ErrorsTellClientsNoSqlAndLogTheDetail) {
  static constexpr Query kBadValue{"t_bad_value", "SELECT $1::uuid"};
  trace::ScopedTrace trace("4bf92f3577b34da6a3ce929d0e0e4736");
  ::testing::internal::CaptureStderr();
  absl::StatusOr<Result> result = pool_->Exec(kBadValue, {"not-a-uuid"});
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SqlState(result.status()), "22P02");
  // What a client would read names no statement and carries no PostgreSQL text.
  const std::string message(result.status().message());
  EXPECT_EQ(message.find("t_bad_value"), std::string::npos) << message;
  EXPECT_EQ(message.find("uuid"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-a-uuid"), std::string::npos) << message;
  // The log line has it, with the trace id.
  EXPECT_NE(log.find("t_bad_value"), std::string::npos) << log;
  EXPECT_NE(log.find("invalid input syntax for type uuid"), std::string::npos) << log;
  EXPECT_NE(log.find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos) << log;
}

TEST(PgPool, UnreachableServerIsUnavailable) {
  auto pool = Pool::Create(
      {.dsn = "host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2", .size = 1});
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kUnavailable);
  // Hosts and ports stay in the log.
  EXPECT_EQ(pool.status().message().find("127.0.0.1"), std::string::npos) << pool.status();
}

}  // namespace
}  // namespace messenger::pg
