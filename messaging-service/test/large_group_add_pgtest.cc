// Adding a member to a large group over a real PostgreSQL (issue 15): the
// rows an add writes follow the users added, not the room's size. Before,
// every 64th state event wrote a full snapshot of the room's state, so an
// add into a room of 1,000 members cost ~1,000 rows every 32 adds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/metrics.h"
#include "common/pg/migrations.h"
#include "common/pg/pg_metrics.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/service/group_manager.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging-service/test/messaging_test_users.h"
#include "messaging_migrations.h"

namespace messenger::messaging {
namespace {

using testing_users::AllFriends;
using testing_users::LocalUser;

constexpr pg::Query kStateRows{
    "test_state_rows",
    "SELECT count(*) FROM state_group_entries e JOIN state_groups g USING (group_id) "
    "WHERE g.room_id = $1"};

constexpr pg::Query kLatestEvent{
    "test_latest_event",
    "SELECT event_id FROM events WHERE room_id = $1 ORDER BY seq DESC LIMIT 1"};

constexpr pg::Query kCurrentState{
    "test_current_state", "SELECT type, state_key, event_id FROM current_state WHERE room_id = $1"};

constexpr pg::Query kEventsAfter{
    "test_events_after",
    "SELECT event_id, type, state_key, pdu FROM events WHERE room_id = $1 AND seq > $2 "
    "ORDER BY seq"};

constexpr pg::Query kLastSeq{"test_last_seq", "SELECT last_seq FROM rooms WHERE room_id = $1"};

// Enough single adds for several snapshots of the small room.
constexpr int kAdds = 130;

class LargeGroupAddPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::OpenTestDatabase("messaging", 4,
                                          {&pg::OutboxMigrations(), &pg::MessagingMigrations()},
                                          &db_, &pool_)
                    .ok());
    store_ = std::make_unique<PgMessagingStore>(*pool_, outbox_);
    manager_ = std::make_unique<MessagingManager>(
        *store_, friends_, announcer_, "localhost",
        *matrix::Ed25519Key::Generate(SecureRng::Instance(), "test"), SystemClock::Instance(),
        SecureRng::Instance());
    groups_ = std::make_unique<GroupManager>(*manager_, *store_, friends_, SystemClock::Instance(),
                                             SecureRng::Instance(), 10'000);
    admin_ = LocalUser(*pool_, *manager_, "admin");
  }

  std::vector<std::string> Users(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(LocalUser(*pool_, *manager_, "u" + std::to_string(next_user_++)));
    }
    return ids;
  }

  // A group of the admin and `members - 1` others.
  std::string Group(int members) {
    absl::StatusOr<RoomRow> room = manager_->CreateGroup(admin_, "g", Users(members - 1));
    EXPECT_TRUE(room.ok()) << room.status();
    return room.ok() ? room->room_id : "";
  }

  int64_t StateRows(const std::string& room_id) {
    absl::StatusOr<pg::Result> r = pool_->Exec(kStateRows, {room_id});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->GetInt64(0, 0) : -1;
  }

  // State rows written per add of one user, over kAdds adds.
  double RowsPerAdd(const std::string& room_id) {
    const std::vector<std::string> newcomers = Users(kAdds);
    const int64_t before = StateRows(room_id);
    for (const std::string& user : newcomers) {
      absl::StatusOr<std::vector<std::string>> added = groups_->AddMembers(admin_, room_id, {user});
      EXPECT_TRUE(added.ok()) << added.status();
    }
    return static_cast<double>(StateRows(room_id) - before) / kAdds;
  }

  // The state the chain of state groups gives after the room's latest event
  // is its current state: snapshots copied from it in the database are whole.
  void ExpectChainStateIsCurrent(const std::string& room_id) {
    absl::StatusOr<pg::Result> latest = pool_->Exec(kLatestEvent, {room_id});
    ASSERT_TRUE(latest.ok() && latest->rows() == 1);
    absl::StatusOr<std::vector<StateEntry>> chain = store_->StateAfter(latest->GetString(0, 0));
    ASSERT_TRUE(chain.ok()) << chain.status();
    absl::StatusOr<pg::Result> current = pool_->Exec(kCurrentState, {room_id});
    ASSERT_TRUE(current.ok()) << current.status();
    std::set<std::tuple<std::string, std::string, std::string>> want, got;
    for (int i = 0; i < current->rows(); ++i) {
      want.insert({current->GetString(i, 0), current->GetString(i, 1), current->GetString(i, 2)});
    }
    for (const StateEntry& e : *chain) got.insert({e.type, e.state_key, e.event_id});
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
  }

  // Statements (round trips) of one add of `users`, all of them: the checks
  // before the room lock and the write under it.
  double StatementsOfAdd(const std::string& room_id, const std::vector<std::string>& users) {
    metrics::Counter& statements = metrics::Registry::Default().GetCounter(
        pg::kStatementsMetric, "PostgreSQL statements sent");
    const double before = statements.value();
    absl::StatusOr<std::vector<std::string>> added = groups_->AddMembers(admin_, room_id, users);
    EXPECT_TRUE(added.ok()) << added.status();
    return statements.value() - before;
  }

  bus::Outbox outbox_;
  AllFriends friends_;
  WaitHub hub_;
  WakeLog log_;
  CommitAnnouncer announcer_{log_, hub_};
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgMessagingStore> store_;
  std::unique_ptr<MessagingManager> manager_;
  std::unique_ptr<GroupManager> groups_;
  std::string admin_;
  int next_user_ = 0;
};

TEST_F(LargeGroupAddPgTest, RowsOfAnAddDoNotGrowWithTheRoom) {
  const std::string small_room = Group(10);
  const std::string large_room = Group(1'000);
  const double small = RowsPerAdd(small_room);
  const double large = RowsPerAdd(large_room);
  ExpectChainStateIsCurrent(small_room);
  ExpectChainStateIsCurrent(large_room);
  RecordProperty("rows_per_add_10", std::to_string(small));
  RecordProperty("rows_per_add_1000", std::to_string(large));
  // Two events of one entry each per add, and snapshots amortized to a few
  // rows per event whatever the room (before: ~33 rows per add at 1,000).
  EXPECT_LE(large, 3 * small) << "10 members: " << small << ", 1,000 members: " << large;
  EXPECT_LE(large, 16.0) << "10 members: " << small << ", 1,000 members: " << large;
}

// One add writes its 2N member events with a constant number of statements
// per table (issue 15; before: ~14 per added user, ~700 for 50, which at
// 10,000 members took longer than the 5 s RPC deadline).
TEST_F(LargeGroupAddPgTest, StatementsOfAnAddDoNotGrowWithTheAddedOrTheRoom) {
  const std::string small_room = Group(10);
  const std::string large_room = Group(1'000);
  const double five = StatementsOfAdd(small_room, Users(5));
  const double fifty = StatementsOfAdd(small_room, Users(50));
  const double fifty_large = StatementsOfAdd(large_room, Users(50));
  RecordProperty("statements_add_5_into_10", std::to_string(five));
  RecordProperty("statements_add_50_into_10", std::to_string(fifty));
  RecordProperty("statements_add_50_into_1000", std::to_string(fifty_large));
  // A snapshot at the end of the batch's chain of state groups, when due, is
  // one statement more.
  EXPECT_LE(std::abs(fifty - five), 1.0) << "add of 5: " << five << ", of 50: " << fifty;
  EXPECT_LE(std::abs(fifty_large - fifty), 1.0)
      << "into 10 members: " << fifty << ", into 1,000: " << fifty_large;
  EXPECT_LE(fifty_large, 24.0);
  // What the batch wrote is what the row-by-row path wrote: the state after
  // the last event is the current state, and the newcomers are joined.
  ExpectChainStateIsCurrent(small_room);
  ExpectChainStateIsCurrent(large_room);
  absl::StatusOr<std::vector<std::string>> joined = store_->JoinedMembers(large_room);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->size(), 1'050u);
}

// The same for a group created with its members.
TEST_F(LargeGroupAddPgTest, StatementsOfACreationDoNotGrowWithItsMembers) {
  metrics::Counter& statements =
      metrics::Registry::Default().GetCounter(pg::kStatementsMetric, "PostgreSQL statements sent");
  auto create = [&](int members) {
    const std::vector<std::string> users = Users(members);
    const double before = statements.value();
    absl::StatusOr<RoomRow> room = manager_->CreateGroup(admin_, "g", users);
    EXPECT_TRUE(room.ok()) << room.status();
    return statements.value() - before;
  };
  const double ten = create(10);
  const double five_hundred = create(500);
  RecordProperty("statements_create_10", std::to_string(ten));
  RecordProperty("statements_create_500", std::to_string(five_hundred));
  EXPECT_LE(std::abs(five_hundred - ten), 1.0) << "10 members: " << ten << ", 500: " << five_hundred;
}

// Batched, each event still has its own state and place in the DAG: the
// state after it is the state after the one before with its own change, and
// it extends the one before (federation, /members?at=, /messages need both).
TEST_F(LargeGroupAddPgTest, EachEventOfAnAddKeepsItsStateAndPlace) {
  const std::string room = Group(10);
  absl::StatusOr<pg::Result> seq = pool_->Exec(kLastSeq, {room});
  ASSERT_TRUE(seq.ok() && seq->rows() == 1);
  const int64_t before = seq->GetInt64(0, 0);
  ASSERT_TRUE(groups_->AddMembers(admin_, room, Users(50)).ok());  // ends in a snapshot
  absl::StatusOr<pg::Result> events = pool_->Exec(kEventsAfter, {room, before});
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->rows(), 100);
  absl::StatusOr<pg::Result> latest_before = pool_->Exec(kEventsAfter, {room, before - 1});
  ASSERT_TRUE(latest_before.ok() && latest_before->rows() > 0);
  std::string previous = latest_before->GetString(0, 0);
  absl::StatusOr<std::vector<StateEntry>> start = store_->StateAfter(previous);
  ASSERT_TRUE(start.ok()) << start.status();
  std::map<std::pair<std::string, std::string>, std::string> want;
  for (const StateEntry& e : *start) want[{e.type, e.state_key}] = e.event_id;
  for (int i = 0; i < events->rows(); ++i) {
    const std::string id = events->GetString(i, 0);
    want[{events->GetString(i, 1), events->GetString(i, 2)}] = id;
    absl::StatusOr<std::vector<StateEntry>> got = store_->StateAfter(id);
    ASSERT_TRUE(got.ok()) << got.status();
    std::map<std::pair<std::string, std::string>, std::string> have;
    for (const StateEntry& e : *got) have[{e.type, e.state_key}] = e.event_id;
    EXPECT_TRUE(have == want) << "state after event " << i << " of the add";
    const nlohmann::json pdu = nlohmann::json::parse(events->GetString(i, 3));
    EXPECT_EQ(pdu["prev_events"], nlohmann::json::array({previous})) << "event " << i;
    previous = id;
  }
}

}  // namespace
}  // namespace messenger::messaging
