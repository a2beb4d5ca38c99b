// The pure steps of an outgoing join (remote_join.h): the template taken from
// make_join and the send_join answer checked before anything is written.
#include <gtest/gtest.h>

#include <map>

#include "messaging-service/src/domain/matrix/remote_join.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/test/fixed_server_keys.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

constexpr char kRoom[] = "!room:hs1.test";
constexpr char kAlice[] = "@alice:hs1.test";
constexpr char kBob[] = "@bob:hs2.test";

class RemoteJoinTest : public ::testing::Test {
 protected:
  RemoteJoinTest()
      : hs1_(*Ed25519Key::FromSeed(std::string(32, '1'), "a")),
        hs2_(*Ed25519Key::FromSeed(std::string(32, '2'), "b")),
        keys_({{"hs1.test", hs1_.public_key()}, {"hs2.test", hs2_.public_key()}}) {}

  // hs1's room with `join_rule`, its make_join template for bob, bob's join
  // and hs1's send_join answer.
  void Resident(const std::string& join_rule) {
    NewRoomOptions options{
        .room_id = kRoom, .creator = kAlice, .join_rule = join_rule, .origin_server_ts = 1000};
    absl::StatusOr<CreatedRoom> created = CreateRoom(options, "hs1.test", hs1_);
    ASSERT_TRUE(created.ok()) << created.status();
    const Room& room = created->room;
    const EventDraft draft{kBob, kMemberType, kBob, Json{{"membership", "join"}}, std::nullopt};
    template_ = {{"room_version", "10"},
                 {"event",
                  {{"room_id", kRoom},
                   {"sender", kBob},
                   {"state_key", kBob},
                   {"type", kMemberType},
                   {"content", {{"membership", "join"}}},
                   {"prev_events", room.forward_extremities()},
                   {"auth_events", room.AuthEventIds(draft)},
                   {"depth", room.depth() + 1}}}};
    absl::StatusOr<PduFields> fields = JoinFromTemplate(template_, kRoom, kBob, 2000);
    ASSERT_TRUE(fields.ok()) << fields.status();
    absl::StatusOr<Event> join = BuildPdu(*fields, "hs2.test", hs2_);
    ASSERT_TRUE(join.ok()) << join.status();
    join_ = *join;
    answer_ = {{"state", Json::array()}, {"auth_chain", Json::array()}, {"event", join_->json()}};
    for (const Event& e : created->events) answer_["state"].push_back(e.json());
  }

  Ed25519Key hs1_, hs2_;
  testing_keys::FixedServerKeys keys_;
  Json template_, answer_;
  std::optional<Event> join_;
};

TEST_F(RemoteJoinTest, APublicRoomIsJoinedWithItsState) {
  Resident("public");
  absl::StatusOr<JoinedRoom> joined = CheckSendJoinAnswer(answer_, *join_, keys_);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->state.size(), answer_["state"].size());
  EXPECT_EQ(joined->room.forward_extremities(), std::vector<std::string>{join_->event_id()});
  EXPECT_EQ(joined->room.state().Membership(kBob), "join");
  EXPECT_EQ(joined->room.depth(), join_->depth());
}

TEST_F(RemoteJoinTest, AnInviteOnlyRoomRefusesTheJoin) {
  Resident("invite");
  absl::StatusOr<JoinedRoom> joined = CheckSendJoinAnswer(answer_, *join_, keys_);
  EXPECT_EQ(joined.status().code(), absl::StatusCode::kPermissionDenied) << joined.status();
}

TEST_F(RemoteJoinTest, ATamperedStateEventFailsTheAnswer) {
  Resident("public");
  // The join rule's signature no longer matches: a forged state.
  for (Json& e : answer_["state"]) {
    if (e["type"] == kJoinRulesType) e["origin_server_ts"] = 5;
  }
  absl::StatusOr<JoinedRoom> joined = CheckSendJoinAnswer(answer_, *join_, keys_);
  EXPECT_EQ(joined.status().code(), absl::StatusCode::kFailedPrecondition) << joined.status();
}

TEST_F(RemoteJoinTest, AStateWithoutTheJoinsAuthEventsFailsTheAnswer) {
  Resident("public");
  Json state = Json::array();
  for (const Json& e : answer_["state"]) {
    if (e["type"] != kPowerLevelsType) state.push_back(e);
  }
  answer_["state"] = state;
  EXPECT_EQ(CheckSendJoinAnswer(answer_, *join_, keys_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckSendJoinAnswer(Json::array(), *join_, keys_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RemoteJoinTest, BadTemplatesAreRefused) {
  Resident("public");
  EXPECT_TRUE(JoinFromTemplate(template_, kRoom, kBob, 1).ok());
  const std::vector<std::function<void(Json&)>> bad = {
      [](Json& t) { t.erase("room_version"); },
      [](Json& t) { t["room_version"] = "9"; },
      [](Json& t) { t["event"]["room_id"] = "!other:hs1.test"; },
      [](Json& t) { t["event"]["sender"] = kAlice; },
      [](Json& t) { t["event"]["depth"] = "x"; },
      [](Json& t) { t["event"]["prev_events"] = Json::array(); },
      [](Json& t) { t["event"]["auth_events"] = {1}; },
      [](Json& t) { t = Json::array(); },
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    Json t = template_;
    bad[i](t);
    EXPECT_EQ(JoinFromTemplate(t, kRoom, kBob, 1).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << i;
  }
}

}  // namespace
}  // namespace messenger::matrix
