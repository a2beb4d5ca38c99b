// The Matrix sync over a real PostgreSQL (issue 14): an initial sync reads
// the timelines of all its rooms in one query, so its round trips do not grow
// with the number of rooms, and its answer is what per-room reads give.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "common/pg/migrations.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix_sync_token.h"
#include "messaging-service/src/service/group_manager.h"
#include "messaging-service/src/service/matrix_sync.h"
#include "messaging-service/src/storage/pg_matrix_sync_store.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging-service/test/messaging_pg_fixture.h"
#include "messaging-service/test/sync_settle.h"
#include "messaging_migrations.h"

namespace messenger::messaging {
namespace {

// Forwards to the PostgreSQL store and counts the calls (each one query).
class CountingStore final : public MatrixSyncStore {
 public:
  explicit CountingStore(MatrixSyncStore& inner) : inner_(inner) {}
  int calls = 0;
  int filter_reads = 0;
  size_t state_rows = 0;       // state events read (CurrentState, StateSince)
  size_t membership_rows = 0;  // memberships read (UserRooms)

  absl::StatusOr<uint64_t> Horizon() override { return ++calls, inner_.Horizon(); }
  absl::StatusOr<std::vector<UserRoom>> UserRooms(
      const std::string& user_id,
      const std::optional<std::vector<std::string>>& room_ids) override {
    ++calls;
    absl::StatusOr<std::vector<UserRoom>> got = inner_.UserRooms(user_id, room_ids);
    if (got.ok()) membership_rows += got->size();
    return got;
  }
  absl::StatusOr<std::vector<std::string>> ChangedRooms(const std::string& user_id, SyncKey since,
                                                        uint64_t below_xid) override {
    return ++calls, inner_.ChangedRooms(user_id, since, below_xid);
  }
  absl::StatusOr<std::vector<SyncedEvent>> Events(const EventRange& range) override {
    return ++calls, inner_.Events(range);
  }
  absl::StatusOr<std::optional<SyncedEvent>> Event(const std::string& event_id) override {
    return ++calls, inner_.Event(event_id);
  }
  absl::StatusOr<std::vector<SyncedEvent>> CurrentState(
      const std::vector<std::string>& room_ids) override {
    ++calls;
    absl::StatusOr<std::vector<SyncedEvent>> got = inner_.CurrentState(room_ids);
    if (got.ok()) state_rows += got->size();
    return got;
  }
  absl::StatusOr<std::vector<SyncedEvent>> StateSince(const std::vector<std::string>& room_ids,
                                                      SyncKey since, uint64_t below_xid) override {
    ++calls;
    absl::StatusOr<std::vector<SyncedEvent>> got = inner_.StateSince(room_ids, since, below_xid);
    if (got.ok()) state_rows += got->size();
    return got;
  }
  absl::StatusOr<std::map<std::string, std::string>> RemoteInviteStates(
      const std::string& user_id, const std::vector<std::string>& room_ids) override {
    return ++calls, inner_.RemoteInviteStates(user_id, room_ids);
  }
  absl::StatusOr<std::vector<RoomReceipt>> Receipts(const std::vector<std::string>& room_ids,
                                                    SyncKey since, uint64_t below_xid) override {
    return ++calls, inner_.Receipts(room_ids, since, below_xid);
  }
  absl::StatusOr<std::map<std::string, RoomCounts>> Counts(
      const std::string& user_id, const std::vector<std::string>& room_ids,
      const std::vector<std::string>& summary_room_ids) override {
    return ++calls, inner_.Counts(user_id, room_ids, summary_room_ids);
  }
  absl::StatusOr<int64_t> PutFilter(const std::string& user_id, const std::string& json,
                                    int max_per_user) override {
    return ++calls, inner_.PutFilter(user_id, json, max_per_user);
  }
  absl::StatusOr<std::optional<std::string>> GetFilter(const std::string& user_id,
                                                       int64_t filter_id) override {
    return ++calls, ++filter_reads, inner_.GetFilter(user_id, filter_id);
  }
  absl::StatusOr<std::map<std::string, std::string>> SentKeys(
      const std::string& user_id, const std::string& device_id,
      const std::vector<std::string>& event_ids) override {
    return ++calls, inner_.SentKeys(user_id, device_id, event_ids);
  }
  absl::StatusOr<std::vector<SyncedEvent>> NewestEvents(const RoomsRange& range) override {
    return ++calls, inner_.NewestEvents(range);
  }
  absl::StatusOr<std::vector<SyncedEvent>> Relations(const RelationRange& range) override {
    return ++calls, inner_.Relations(range);
  }
  absl::StatusOr<std::vector<SyncedEvent>> StateAt(const std::string& room_id,
                                                   int64_t before_seq) override {
    return ++calls, inner_.StateAt(room_id, before_seq);
  }
  absl::StatusOr<std::map<std::string, SyncedEvent>> Replacements(
      const std::vector<std::string>& event_ids) override {
    return ++calls, inner_.Replacements(event_ids);
  }

 private:
  MatrixSyncStore& inner_;
};

constexpr char kFilter[] =
    R"({"room":{"timeline":{"limit":3},"state":{"lazy_load_members":true},"include_leave":true}})";

class MatrixSyncPgTest : public testing_users::MessagingPgFixture<> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(4));
    groups_ = std::make_unique<GroupManager>(*manager_, *store_, friends_, SystemClock::Instance(),
                                             SecureRng::Instance(), 100);
    sync_store_ = std::make_unique<PgMatrixSyncStore>(*pool_);
    counting_ = std::make_unique<CountingStore>(*sync_store_);
    sync_ = std::make_unique<MatrixSync>(*counting_, *manager_, nullptr);
    alice_ = LocalUser("alice");
    bob_ = LocalUser("bob");
  }

  // A group of alice and bob where each says `messages` things in turn.
  std::string Group(int messages) {
    absl::StatusOr<RoomRow> room = manager_->CreateGroup(alice_, "g", {bob_});
    EXPECT_TRUE(room.ok()) << room.status();
    for (int i = 0; i < messages; ++i) {
      const std::string& from = i % 2 == 0 ? alice_ : bob_;
      EXPECT_TRUE(manager_
                      ->Send({from, "dev1", std::nullopt, room->room_id, "m" + std::to_string(i),
                              room->room_id + std::to_string(i)})
                      .ok());
    }
    return room->room_id;
  }

  // Bob's initial sync and the store calls it made.
  std::pair<MatrixSyncResult, int> InitialSync() {
    // Tests alongside may hold the cluster's horizon back for a moment: the
    // sync would then not see the rooms just written yet.
    SettleSyncHorizon(*store_, *pool_);
    counting_->calls = 0;
    absl::StatusOr<MatrixSyncResult> got = sync_->Sync({bob_, "dev1", "", kFilter, false});
    EXPECT_TRUE(got.ok()) << got.status();
    return {got.ok() ? *got : MatrixSyncResult{}, counting_->calls};
  }

  // The room's timeline read as before the batched read: one query per room.
  std::vector<std::string> OneRoomTimeline(const std::string& room_id, int64_t before_seq) {
    EventRange range{room_id};
    range.before_seq = before_seq;
    range.limit = 4;
    absl::StatusOr<std::vector<SyncedEvent>> events = sync_store_->Events(range);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> ids;
    for (const SyncedEvent& e : *events) ids.insert(ids.begin(), e.event_id);
    if (ids.size() > 3) ids.erase(ids.begin());
    return ids;
  }

  std::unique_ptr<GroupManager> groups_;
  std::unique_ptr<PgMatrixSyncStore> sync_store_;
  std::unique_ptr<CountingStore> counting_;
  std::unique_ptr<MatrixSync> sync_;
  std::string alice_, bob_;
};

TEST_F(MatrixSyncPgTest, InitialSyncQueriesDoNotGrowWithItsRooms) {
  Group(4);
  Group(1);
  auto [small, small_calls] = InitialSync();
  ASSERT_EQ(small.rooms.size(), 2u);
  for (int i = 0; i < 8; ++i) Group(i % 3);
  auto [big, big_calls] = InitialSync();
  ASSERT_EQ(big.rooms.size(), 10u);
  // Before the batched read: 2 + 10 timeline queries and as many id lookups.
  // Bundled edits of all the timelines: one call (Replacements) either way.
  EXPECT_EQ(big_calls, small_calls) << "store calls of an initial sync of 2 rooms: " << small_calls
                                    << ", of 10 rooms: " << big_calls;
  EXPECT_LE(big_calls, 8);
}

TEST_F(MatrixSyncPgTest, BatchedTimelinesAreThePerRoomOnes) {
  const std::string busy = Group(5);
  const std::string quiet = Group(0);
  const std::string left = Group(4);
  ASSERT_TRUE(groups_->Leave(bob_, left).ok());
  // After bob left: not his to see.
  ASSERT_TRUE(manager_->Send({alice_, "dev1", std::nullopt, left, "after", "after"}).ok());
  absl::StatusOr<std::vector<UserRoom>> was = sync_store_->UserRooms(bob_, std::vector<std::string>{left});
  ASSERT_TRUE(was.ok() && was->size() == 1);

  auto [got, calls] = InitialSync();
  std::map<std::string, const MatrixSyncRoom*> rooms;
  for (const MatrixSyncRoom& r : got.rooms) rooms[r.room_id] = &r;
  ASSERT_EQ(rooms.size(), 3u);
  auto ids = [](const MatrixSyncRoom& r) {
    std::vector<std::string> out;
    for (const SyncedEvent& e : r.timeline) out.push_back(e.event_id);
    return out;
  };
  for (const auto& [room_id, before] :
       std::map<std::string, int64_t>{{busy, 0}, {quiet, 0}, {left, was->front().seq + 1}}) {
    const MatrixSyncRoom& room = *rooms.at(room_id);
    EXPECT_EQ(ids(room), OneRoomTimeline(room_id, before)) << room_id;
    EXPECT_TRUE(room.limited) << "every room has more than 3 events";
    ASSERT_FALSE(room.timeline.empty());
    EXPECT_EQ(room.prev_batch, EncodeRoomToken(room.timeline.front().seq));
  }
  EXPECT_EQ(rooms.at(left)->membership, "leave");
  EXPECT_EQ(rooms.at(left)->timeline.back().event_id, was->front().event_id)
      << "a left room's timeline ends with the leave";
  // Lazy members: those of the current state that sent a timeline event,
  // and bob's own, unless the timeline carries that member event.
  const std::map<std::string, std::string> mxid = {{alice_, "@alice:localhost"},
                                                   {bob_, "@bob:localhost"}};
  for (const auto& [room_id, room] : rooms) {
    if (room->membership != "join") continue;
    std::set<std::string> senders = {"@bob:localhost"}, in_timeline, want, members;
    for (const SyncedEvent& e : room->timeline) {
      senders.insert(mxid.at(e.sender));
      in_timeline.insert(e.event_id);
    }
    absl::StatusOr<std::vector<SyncedEvent>> state = sync_store_->CurrentState({room_id});
    ASSERT_TRUE(state.ok());
    for (const SyncedEvent& e : *state) {
      if (e.type == "m.room.member" && senders.count(*e.state_key) > 0 &&
          in_timeline.count(e.event_id) == 0) {
        want.insert(e.event_id);
      }
    }
    for (const SyncedEvent& e : room->state) {
      if (e.type == "m.room.member") members.insert(e.event_id);
    }
    EXPECT_EQ(members, want) << room_id;
  }
}

// A wake in a big room (issue 14): bob's incremental sync after alice's
// message reads the state that changed since his token only (before: the
// room's whole state, every member, at each wake of each member) and leaves
// the unchanged summary out; a member joining brings both back.
TEST_F(MatrixSyncPgTest, AnIncrementalSyncReadsOnlyTheStateThatChanged) {
  std::vector<std::string> members = {bob_};
  for (int i = 0; i < 30; ++i) members.push_back(LocalUser("m" + std::to_string(i)));
  absl::StatusOr<RoomRow> room = manager_->CreateGroup(alice_, "big", members);
  ASSERT_TRUE(room.ok()) << room.status();
  auto [first, first_calls] = InitialSync();
  ASSERT_EQ(first.rooms.size(), 1u);
  EXPECT_TRUE(first.rooms[0].counts.summary);
  EXPECT_EQ(first.rooms[0].counts.joined, 32);
  const size_t whole = counting_->state_rows;
  EXPECT_GE(whole, 32u) << "the initial sync reads every member";

  auto incremental = [&](const std::string& since) {
    SettleSyncHorizon(*store_, *pool_);
    counting_->state_rows = 0;
    absl::StatusOr<MatrixSyncResult> got = sync_->Sync({bob_, "dev1", since, kFilter, false});
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : MatrixSyncResult{};
  };
  ASSERT_TRUE(
      manager_->Send({alice_, "dev1", std::nullopt, room->room_id, "hello", "c-hello"}).ok());
  MatrixSyncResult woken = incremental(first.next_batch);
  ASSERT_EQ(woken.rooms.size(), 1u);
  EXPECT_EQ(counting_->state_rows, 0u);
  EXPECT_TRUE(woken.rooms[0].state.empty());
  ASSERT_EQ(woken.rooms[0].timeline.size(), 1u);
  EXPECT_FALSE(woken.rooms[0].counts.summary);
  EXPECT_EQ(woken.rooms[0].counts.unread, 1);

  const std::string carol = LocalUser("carol");
  ASSERT_TRUE(groups_->AddMembers(alice_, room->room_id, {carol}).ok());
  MatrixSyncResult grown = incremental(woken.next_batch);
  ASSERT_EQ(grown.rooms.size(), 1u);
  EXPECT_GE(counting_->state_rows, 1u);
  EXPECT_LT(counting_->state_rows, whole);
  EXPECT_TRUE(grown.rooms[0].counts.summary);
  EXPECT_EQ(grown.rooms[0].counts.joined, 33);
}

// A wake of a reader in many rooms reads the memberships of the rooms with
// news only (before: all of them at each wake), and still shows a leave.
TEST_F(MatrixSyncPgTest, AWakeReadsTheMembershipsOfTheChangedRoomsOnly) {
  std::vector<std::string> rooms;
  for (int i = 0; i < 10; ++i) rooms.push_back(Group(0));
  auto [first, first_calls] = InitialSync();
  ASSERT_EQ(first.rooms.size(), 10u);
  const auto since = [&](const std::string& token) {
    SettleSyncHorizon(*store_, *pool_);
    counting_->membership_rows = 0;
    absl::StatusOr<MatrixSyncResult> got = sync_->Sync({bob_, "dev1", token, kFilter, false});
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : MatrixSyncResult{};
  };
  ASSERT_TRUE(manager_->Send({alice_, "dev1", std::nullopt, rooms[3], "news", "c-news"}).ok());
  MatrixSyncResult woken = since(first.next_batch);
  ASSERT_EQ(woken.rooms.size(), 1u);
  EXPECT_EQ(woken.rooms[0].room_id, rooms[3]);
  EXPECT_EQ(counting_->membership_rows, 1u);

  ASSERT_TRUE(groups_->Leave(bob_, rooms[5]).ok());
  MatrixSyncResult left = since(woken.next_batch);
  ASSERT_EQ(left.rooms.size(), 1u);
  EXPECT_EQ(left.rooms[0].room_id, rooms[5]);
  EXPECT_EQ(left.rooms[0].membership, "leave");
  EXPECT_EQ(counting_->membership_rows, 1u);
}

// A wake reads the stream by key, up to a bound of rows; past it (many
// rows in other rooms since the token) it asks room by room: either way the
// user's room with news is found, and only it.
TEST_F(MatrixSyncPgTest, AWakeFindsItsRoomBehindManyRowsOfOtherRooms) {
  const std::string mine = Group(0);
  absl::StatusOr<RoomRow> other = manager_->CreateGroup(alice_, "other", {LocalUser("carol")});
  ASSERT_TRUE(other.ok()) << other.status();
  auto [first, first_calls] = InitialSync();
  const auto woken_rooms = [&](const std::string& token) {
    SettleSyncHorizon(*store_, *pool_);
    absl::StatusOr<MatrixSyncResult> got = sync_->Sync({bob_, "dev1", token, kFilter, false});
    EXPECT_TRUE(got.ok()) << got.status();
    std::vector<std::string> rooms;
    if (got.ok()) {
      for (const MatrixSyncRoom& room : got->rooms) rooms.push_back(room.room_id);
    }
    return std::make_pair(rooms, got.ok() ? got->next_batch : "");
  };
  ASSERT_TRUE(manager_->Send({alice_, "dev1", std::nullopt, other->room_id, "x", "c-x"}).ok());
  ASSERT_TRUE(manager_->Send({alice_, "dev1", std::nullopt, mine, "few", "c-few"}).ok());
  auto [few, after_few] = woken_rooms(first.next_batch);
  EXPECT_EQ(few, std::vector<std::string>{mine});
  // The store itself names only the user's rooms (the sync would hide others).
  absl::StatusOr<MatrixSyncToken> token = DecodeMatrixSyncToken(first.next_batch);
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<std::vector<std::string>> changed = sync_store_->ChangedRooms(
      bob_, FromWire(token->stream), std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, std::vector<std::string>{mine});
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(manager_
                    ->Send({alice_, "dev1", std::nullopt, other->room_id, "x",
                            "c-other" + std::to_string(i)})
                    .ok());
  }
  ASSERT_TRUE(manager_->Send({alice_, "dev1", std::nullopt, mine, "many", "c-many"}).ok());
  auto [many, after_many] = woken_rooms(after_few);
  EXPECT_EQ(many, std::vector<std::string>{mine});
}

// Clients name their stored filter in every sync: it is read from the
// database once, and one user's cached filter is not another's.
TEST_F(MatrixSyncPgTest, AStoredFilterIsReadOnceAndStaysItsOwners) {
  Group(5);
  absl::StatusOr<std::string> id = sync_->PutFilter(bob_, kFilter);
  ASSERT_TRUE(id.ok()) << id.status();
  SettleSyncHorizon(*store_, *pool_);
  counting_->filter_reads = 0;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<MatrixSyncResult> got = sync_->Sync({bob_, "dev1", "", *id, false});
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->rooms.size(), 1u);
    EXPECT_EQ(got->rooms[0].timeline.size(), 3u);  // the filter's limit
  }
  EXPECT_EQ(counting_->filter_reads, 1);
  EXPECT_TRUE(absl::IsInvalidArgument(sync_->Sync({alice_, "dev1", "", *id, false}).status()));
  EXPECT_TRUE(absl::IsNotFound(sync_->GetFilter(alice_, *id).status()));
}

// The store's half of bundled edits (issue 14): an original's newest edit
// that is not redacted and was sent by the original's sender, one query for
// all the ids asked.
TEST_F(MatrixSyncPgTest, ReplacementsAreTheNewestOwnUnredactedEdits) {
  const std::string room = Group(5);  // alice, bob, alice, bob, alice
  EventRange range{room};
  range.like_types = std::vector<std::string>{"m.room.message"};
  range.limit = 10;
  absl::StatusOr<std::vector<SyncedEvent>> got = sync_store_->Events(range);
  ASSERT_TRUE(got.ok()) << got.status();
  std::vector<SyncedEvent> m = *got;
  ASSERT_EQ(m.size(), 5u);
  std::sort(m.begin(), m.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  // Each later message stands in as an edit of m[0] with its own sender and seq.
  constexpr pg::Query kRelate{
      "t_relate",
      "INSERT INTO relations (event_id, room_id, relates_to, rel_type, sender, seq, redacted) "
      "SELECT event_id, room_id, $2::text, 'm.replace', sender, seq, $3::bool FROM events "
      "WHERE event_id = $1"};
  ASSERT_TRUE(pool_->Exec(kRelate, {m[2].event_id, m[0].event_id, false}).ok());  // alice's
  ASSERT_TRUE(pool_->Exec(kRelate, {m[3].event_id, m[0].event_id, false}).ok());  // bob's
  ASSERT_TRUE(pool_->Exec(kRelate, {m[4].event_id, m[0].event_id, true}).ok());   // redacted

  counting_->calls = 0;
  absl::StatusOr<std::map<std::string, SyncedEvent>> edits =
      counting_->Replacements({m[0].event_id, m[1].event_id});
  ASSERT_TRUE(edits.ok()) << edits.status();
  EXPECT_EQ(counting_->calls, 1);
  ASSERT_EQ(edits->size(), 1u) << "m[1] has no edit";
  EXPECT_EQ(edits->at(m[0].event_id).event_id, m[2].event_id)
      << "not bob's (another sender) nor the redacted one, though both are newer";
  EXPECT_EQ(edits->at(m[0].event_id).pdu, m[2].pdu);
}

}  // namespace
}  // namespace messenger::messaging
