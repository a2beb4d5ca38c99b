// The PDU lookup of the /send intake over a real PostgreSQL (issue 16). It
// runs 2-3 times per received PDU; a plan cached by the connection while
// `events` was small kept scanning the whole table once it had grown (the
// federation bench: 1.5 ms and 343 blocks per call after 4,000 PDUs).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/pg/migrations.h"
#include "common/pg/pg_metrics.h"
#include "common/status.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/federation/federation_room_store.h"
#include "messaging_migrations.h"

namespace messenger::federation {
namespace {

constexpr pg::Query kRoom{
    "test_pdus_room",
    "INSERT INTO rooms (room_id, room_version, kind, creator, created_at, last_seq, depth, "
    "tip_event_id, state_group, last_event_at) "
    "VALUES ('!r:test', '10', 'group', gen_random_uuid(), now(), 0, 0, '', 0, now())"};
// Events $1 to $2 of the room, ids "$e<n>".
constexpr pg::Query kEvents{
    "test_pdus_events",
    "INSERT INTO events (event_id, room_id, seq, sender, type, origin_server_ts, state_group, "
    "pdu) SELECT '$e' || n, '!r:test', n, gen_random_uuid(), 'm.room.message', n, 0, "
    "'{\"n\":' || n || ',\"pad\":\"' || repeat('x', 400) || '\"}' "
    "FROM generate_series($1::bigint, $2::bigint) AS n"};
constexpr pg::Query kUsers{
    "test_pdus_users", "SELECT count(*) FROM users WHERE remote AND username LIKE '@%:remote.test'"};
constexpr pg::Query kFlush{"test_pdus_flush", "SELECT pg_stat_force_next_flush()"};
constexpr pg::Query kScans{
    "test_pdus_scans",
    "SELECT coalesce(seq_scan, 0), coalesce(idx_scan, 0) FROM pg_stat_user_tables "
    "WHERE relid = 'events'::regclass"};

class FederationPdusPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One connection: the lookups below all run on the one whose plans count.
    ASSERT_TRUE(testing::OpenTestDatabase("messaging", 1,
                                          {&pg::OutboxMigrations(), &pg::MessagingMigrations()},
                                          &db_, &pool_)
                    .ok());
    store_ = std::make_unique<PgFederationRoomStore>(*pool_);
    ASSERT_TRUE(pool_->Exec(kRoom).ok());
  }

  void AddEvents(int64_t from, int64_t to) {
    absl::StatusOr<pg::Result> r = pool_->Exec(kEvents, {from, to});
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // Sequential and index scans of `events` so far, as the statistics show
  // them once this backend flushed its own.
  std::pair<int64_t, int64_t> Scans() {
    EXPECT_TRUE(pool_->Exec(kFlush).ok());
    absl::StatusOr<pg::Result> r = pool_->Exec(kScans);
    EXPECT_TRUE(r.ok() && r->rows() == 1) << r.status();
    if (!r.ok() || r->rows() != 1) return {-1, -1};
    return {r->GetInt64(0, 0), r->GetInt64(0, 1)};
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgFederationRoomStore> store_;
};

// Lookups first made while the table held a few events (as on a server that
// just started receiving) use the primary key once it holds thousands.
TEST_F(FederationPdusPgTest, LookupsUseTheKeyAfterTheTableGrew) {
  AddEvents(1, 3);
  // More than the 5 executions after which PostgreSQL may keep a generic plan.
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<std::vector<KnownPdu>> known = store_->Pdus({"$e1", "$e2", "$e9", "$none"});
    ASSERT_TRUE(known.ok()) << known.status();
    EXPECT_EQ(known->size(), 2u);
  }
  AddEvents(4, 5'000);
  const auto [seq_before, idx_before] = Scans();
  constexpr int kLookups = 20;
  for (int i = 0; i < kLookups; ++i) {
    const std::string id = "$e" + std::to_string(100 + i);
    absl::StatusOr<std::vector<KnownPdu>> known = store_->Pdus({id, "$e4999", "$none"});
    ASSERT_TRUE(known.ok()) << known.status();
    ASSERT_EQ(known->size(), 2u);
    EXPECT_FALSE(known->front().rejected);
    EXPECT_EQ(known->front().room_id, "!r:test");
  }
  // The flush is asynchronous to nothing here: this backend's own counters,
  // flushed before the next statement reads them.
  const auto [seq_after, idx_after] = Scans();
  EXPECT_EQ(seq_after - seq_before, 0) << "sequential scans of events by the lookups";
  EXPECT_GE(idx_after - idx_before, kLookups);
}

// A remote user's row is written once per process: the PDUs of a known
// sender cost no statement. Only a committed write is remembered.
TEST_F(FederationPdusPgTest, RemoteUsersAreWrittenOnceCommitted) {
  metrics::Counter& statements =
      metrics::Registry::Default().GetCounter(pg::kStatementsMetric, "PostgreSQL statements sent");
  const std::string carol = "0b9e3e5c-6f4a-4c1e-9d2b-1a2b3c4d5e6f";
  const std::string dave = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
  const auto write = [&](bool commit, const std::function<absl::Status(pg::Tx&)>& add) {
    const double before = statements.value();
    const absl::Status s = pool_->Transaction([&](pg::Tx& tx) -> absl::Status {
      RETURN_IF_ERROR(add(tx));
      return commit ? absl::OkStatus() : absl::AbortedError("rolled back");
    });
    EXPECT_EQ(s.ok(), commit) << s;
    return statements.value() - before;
  };
  const auto add_carol = [&](pg::Tx& tx) {
    return store_->AddRemoteUser(tx, carol, "@carol:remote.test");
  };
  const auto add_both = [&](pg::Tx& tx) {
    return store_->AddRemoteUsers(tx, {{carol, "@carol:remote.test"}, {dave, "@dave:remote.test"}});
  };
  const auto users = [&] {
    absl::StatusOr<pg::Result> r = pool_->Exec(kUsers);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->GetInt64(0, 0) : -1;
  };
  const double rolled_back = write(false, add_carol);
  EXPECT_EQ(users(), 0);
  EXPECT_EQ(write(true, add_carol), rolled_back);  // not remembered: written
  EXPECT_EQ(users(), 1);
  EXPECT_EQ(write(true, add_carol), rolled_back - 1);  // known: no statement
  // The batch writes the unknown one only, then none.
  EXPECT_EQ(write(true, add_both), rolled_back);
  EXPECT_EQ(users(), 2);
  EXPECT_EQ(write(true, add_both), rolled_back - 1);
}

}  // namespace
}  // namespace messenger::federation
