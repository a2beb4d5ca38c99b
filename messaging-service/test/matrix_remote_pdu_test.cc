// The decisions on PDUs from other servers (remote_pdu.h), on a real public
// room and real signed events; the known events are an in-memory source.
#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/remote_pdu.h"
#include "messaging-service/src/domain/matrix/server_acl.h"

namespace messenger::matrix {
namespace {

constexpr char kLocal[] = "hs.local";
constexpr char kRemote[] = "remote.test";
constexpr char kRoomId[] = "!public:hs.local";
constexpr char kAlice[] = "@alice:hs.local";
constexpr char kPat[] = "@pat:remote.test";
constexpr char kMallory[] = "@mallory:remote.test";
constexpr char kQuinn[] = "@quinn:remote.test";
constexpr char kNeverSeen[] = "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

class RemotePduTest : public ::testing::Test {
 protected:
  RemotePduTest()
      : local_key_(*Ed25519Key::FromSeed(std::string(32, '\x01'), "l")),
        remote_key_(*Ed25519Key::FromSeed(std::string(32, '\x02'), "r")),
        room_(kRoomId) {
    auto created = CreateRoom(
        {.room_id = kRoomId, .creator = kAlice, .join_rule = "public", .origin_server_ts = 1},
        kLocal, local_key_);
    EXPECT_TRUE(created.ok()) << created.status();
    room_ = created->room;
    for (const Event& e : created->events) known_.Add(e);
  }

  // An event of `sender` after the room's latest one, as its server builds it.
  Event Remote(const std::string& sender, const std::string& type,
               std::optional<std::string> state_key, nlohmann::json content,
               std::optional<std::vector<std::string>> prevs = std::nullopt) {
    EventDraft draft{sender, type, state_key, content, std::nullopt};
    PduFields fields{.room_id = kRoomId,
                     .sender = sender,
                     .type = type,
                     .state_key = state_key,
                     .content = content,
                     .prev_events = prevs.value_or(room_.forward_extremities()),
                     .auth_events = room_.AuthEventIds(draft),
                     .depth = room_.depth() + 1,
                     .origin_server_ts = ++ts_};
    absl::StatusOr<Event> event = BuildPdu(fields, kRemote, remote_key_);
    EXPECT_TRUE(event.ok()) << event.status();
    return *event;
  }

  RemotePduDecision Decide(const Event& event, const std::string& origin = kRemote) {
    return DecideRemotePdu(event, origin, kLocal, room_, known_, room_.state());
  }

  // Applies an accepted event as the writer does.
  void Apply(const Event& event) {
    ASSERT_EQ(Decide(event).action, RemotePduAction::kApply) << Decide(event).reason;
    ASSERT_TRUE(room_.Accept(event).ok());
    known_.Add(event);
  }

  Ed25519Key local_key_, remote_key_;
  Room room_;
  EventMapSource known_;
  int64_t ts_ = 100;
};

TEST_F(RemotePduTest, JoinOfTheOriginsUserThenItsMessagesApply) {
  EXPECT_FALSE(ServerHasJoinedMember(room_.state(), kRemote));
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "join"}}));
  EXPECT_TRUE(ServerHasJoinedMember(room_.state(), kRemote));
  Apply(Remote(kPat, kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "hi"}}));
}

TEST_F(RemotePduTest, OriginWithoutMemberIsRefused) {
  Event message = Remote(kPat, kMessageType, std::nullopt, {{"body", "hi"}});
  RemotePduDecision d = Decide(message);
  EXPECT_EQ(d.action, RemotePduAction::kRefuse);
  EXPECT_EQ(d.reason.code(), absl::StatusCode::kPermissionDenied);
  // Nor may a joined server send the join of another server's user.
  Event join = Remote(kPat, kMemberType, kPat, {{"membership", "join"}});
  EXPECT_EQ(Decide(join, "other.test").action, RemotePduAction::kRefuse);
}

TEST_F(RemotePduTest, OriginWithoutMemberMayDeclineItsUsersInvite) {
  // Not invited: the leave of a user of a server with no one joined is refused.
  RemotePduDecision stray = Decide(Remote(kMallory, kMemberType, kMallory, {{"membership", "leave"}}));
  EXPECT_EQ(stray.action, RemotePduAction::kRefuse);
  EXPECT_EQ(stray.reason.code(), absl::StatusCode::kPermissionDenied);
  // alice invites pat; pat's server declines with pat's leave (send_leave).
  const nlohmann::json invite_content = {{"membership", "invite"}};
  EventDraft draft{kAlice, kMemberType, kPat, invite_content, std::nullopt};
  absl::StatusOr<Event> invite = BuildPdu({.room_id = kRoomId,
                                           .sender = kAlice,
                                           .type = kMemberType,
                                           .state_key = kPat,
                                           .content = invite_content,
                                           .prev_events = room_.forward_extremities(),
                                           .auth_events = room_.AuthEventIds(draft),
                                           .depth = room_.depth() + 1,
                                           .origin_server_ts = ++ts_},
                                          kLocal, local_key_);
  ASSERT_TRUE(invite.ok()) << invite.status();
  ASSERT_TRUE(room_.Accept(*invite).ok());
  known_.Add(*invite);
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "leave"}}));
  EXPECT_EQ(room_.state().Membership(kPat), "leave");
  EXPECT_FALSE(ServerHasJoinedMember(room_.state(), kRemote));
}

TEST_F(RemotePduTest, SenderNotJoinedIsRejectedByTheAuthRules) {
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "join"}}));
  RemotePduDecision d = Decide(Remote(kMallory, kMessageType, std::nullopt, {{"body", "x"}}));
  EXPECT_EQ(d.action, RemotePduAction::kReject);
  EXPECT_EQ(d.reason.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(RemotePduTest, RejectedAuthEventRejects) {
  Event join = Remote(kPat, kMemberType, kPat, {{"membership", "join"}});
  Apply(join);
  // The store says the join was rejected after all (e.g. stored so by an
  // earlier decision): events that rely on it are rejected too.
  EventMapSource flagged;
  for (const auto& [key, e] : room_.state()) flagged.Add(e, e.event_id() == join.event_id());
  Event message = Remote(kPat, kMessageType, std::nullopt, {{"body", "x"}});
  RemotePduDecision d = DecideRemotePdu(message, kRemote, kLocal, room_, flagged, room_.state());
  EXPECT_EQ(d.action, RemotePduAction::kReject) << d.reason;
}

TEST_F(RemotePduTest, UnknownPrevEventsAreRefusedAndNamed) {
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "join"}}));
  Event unknown = Remote(kPat, kMessageType, std::nullopt, {{"body", "x"}},
                         std::vector<std::string>{kNeverSeen});
  RemotePduDecision d = Decide(unknown);
  EXPECT_EQ(d.action, RemotePduAction::kRefuse);
  EXPECT_NE(d.reason.message().find(kNeverSeen), std::string::npos) << d.reason;
  EXPECT_EQ(d.missing_prev_events, std::vector<std::string>{kNeverSeen});
}

// The room's state as event ids, as the state groups keep it.
StateIds IdsOf(const StateMap& state) {
  StateIds ids;
  for (const auto& [key, e] : state) ids[key] = e.event_id();
  return ids;
}

// Both servers write at once: pat's server sends a message whose prev event
// is older than the room's tip (alice changed the topic meanwhile). It is
// judged against the state after its prev event, the room keeps both tips
// and the topic, and alice's next event merges them.
TEST_F(RemotePduTest, AForkIsJudgedAgainstTheStateBeforeItAndMergedByTheNextLocalEvent) {
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "join"}}));
  const std::string fork_point = room_.forward_extremities().front();
  StatesAfter after;
  after[fork_point] = IdsOf(room_.state());
  Event fork = Remote(kPat, kMessageType, std::nullopt, {{"body", "meanwhile"}});
  absl::StatusOr<Event> topic =
      room_.Append({kAlice, kTopicType, "", {{"topic", "ours"}}, {}}, ++ts_, kLocal, local_key_);
  ASSERT_TRUE(topic.ok()) << topic.status();
  known_.Add(*topic);
  after[topic->event_id()] = IdsOf(room_.state());
  absl::StatusOr<StateIds> before = StateBeforeFork(fork, after, known_);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, after[fork_point]);
  absl::StatusOr<StateMap> before_state = LoadState(*before, known_);
  ASSERT_TRUE(before_state.ok()) << before_state.status();
  RemotePduDecision d = DecideRemotePdu(fork, kRemote, kLocal, room_, known_, *before_state);
  ASSERT_EQ(d.action, RemotePduAction::kApply) << d.reason;
  known_.Add(fork);
  absl::StatusOr<StateIds> merged = RoomStateAfterFork(room_, fork, *before, after, known_);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->at({kTopicType, ""}), topic->event_id());  // alice's branch is kept
  absl::StatusOr<StateMap> merged_state = LoadState(*merged, known_);
  ASSERT_TRUE(merged_state.ok());
  room_.AcceptForked(fork, *merged_state);
  EXPECT_TRUE(SameEventIds(room_.forward_extremities(), {topic->event_id(), fork.event_id()}));

  absl::StatusOr<Event> next =
      room_.Append({kAlice, kMessageType, std::nullopt, {{"body", "both seen"}}, {}}, ++ts_,
                   kLocal, local_key_);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE(SameEventIds(next->prev_events(), {topic->event_id(), fork.event_id()}));
  EXPECT_EQ(room_.forward_extremities(), std::vector<std::string>{next->event_id()});
}

// alice bans pat while pat's server sends a message after the join: the
// message passes the state before it but not the room's state (pat is
// banned now): soft-failed (kept with the state after it, not applied), not
// rejected.
TEST_F(RemotePduTest, AForkFromBeforeABanIsSoftFailedWithTheStateAfterIt) {
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "join"}}));
  Apply(Remote(kQuinn, kMemberType, kQuinn, {{"membership", "join"}}));  // stays
  const std::string fork_point = room_.forward_extremities().front();
  StatesAfter after;
  after[fork_point] = IdsOf(room_.state());
  // Built by pat's server before it saw the ban (auth events from its state).
  Event fork = Remote(kPat, kMessageType, std::nullopt, {{"body", "too late"}});
  Event stray = Remote(kMallory, kMessageType, std::nullopt, {{"body", "x"}});
  absl::StatusOr<Event> ban = room_.Append(
      {kAlice, kMemberType, kPat, {{"membership", "ban"}}, {}}, ++ts_, kLocal, local_key_);
  ASSERT_TRUE(ban.ok()) << ban.status();
  known_.Add(*ban);
  absl::StatusOr<StateMap> before = LoadState(*StateBeforeFork(fork, after, known_), known_);
  ASSERT_TRUE(before.ok());
  RemotePduDecision d = DecideRemotePdu(fork, kRemote, kLocal, room_, known_, *before);
  EXPECT_EQ(d.action, RemotePduAction::kSoftFail) << d.reason;
  EXPECT_EQ(d.reason.code(), absl::StatusCode::kPermissionDenied) << d.reason;
  EXPECT_EQ(d.reason.message().find("no member joined"), std::string::npos) << d.reason;
  // The state after a message is the state before it: pat still joined.
  EXPECT_EQ(d.state_after, after[fork_point]);
  EXPECT_NE(d.state_after.at({kMemberType, kPat}), ban->event_id());
  // And a fork that fails the rules in its own state is rejected: mallory
  // never joined on either branch.
  EXPECT_EQ(DecideRemotePdu(stray, kRemote, kLocal, room_, known_, *before).action,
            RemotePduAction::kReject);
}

TEST_F(RemotePduTest, LocalSendersAndOtherRoomsAreRefused) {
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "join"}}));
  PduFields fields{.room_id = kRoomId,
                   .sender = kAlice,
                   .type = kMessageType,
                   .content = {{"body", "forged"}},
                   .prev_events = room_.forward_extremities(),
                   .depth = room_.depth() + 1,
                   .origin_server_ts = 5};
  absl::StatusOr<Event> forged = BuildPdu(fields, kLocal, local_key_);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(Decide(*forged).action, RemotePduAction::kRefuse);
  Room other("!other:hs.local");
  RemotePduDecision d = DecideRemotePdu(Remote(kPat, kMessageType, std::nullopt, {{"b", 1}}),
                                        kRemote, kLocal, other, known_, other.state());
  EXPECT_EQ(d.reason.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RemotePduTest, AServerTheAclDeniesIsRefusedWhateverItSends) {
  Apply(Remote(kPat, kMemberType, kPat, {{"membership", "join"}}));
  absl::StatusOr<Event> acl =
      room_.Append({kAlice, kServerAclType, "", {{"allow", nlohmann::json::array({"*"})}, {"deny", nlohmann::json::array({"*.test"})}}, {}},
                   ++ts_, kLocal, local_key_);
  ASSERT_TRUE(acl.ok()) << acl.status();
  known_.Add(*acl);
  // pat is still joined, and the message would pass the auth rules: the ACL
  // refuses it at the network layer, nothing is stored as rejected.
  RemotePduDecision d = Decide(Remote(kPat, kMessageType, std::nullopt, {{"body", "x"}}));
  EXPECT_EQ(d.action, RemotePduAction::kRefuse);
  EXPECT_EQ(d.reason.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(d.reason.message().find("server ACL"), std::string::npos) << d.reason;
}

}  // namespace
}  // namespace messenger::matrix
