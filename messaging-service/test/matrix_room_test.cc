#include <gtest/gtest.h>

#include <set>

#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/room.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

constexpr char kServer[] = "example.org";
constexpr char kAlice[] = "@alice:example.org";
constexpr char kBob[] = "@bob:example.org";

class RoomTest : public ::testing::Test {
 protected:
  RoomTest() : key_(*Ed25519Key::FromSeed(std::string(32, '\x03'), "k1")) {}

  NewRoomOptions Options() {
    NewRoomOptions options;
    options.room_id = "!abcdefghijklmnopqr:example.org";
    options.creator = kAlice;
    options.name = "Team";
    options.topic = "Plans";
    options.origin_server_ts = 1700000000000;
    return options;
  }

  absl::StatusOr<Event> Send(Room& room, const std::string& sender, const std::string& type,
                             std::optional<std::string> state_key, Json content) {
    return room.Append({sender, type, std::move(state_key), std::move(content), std::nullopt},
                       ++ts_, kServer, key_);
  }

  Ed25519Key key_;
  int64_t ts_ = 1700000000000;
};

TEST_F(RoomTest, CreateRoomEmitsTheInitialStateInOrder) {
  auto created = CreateRoom(Options(), kServer, key_);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::vector<Event>& events = created->events;
  std::vector<std::string> types;
  for (const Event& event : events) types.push_back(event.type());
  EXPECT_EQ(types,
            (std::vector<std::string>{kCreateType, kMemberType, kPowerLevelsType, kJoinRulesType,
                                      kHistoryVisibilityType, kNameType, kTopicType}));

  const Event& create = events[0];
  EXPECT_EQ(create.content(), Json({{"creator", kAlice}, {"room_version", "10"}}));
  EXPECT_TRUE(create.prev_events().empty());
  EXPECT_TRUE(create.auth_events().empty());
  EXPECT_EQ(events[1].membership(), "join");
  EXPECT_EQ(*events[1].state_key(), kAlice);
  EXPECT_EQ(events[2].content()["users"][kAlice], 100);
  EXPECT_EQ(events[3].content()["join_rule"], "invite");
  EXPECT_EQ(events[4].content()["history_visibility"], "shared");
  EXPECT_EQ(events[5].content()["name"], "Team");
  EXPECT_EQ(events[6].content()["topic"], "Plans");

  std::set<std::string> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    EXPECT_EQ(event.room_id(), Options().room_id);
    EXPECT_EQ(event.sender(), kAlice);
    EXPECT_EQ(event.depth(), static_cast<int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ(event.prev_events(), std::vector<std::string>{events[i - 1].event_id()});
    }
    EXPECT_TRUE(IsValidEventId(event.event_id()));
    EXPECT_TRUE(VerifyEventSignature(event.json(), kServer, "ed25519:k1", key_.public_key()).ok());
    EXPECT_TRUE(VerifyContentHash(event.json()).ok());
    ids.insert(event.event_id());
  }
  EXPECT_EQ(ids.size(), events.size());

  // auth_events follow the selection: create, power levels (once it exists)
  // and the sender's membership.
  EXPECT_EQ(events[1].auth_events(), std::vector<std::string>{create.event_id()});
  EXPECT_EQ(events[2].auth_events(),
            (std::vector<std::string>{create.event_id(), events[1].event_id()}));
  EXPECT_EQ(
      events[3].auth_events(),
      (std::vector<std::string>{create.event_id(), events[2].event_id(), events[1].event_id()}));

  const Room& room = created->room;
  EXPECT_EQ(room.state().size(), 7u);
  EXPECT_EQ(room.depth(), 7);
  EXPECT_EQ(room.forward_extremities(), std::vector<std::string>{events.back().event_id()});
  EXPECT_EQ(room.state().Membership(kAlice), "join");
  EXPECT_EQ(room.state().JoinRule(), "invite");
}

TEST_F(RoomTest, EveryInitialEventPassesItsOwnAuthEvents) {
  auto created = CreateRoom(Options(), kServer, key_);
  ASSERT_TRUE(created.ok());
  std::map<std::string, Event> by_id;
  for (const Event& event : created->events) {
    std::vector<Event> auth_events;
    for (const std::string& id : event.auth_events()) auth_events.push_back(by_id.at(id));
    auto auth_state = AuthStateFromAuthEvents(event, auth_events);
    ASSERT_TRUE(auth_state.ok()) << event.type() << ": " << auth_state.status();
    EXPECT_TRUE(Authorize(event, *auth_state).ok()) << event.type();
    by_id.emplace(event.event_id(), event);
  }
}

TEST_F(RoomTest, OptionalNameAndTopicAndPublicRooms) {
  NewRoomOptions options = Options();
  options.name.reset();
  options.topic.reset();
  options.join_rule = "public";
  auto created = CreateRoom(options, kServer, key_);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->events.size(), 5u);
  Room& room = created->room;
  // Anyone may join a public room and then talk.
  ASSERT_TRUE(Send(room, kBob, kMemberType, kBob, {{"membership", "join"}}).ok());
  auto message =
      Send(room, kBob, kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "hi"}});
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->depth(), 7);
  EXPECT_EQ(message->auth_events().size(), 3u);  // create, power levels, bob's join
}

TEST_F(RoomTest, InviteJoinTalkLeave) {
  auto created = CreateRoom(Options(), kServer, key_);
  ASSERT_TRUE(created.ok());
  Room& room = created->room;

  // Rejected events leave the room untouched.
  const auto tip = room.forward_extremities();
  EXPECT_EQ(Send(room, kBob, kMemberType, kBob, {{"membership", "join"}}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Send(room, kBob, kMessageType, std::nullopt, {{"body", "hi"}}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(room.forward_extremities(), tip);
  EXPECT_EQ(room.depth(), 7);

  ASSERT_TRUE(Send(room, kAlice, kMemberType, kBob, {{"membership", "invite"}}).ok());
  EXPECT_EQ(room.state().Membership(kBob), "invite");
  ASSERT_TRUE(Send(room, kBob, kMemberType, kBob, {{"membership", "join"}}).ok());
  auto message = Send(room, kBob, kMessageType, std::nullopt, {{"body", "hi"}});
  ASSERT_TRUE(message.ok());
  EXPECT_FALSE(message->is_state());
  EXPECT_EQ(room.state().size(), 8u);  // messages are not state
  // Bob (level 0) cannot rename the room.
  EXPECT_EQ(Send(room, kBob, kNameType, "", {{"name", "Mine"}}).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Send(room, kBob, kMemberType, kBob, {{"membership", "leave"}}).ok());
  EXPECT_EQ(room.state().Membership(kBob), "leave");
  EXPECT_EQ(room.depth(), 11);
}

TEST_F(RoomTest, AcceptRequiresTheCurrentTip) {
  auto created = CreateRoom(Options(), kServer, key_);
  ASSERT_TRUE(created.ok());
  Room replay(Options().room_id);
  for (const Event& event : created->events) ASSERT_TRUE(replay.Accept(event).ok());
  EXPECT_EQ(replay.forward_extremities(), created->room.forward_extremities());
  EXPECT_EQ(replay.state().size(), created->room.state().size());
  // Replaying again does not extend the tip.
  EXPECT_EQ(replay.Accept(created->events[3]).code(), absl::StatusCode::kFailedPrecondition);
  Room other("!zzz:example.org");
  EXPECT_EQ(other.Accept(created->events[0]).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RoomTest, CreateRoomValidatesIds) {
  NewRoomOptions options = Options();
  options.room_id = "abc";
  EXPECT_EQ(CreateRoom(options, kServer, key_).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options();
  options.creator = "@Alice:example.org";
  EXPECT_EQ(CreateRoom(options, kServer, key_).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options();
  options.room_id = "!abc:other.org";  // the room's domain must be the creator's
  EXPECT_EQ(CreateRoom(options, kServer, key_).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace messenger::matrix
