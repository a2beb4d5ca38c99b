// Adding a member to a large group over a real PostgreSQL (issue 15): the
// rows an add writes follow the users added, not the room's size. Before,
// every 64th state event wrote a full snapshot of the room's state, so an
// add into a room of 1,000 members cost ~1,000 rows every 32 adds.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/pg/migrations.h"
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

}  // namespace
}  // namespace messenger::messaging
