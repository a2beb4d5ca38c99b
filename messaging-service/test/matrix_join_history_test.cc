// The history a joining server takes from /backfill (join_history.h):
// checked like any PDU, authorized by its own auth events, oldest first,
// without what the join's state already holds.
#include <gtest/gtest.h>

#include <map>

#include "messaging-service/src/domain/matrix/join_history.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/test/fixed_server_keys.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

constexpr char kRoom[] = "!room:hs1.test";
constexpr char kAlice[] = "@alice:hs1.test";
constexpr char kMallory[] = "@mallory:hs1.test";

class JoinHistoryTest : public ::testing::Test {
 protected:
  JoinHistoryTest() : hs1_(*Ed25519Key::FromSeed(std::string(32, '1'), "a")), keys_({{"hs1.test", hs1_.public_key()}}) {
    NewRoomOptions options{
        .room_id = kRoom, .creator = kAlice, .join_rule = "public", .origin_server_ts = 1000};
    absl::StatusOr<CreatedRoom> created = CreateRoom(options, "hs1.test", hs1_);
    EXPECT_TRUE(created.ok()) << created.status();
    room_.emplace(created->room);
    for (const Event& e : created->events) state_.Add(e);
  }

  Event Say(const std::string& text) {
    absl::StatusOr<Event> e = room_->Append(
        {kAlice, kMessageType, std::nullopt, Json{{"msgtype", "m.text"}, {"body", text}},
         std::nullopt},
        2000 + room_->depth(), "hs1.test", hs1_);
    EXPECT_TRUE(e.ok()) << e.status();
    return *e;
  }

  // A message of someone who never joined, signed by hs1 all the same.
  Event Intruder() {
    const EventDraft draft{kMallory, kMessageType, std::nullopt, Json{{"body", "x"}},
                           std::nullopt};
    absl::StatusOr<Event> e = BuildPdu(PduFields{.room_id = kRoom,
                                                 .sender = kMallory,
                                                 .type = kMessageType,
                                                 .content = Json{{"body", "x"}},
                                                 .prev_events = room_->forward_extremities(),
                                                 .auth_events = room_->AuthEventIds(draft),
                                                 .depth = room_->depth() + 1,
                                                 .origin_server_ts = 5000},
                                       "hs1.test", hs1_);
    EXPECT_TRUE(e.ok()) << e.status();
    return *e;
  }

  static std::vector<std::string> Ids(const JoinHistory& history) {
    std::vector<std::string> out;
    for (const Event& e : history.events) out.push_back(e.event_id());
    return out;
  }

  Ed25519Key hs1_;
  testing_keys::FixedServerKeys keys_;
  std::optional<Room> room_;
  EventMapSource state_;  // what the send_join answer held
};

TEST_F(JoinHistoryTest, MessagesBeforeTheJoinComeOldestFirstWithoutTheKnownState) {
  const Event one = Say("one"), two = Say("two"), three = Say("three");
  // /backfill answers newest first, and repeats the state it walked through.
  Json answer = {{"pdus", Json::array({three.json(), two.json(), one.json(), two.json()})}};
  for (const Event* e : {state_.Find(room_->state().create()->event_id())}) {
    answer["pdus"].push_back(e->json());
  }
  absl::StatusOr<JoinHistory> history = CheckJoinHistory(answer, kRoom, state_, keys_, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(Ids(*history),
            (std::vector<std::string>{one.event_id(), two.event_id(), three.event_id()}));
  EXPECT_EQ(history->dropped, 0u);
}

TEST_F(JoinHistoryTest, ForgedUnauthorizedOrForeignEventsAreDropped) {
  const Event one = Say("one");
  Json forged = Say("forged").json();
  forged["origin_server_ts"] = 1;  // the signature no longer matches
  const Event intruder = Intruder();
  Json foreign = one.json();
  foreign["room_id"] = "!other:hs1.test";
  const Json answer = {{"pdus", Json::array({one.json(), forged, intruder.json(), foreign})}};
  absl::StatusOr<JoinHistory> history = CheckJoinHistory(answer, kRoom, state_, keys_, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(Ids(*history), std::vector<std::string>{one.event_id()});
  EXPECT_EQ(history->dropped, 3u);
}

TEST_F(JoinHistoryTest, AnEventWhoseAuthEventsAreNotAtHandIsDropped) {
  // bob joins and speaks; the history holds his message but not his join.
  const EventDraft join{"@bob:hs1.test", kMemberType, "@bob:hs1.test",
                        Json{{"membership", "join"}}, std::nullopt};
  ASSERT_TRUE(room_->Append(join, 3000, "hs1.test", hs1_).ok());
  absl::StatusOr<Event> bobs = room_->Append(
      {"@bob:hs1.test", kMessageType, std::nullopt, Json{{"body", "hi"}}, std::nullopt}, 3001,
      "hs1.test", hs1_);
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  const Json answer = {{"pdus", Json::array({bobs->json()})}};
  absl::StatusOr<JoinHistory> history = CheckJoinHistory(answer, kRoom, state_, keys_, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_TRUE(history->events.empty());
  EXPECT_EQ(history->dropped, 1u);
}

TEST_F(JoinHistoryTest, TheLimitHoldsAndABadAnswerIsRefused) {
  Json answer = {{"pdus", Json::array()}};
  for (int i = 0; i < 5; ++i) answer["pdus"].push_back(Say("m" + std::to_string(i)).json());
  absl::StatusOr<JoinHistory> history = CheckJoinHistory(answer, kRoom, state_, keys_, 3);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->events.size(), 3u);
  for (const Json& bad : {Json::array(), Json{{"pdus", "x"}}, Json::object()}) {
    EXPECT_EQ(CheckJoinHistory(bad, kRoom, state_, keys_, 3).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << bad.dump();
  }
}

}  // namespace
}  // namespace messenger::matrix
