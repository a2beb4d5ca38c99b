// The sync stream's horizon (storage/stream_horizon_sql.h) against a real
// PostgreSQL: a transaction of another database of the cluster does not hold
// it back; one of ours, or our own, does.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "common/testing/testing.h"
#include "messaging-service/src/storage/pg_matrix_sync_store.h"
#include "messaging-service/src/storage/queries.h"
#include "messaging-service/test/messaging_pg_fixture.h"
#include "messaging-service/test/sync_settle.h"

namespace messenger::messaging {
namespace {

constexpr pg::Query kTakeXid{"t_take_xid", "SELECT pg_current_xact_id()::text"};
constexpr pg::Query kEventXid{"t_event_xid", "SELECT xid::text FROM events WHERE event_id = $1"};

// A session of its own on `dsn`, outside the pool.
class Session {
 public:
  explicit Session(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {}
  ~Session() { PQfinish(conn_); }
  // The first value of the last statement of `sql` ("" if none or failed).
  std::string Value(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string value;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) value = PQgetvalue(r, 0, 0);
    EXPECT_NE(PQresultStatus(r), PGRES_FATAL_ERROR) << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
    return value;
  }
  uint64_t Xid(const std::string& sql) {
    uint64_t xid = 0;
    (void)absl::SimpleAtoi(Value(sql), &xid);
    return xid;
  }

 private:
  PGconn* conn_;
};

// A session with an open transaction that has an xid, rolled back by End or
// when it closes.
class OpenTransaction {
 public:
  explicit OpenTransaction(const std::string& dsn)
      : session_(dsn), xid_(session_.Xid("BEGIN; SELECT pg_current_xact_id()::text")) {}
  uint64_t xid() const { return xid_; }  // 0: it could not start
  void End() { session_.Value("ROLLBACK"); }

 private:
  Session session_;
  uint64_t xid_;
};

uint64_t XidOf(const pg::Result& r, int col) {
  uint64_t xid = 0;
  EXPECT_TRUE(absl::SimpleAtoi(r.GetString(0, col), &xid)) << r.GetString(0, col);
  return xid;
}

class StreamHorizonPgTest : public testing_users::MessagingPgFixture<> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(4));
    alice_ = LocalUser("alice");
    bob_ = LocalUser("bob");
    since_ = Settle();
  }
  SyncKey Settle() { return SettleSyncHorizon(*store_, *pool_); }

  // A message from alice to bob, committed; its xid.
  uint64_t Send(const std::string& text) {
    auto sent = manager_->Send({alice_, "dev1", bob_, std::nullopt, text, text});
    EXPECT_TRUE(sent.ok()) << sent.status();
    auto xid = pool_->Exec(kEventXid, {sent.ok() ? sent->message.event_id : ""});
    EXPECT_TRUE(xid.ok() && xid->rows() == 1);
    return xid.ok() && xid->rows() == 1 ? XidOf(*xid, 0) : 0;
  }

  // Whether every horizon query puts `xid` below its horizon, and the sync
  // reads (single and batched) return bob's message of that xid.
  bool AllSee(uint64_t xid) {
    auto single = store_->SyncRows(bob_, since_, 100);
    auto many = store_->SyncRowsMany({{bob_, since_}, {alice_, since_}}, 100);
    auto now = store_->StreamHorizon();
    auto matrix = PgMatrixSyncStore(*pool_).Horizon();
    EXPECT_TRUE(single.ok() && many.ok() && now.ok() && matrix.ok());
    if (!single.ok() || !many.ok() || !now.ok() || !matrix.ok()) return false;
    auto has = [&](const SyncPage& page) {
      for (const SyncRow& row : page.rows) {
        if (row.xid == xid && row.kind == "message") return true;
      }
      return false;
    };
    return has(*single) && single->horizon > xid && has((*many)[0]) && (*many)[0].horizon > xid &&
           now->first > xid && *matrix > xid;
  }

  std::string alice_, bob_;
  SyncKey since_;
};

// The defect this guards against: the snapshot's xmin is cluster-wide, so an
// open transaction of any database held back every sync until it ended.
TEST_F(StreamHorizonPgTest, AnotherDatabasesOpenTransactionDoesNotHoldSyncBack) {
  auto other = testing::TestDatabase::Create();
  ASSERT_TRUE(other.ok()) << other.status();
  OpenTransaction elsewhere((*other)->dsn());
  ASSERT_NE(elsewhere.xid(), 0u);
  const uint64_t xid = Send("hello");
  ASSERT_GT(xid, elsewhere.xid());
  // Polled: a transaction of a third database (tests run alongside) that
  // ends while a read looks holds that one read back; `elsewhere` would hold
  // every read back for as long as it is open.
  EXPECT_TRUE(testing::WaitUntil([&] { return AllSee(xid); }, absl::Seconds(5)))
      << "the sync horizon stays below xid " << elsewhere.xid() << " of another database";
  // Also through the manager, as a client's sync.
  auto batch = manager_->SyncOnce(bob_, ToWire(since_));
  ASSERT_TRUE(batch.ok()) << batch.status();
  bool message = false;
  for (const auto& row : batch->rows) message = message || row.kind == "message";
  EXPECT_TRUE(message);
  elsewhere.End();
}

// Services run as plain roles (LeastPrivilegeE2eTest): such a role must see
// backend_xid and datid of other roles' sessions for the horizon to pass
// another database's transaction.
TEST_F(StreamHorizonPgTest, APlainRoleSeesOtherDatabasesTransactions) {
  auto other = testing::TestDatabase::Create();
  ASSERT_TRUE(other.ok()) << other.status();
  OpenTransaction elsewhere((*other)->dsn());  // as the administrator
  ASSERT_NE(elsewhere.xid(), 0u);
  const uint64_t xid = Send("hello");
  const std::string role = db_->name() + "_plain";
  Session plain(db_->dsn());
  plain.Value("CREATE ROLE " + role + " NOLOGIN NOSUPERUSER; SET ROLE " + role);
  EXPECT_EQ(plain.Value("SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"),
            "false");
  EXPECT_TRUE(testing::WaitUntil([&] { return plain.Xid(queries::kStreamHorizon.sql) > xid; },
                                 absl::Seconds(5)));
  plain.Value("RESET ROLE; DROP ROLE " + role);
  elsewhere.End();
}

// The safety side: an open transaction of this database may still write
// rows below any later xid, so nothing at or above its xid is returned.
TEST_F(StreamHorizonPgTest, OurOpenTransactionHoldsTheHorizon) {
  OpenTransaction ours(db_->dsn());
  ASSERT_NE(ours.xid(), 0u);
  const uint64_t xid = Send("held");
  ASSERT_GT(xid, ours.xid());
  for (int read = 0; read < 3; ++read) {
    auto page = store_->SyncRows(bob_, since_, 100);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_TRUE(page->rows.empty());
    EXPECT_LE(page->horizon, ours.xid());
    auto many = store_->SyncRowsMany({{bob_, since_}}, 100);
    ASSERT_TRUE(many.ok()) << many.status();
    EXPECT_TRUE((*many)[0].rows.empty());
    EXPECT_LE((*many)[0].horizon, ours.xid());
    auto now = store_->StreamHorizon();
    ASSERT_TRUE(now.ok());
    EXPECT_LE(now->first, ours.xid());
    auto matrix = PgMatrixSyncStore(*pool_).Horizon();
    ASSERT_TRUE(matrix.ok());
    EXPECT_LE(*matrix, ours.xid());
  }
  ours.End();
  EXPECT_TRUE(testing::WaitUntil([&] { return AllSee(xid); }, absl::Seconds(5)));
}

// A snapshot leaves out its own transaction's xid: a read inside a
// transaction that has one must still stop below it (its rows may roll back).
TEST_F(StreamHorizonPgTest, AReadInsideOurTransactionStopsBelowItsXid) {
  uint64_t own = 0, horizon = 0;
  ASSERT_TRUE(pool_
                  ->Transaction([&](pg::Tx& tx) -> absl::Status {
                    auto taken = tx.Exec(kTakeXid);
                    if (!taken.ok()) return taken.status();
                    own = XidOf(*taken, 0);
                    // A later xid commits: the snapshot's xmax passes ours.
                    auto later = pool_->Exec(kTakeXid);
                    if (!later.ok()) return later.status();
                    EXPECT_GT(XidOf(*later, 0), own);
                    auto now = tx.Exec(queries::kStreamHorizon);
                    if (!now.ok()) return now.status();
                    horizon = XidOf(*now, 0);
                    EXPECT_GT(XidOf(*now, 1), own);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_NE(own, 0u);
  EXPECT_LE(horizon, own);
}

}  // namespace
}  // namespace messenger::messaging
