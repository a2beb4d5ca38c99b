// Importing a room of another server over a real PostgreSQL (issue 16): a
// join into a room of N members writes its state with a number of statements
// and rows that follows N. Before, each imported state event got a full
// state map (O(N^2) work) and ~5 statements of its own, and a snapshot of the
// state so far every 64 or more: 10,058 statements and 10,899 state rows for
// 2,000 members.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "common/pg/pg_metrics.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/federation/remote_users.h"
#include "messaging-service/src/writer/redact_stored.h"
#include "messaging-service/test/messaging_pg_fixture.h"

namespace messenger::messaging {
namespace {

constexpr char kRemote[] = "remote.test";

constexpr pg::Query kStateRows{
    "test_import_state_rows",
    "SELECT count(*) FROM state_group_entries e JOIN state_groups g USING (group_id) "
    "WHERE g.room_id = $1"};
constexpr pg::Query kCurrentState{
    "test_import_current_state",
    "SELECT type, state_key, event_id FROM current_state WHERE room_id = $1"};
constexpr pg::Query kMembers{
    "test_import_members",
    "SELECT count(*) FROM memberships WHERE room_id = $1 AND membership = 'join'"};

class RemoteImportPgTest : public testing_users::MessagingPgFixture<> {
 protected:
  void SetUp() override {
    OpenStore(4);
    bob_ = LocalUser("bob");
  }

  // A linear room of remote.test: create, alice's join, power levels, join
  // rules, then `members` more joins. Auth events are not checked here.
  std::vector<matrix::Event> RemoteState(const std::string& room_id, int members) {
    std::vector<matrix::Event> out;
    auto add = [&](const std::string& sender, const std::string& type, const std::string& key,
                   nlohmann::json content) {
      matrix::PduFields f;
      f.room_id = room_id;
      f.sender = sender;
      f.type = type;
      f.state_key = key;
      f.content = std::move(content);
      if (!out.empty()) f.prev_events = {out.back().event_id()};
      f.depth = static_cast<int64_t>(out.size()) + 1;
      f.origin_server_ts = static_cast<int64_t>(out.size()) + 1;
      absl::StatusOr<matrix::Event> e = matrix::BuildPdu(f, kRemote, key_);
      ASSERT_TRUE(e.ok()) << e.status();
      out.push_back(*std::move(e));
    };
    const std::string alice = std::string("@alice:") + kRemote;
    add(alice, matrix::kCreateType, "", {{"creator", alice}, {"room_version", "10"}});
    add(alice, matrix::kMemberType, alice, {{"membership", "join"}});
    add(alice, matrix::kPowerLevelsType, "", {{"users", {{alice, 100}}}});
    add(alice, matrix::kJoinRulesType, "", {{"join_rule", "public"}});
    add(alice, matrix::kNameType, "", {{"name", "big"}});
    for (int i = 0; i < members; ++i) {
      const std::string user = "@u" + std::to_string(i) + ":" + kRemote;
      add(user, matrix::kMemberType, user, {{"membership", "join"}});
    }
    return out;
  }

  struct Imported {
    double statements = 0;
    int64_t state_rows = 0;
  };

  // Imports the room with bob's join after its state, as OutgoingJoin does.
  Imported Import(const std::string& room_id, int members) {
    const std::vector<matrix::Event> events = RemoteState(room_id, members);
    std::vector<RoomWriter::RemoteWrite> state;
    matrix::StateMap map;
    for (const matrix::Event& e : events) {
      RoomWriter::RemoteWrite write{e, federation::RemoteUserUuid(e.sender()), std::nullopt};
      if (e.type() == matrix::kMemberType) {
        write.member_id = federation::RemoteUserUuid(*e.state_key());
      }
      state.push_back(std::move(write));
      EXPECT_TRUE(map.Put(e).ok());
    }
    matrix::PduFields f{.room_id = room_id,
                        .sender = "@bob:localhost",
                        .type = matrix::kMemberType,
                        .state_key = "@bob:localhost",
                        .content = {{"membership", "join"}},
                        .prev_events = {events.back().event_id()},
                        .depth = static_cast<int64_t>(events.size()) + 1,
                        .origin_server_ts = static_cast<int64_t>(events.size()) + 1};
    absl::StatusOr<matrix::Event> join = matrix::BuildPdu(f, "localhost", key_);
    EXPECT_TRUE(join.ok()) << join.status();
    EXPECT_TRUE(map.Put(*join).ok());
    const matrix::Room room =
        matrix::Room::Restore(room_id, map, {join->event_id()}, join->depth());
    RoomRow row;
    row.room_id = room_id;
    row.kind = "group";
    row.creator = federation::RemoteUserUuid(events.front().sender());
    row.created_at = absl::Now();
    metrics::Counter& statements = metrics::Registry::Default().GetCounter(
        pg::kStatementsMetric, "PostgreSQL statements sent");
    const double before = statements.value();
    absl::StatusOr<RoomRow> written = manager_->writer().ImportRemoteRoom(
        row, {}, state, {*join, bob_, bob_}, room, {bob_}, nullptr);
    EXPECT_TRUE(written.ok()) << written.status();
    Imported out{.statements = statements.value() - before};
    absl::StatusOr<pg::Result> rows = pool_->Exec(kStateRows, {room_id});
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (rows.ok()) out.state_rows = rows->GetInt64(0, 0);
    if (written.ok()) {
      EXPECT_EQ(written->name.value_or(""), "big");
    }
    ExpectStateIs(room_id, join->event_id(), map);
    return out;
  }

  static RoomWriter::RemoteWrite WriteOf(const matrix::Event& e) {
    RoomWriter::RemoteWrite w{e, federation::RemoteUserUuid(e.sender()), std::nullopt};
    if (e.type() == matrix::kMemberType) w.member_id = federation::RemoteUserUuid(*e.state_key());
    return w;
  }

  // Imports a room of remote.test with `messages` messages of alice as its
  // history (after the state, before bob's join); the statements it took.
  double ImportWithMessages(const std::string& room_id, int messages) {
    const std::vector<matrix::Event> state_events = RemoteState(room_id, 0);
    std::vector<RoomWriter::RemoteWrite> state, history;
    matrix::StateMap map;
    for (const matrix::Event& e : state_events) {
      state.push_back(WriteOf(e));
      EXPECT_TRUE(map.Put(e).ok());
    }
    std::string last = state_events.back().event_id();
    int64_t depth = static_cast<int64_t>(state_events.size());
    auto next = [&](const std::string& sender, const std::string& origin, const std::string& type,
                    std::optional<std::string> key, nlohmann::json content) {
      ++depth;
      matrix::PduFields f{.room_id = room_id,
                          .sender = sender,
                          .type = type,
                          .state_key = std::move(key),
                          .content = std::move(content),
                          .prev_events = {last},
                          .depth = depth,
                          .origin_server_ts = depth};
      absl::StatusOr<matrix::Event> e = matrix::BuildPdu(f, origin, key_);
      EXPECT_TRUE(e.ok()) << e.status();
      last = e->event_id();
      return *std::move(e);
    };
    for (int i = 0; i < messages; ++i) {
      history.push_back(WriteOf(next(std::string("@alice:") + kRemote, kRemote,
                                     matrix::kMessageType, std::nullopt,
                                     {{"msgtype", "m.text"}, {"body", absl::StrCat("m", i)}})));
    }
    const matrix::Event join = next("@bob:localhost", "localhost", matrix::kMemberType,
                                    "@bob:localhost", {{"membership", "join"}});
    EXPECT_TRUE(map.Put(join).ok());
    RoomRow row{.room_id = room_id, .kind = "group",
                .creator = federation::RemoteUserUuid(state_events.front().sender())};
    row.created_at = absl::Now();
    metrics::Counter& statements = metrics::Registry::Default().GetCounter(
        pg::kStatementsMetric, "PostgreSQL statements sent");
    const double before = statements.value();
    absl::StatusOr<RoomRow> written = manager_->writer().ImportRemoteRoom(
        row, history, state, {join, bob_, bob_},
        matrix::Room::Restore(room_id, map, {join.event_id()}, join.depth()), {bob_}, nullptr);
    EXPECT_TRUE(written.ok()) << written.status();
    return statements.value() - before;
  }

  // The room's state as imported, (type, state_key, event id).
  using Entries = std::set<std::tuple<std::string, std::string, std::string>>;

  // Both the chain of state groups after the join and current_state hold
  // the whole imported state, nothing else.
  void ExpectStateIs(const std::string& room_id, const std::string& last,
                     const matrix::StateMap& state) {
    Entries want;
    for (const auto& [key, event] : state) want.insert({key.type, key.state_key, event.event_id()});
    absl::StatusOr<std::vector<StateEntry>> chain = store_->StateAfter(last);
    ASSERT_TRUE(chain.ok()) << chain.status();
    Entries in_chain;
    for (const StateEntry& e : *chain) in_chain.insert({e.type, e.state_key, e.event_id});
    EXPECT_TRUE(in_chain == want) << "chain: " << in_chain.size() << " of " << want.size();
    absl::StatusOr<pg::Result> rows = pool_->Exec(kCurrentState, {room_id});
    ASSERT_TRUE(rows.ok()) << rows.status();
    Entries current;
    for (int i = 0; i < rows->rows(); ++i) {
      current.insert({rows->GetString(i, 0), rows->GetString(i, 1), rows->GetString(i, 2)});
    }
    EXPECT_TRUE(current == want) << "current: " << current.size() << " of " << want.size();
  }

  matrix::Ed25519Key key_ = *matrix::Ed25519Key::FromSeed(std::string(32, '\x22'), "1");
  std::string bob_;
};

// Statements and state rows of an import follow the state's size: 2,000
// members cost the statements of 20 and about two rows per state event (a
// group's entry and its place in the final snapshot). Before: 10,058
// statements (133 for 20 members) and 10,899 state rows.
TEST_F(RemoteImportPgTest, ImportOfALargeRoomIsAFewStatementsAndLinearRows) {
  const Imported small = Import("!small:remote.test", 20);
  const Imported large = Import("!large:remote.test", 2'000);
  RecordProperty("statements_import_20", std::to_string(small.statements));
  RecordProperty("statements_import_2000", std::to_string(large.statements));
  RecordProperty("state_rows_import_2000", std::to_string(large.state_rows));
  EXPECT_LE(large.statements, small.statements + 1)
      << "20 members: " << small.statements << ", 2,000: " << large.statements;
  EXPECT_LE(large.statements, 20.0);
  EXPECT_LE(large.state_rows, 2 * 2'006 + 10);
  absl::StatusOr<pg::Result> joined = pool_->Exec(kMembers, {"!large:remote.test"});
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->GetInt64(0, 0), 2'002);  // alice, the 2,000 and bob
}

// History from /backfill (matrix::CheckJoinHistory) comes before the join in
// seq order: history pages and unread counts show alice's messages sent
// before bob's server joined, each is published as message.received, and
// a name the room had before is history, not state.
TEST_F(RemoteImportPgTest, HistoryIsWrittenBeforeTheJoinAndCountsLikeReceivedMessages) {
  const std::string room_id = "!history:remote.test";
  const std::string alice = std::string("@alice:") + kRemote;
  std::vector<matrix::Event> events;
  auto add = [&](const std::string& type, std::optional<std::string> key, nlohmann::json content) {
    matrix::PduFields f{.room_id = room_id,
                        .sender = alice,
                        .type = type,
                        .state_key = std::move(key),
                        .content = std::move(content),
                        .depth = static_cast<int64_t>(events.size()) + 1,
                        .origin_server_ts = static_cast<int64_t>(events.size()) + 1};
    if (!events.empty()) f.prev_events = {events.back().event_id()};
    absl::StatusOr<matrix::Event> e = matrix::BuildPdu(f, kRemote, key_);
    EXPECT_TRUE(e.ok()) << e.status();
    events.push_back(*e);
    return *e;
  };
  const matrix::Event create =
      add(matrix::kCreateType, "", {{"creator", alice}, {"room_version", "10"}});
  const matrix::Event alice_join = add(matrix::kMemberType, alice, {{"membership", "join"}});
  const matrix::Event old_name = add(matrix::kNameType, "", {{"name", "before"}});
  const matrix::Event one = add(matrix::kMessageType, std::nullopt, {{"body", "one"}});
  const matrix::Event name = add(matrix::kNameType, "", {{"name", "now"}});
  const matrix::Event two = add(matrix::kMessageType, std::nullopt, {{"body", "two"}});
  // The state: create and alice's join older than the history window; the
  // history: the old name, one, the current name, two.
  const std::vector<RoomWriter::RemoteWrite> state = {WriteOf(create), WriteOf(alice_join),
                                                      WriteOf(name)};
  const std::vector<RoomWriter::RemoteWrite> history = {WriteOf(old_name), WriteOf(one),
                                                        WriteOf(name), WriteOf(two)};
  matrix::StateMap map;
  for (const matrix::Event& e : {create, alice_join, name}) ASSERT_TRUE(map.Put(e).ok());
  matrix::PduFields f{.room_id = room_id,
                      .sender = "@bob:localhost",
                      .type = matrix::kMemberType,
                      .state_key = "@bob:localhost",
                      .content = {{"membership", "join"}},
                      .prev_events = {two.event_id()},
                      .depth = 7,
                      .origin_server_ts = 7};
  absl::StatusOr<matrix::Event> join = matrix::BuildPdu(f, "localhost", key_);
  ASSERT_TRUE(join.ok()) << join.status();
  ASSERT_TRUE(map.Put(*join).ok());
  RoomRow row{.room_id = room_id, .kind = "group", .creator = federation::RemoteUserUuid(alice)};
  row.created_at = absl::Now();
  absl::StatusOr<RoomRow> written = manager_->writer().ImportRemoteRoom(
      row, history, state, {*join, bob_, bob_},
      matrix::Room::Restore(room_id, map, {join->event_id()}, join->depth()), {bob_}, nullptr);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->name.value_or(""), "now");
  ExpectStateIs(room_id, join->event_id(), map);

  absl::StatusOr<pg::Result> order = pool_->Exec(
      {"t_import_order", "SELECT event_id FROM events WHERE room_id = $1 ORDER BY seq"}, {room_id});
  ASSERT_TRUE(order.ok()) << order.status();
  std::vector<std::string> ids;
  for (int i = 0; i < order->rows(); ++i) ids.push_back(order->GetString(i, 0));
  EXPECT_EQ(ids, (std::vector<std::string>{create.event_id(), alice_join.event_id(),
                                           old_name.event_id(), one.event_id(), name.event_id(),
                                           two.event_id(), join->event_id()}));

  absl::StatusOr<std::vector<ConversationRow>> conversations = manager_->Conversations(bob_);
  ASSERT_TRUE(conversations.ok()) << conversations.status();
  ASSERT_EQ(conversations->size(), 1u);
  EXPECT_EQ((*conversations)[0].unread, 2);
  ASSERT_TRUE((*conversations)[0].last_message.has_value());
  EXPECT_EQ((*conversations)[0].last_message->event_id, two.event_id());

  absl::StatusOr<pg::Result> received = pool_->Exec(
      {"t_import_received",
       "SELECT payload::jsonb -> 'data' ->> 'message_id' FROM outbox "
       "WHERE subject = 'message.received' ORDER BY seq"});
  ASSERT_TRUE(received.ok()) << received.status();
  ASSERT_EQ(received->rows(), 2);
  EXPECT_EQ(received->GetString(0, 0), one.event_id());
  EXPECT_EQ(received->GetString(1, 0), two.event_id());

  // Redacting the superseded name leaves the room's name as it is.
  ASSERT_TRUE(store_
                  ->Transaction([&](MessagingTx& tx) {
                    return RedactStored(tx, old_name.event_id());
                  })
                  .ok());
  conversations = manager_->Conversations(bob_);
  ASSERT_TRUE(conversations.ok()) << conversations.status();
  EXPECT_EQ((*conversations)[0].name.value_or("(none)"), "now");
}

// A redacted current room name is no longer the conversation's name in the
// /v1 list: the redaction algorithm drops the name, rooms.name follows.
TEST_F(RemoteImportPgTest, ARedactedRoomNameIsNoLongerTheConversationsName) {
  const std::string room_id = "!named:remote.test";
  Import(room_id, 2);
  const matrix::Event name_event = RemoteState(room_id, 2)[4];
  ASSERT_EQ(name_event.type(), matrix::kNameType);
  const auto name = [&]() -> std::string {
    absl::StatusOr<std::vector<ConversationRow>> list = manager_->Conversations(bob_);
    EXPECT_TRUE(list.ok()) << list.status();
    if (!list.ok() || list->size() != 1) return "(no conversation)";
    return (*list)[0].name.value_or("(none)");
  };
  ASSERT_EQ(name(), "big");
  ASSERT_TRUE(store_
                  ->Transaction([&](MessagingTx& tx) {
                    return RedactStored(tx, name_event.event_id());
                  })
                  .ok());
  EXPECT_EQ(name(), "(none)");
}

// The history's messages cost no statement each: 60 messages of history take
// the statements of 2 (the events in one INSERT, their message.received rows
// in one more), and each is published once.
TEST_F(RemoteImportPgTest, HistoryMessagesCostNoStatementEach) {
  const double two = ImportWithMessages("!two:remote.test", 2);
  const double sixty = ImportWithMessages("!sixty:remote.test", 60);
  RecordProperty("statements_history_2", std::to_string(two));
  RecordProperty("statements_history_60", std::to_string(sixty));
  EXPECT_LE(sixty, two) << "2 messages: " << two << ", 60: " << sixty;
  absl::StatusOr<pg::Result> received = pool_->Exec(
      {"t_import_received_count",
       "SELECT count(*), count(DISTINCT payload::jsonb -> 'data' ->> 'message_id') FROM outbox "
       "WHERE subject = 'message.received'"});
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(received->GetInt64(0, 0), 62);
  EXPECT_EQ(received->GetInt64(0, 1), 62);
}

}  // namespace
}  // namespace messenger::messaging
