// Direct rooms with a contact on another server (issue 16, feddirect), the
// side of the invited server: PUT /v2/invite with is_direct, signed by a
// fake hs1.test, through FederationRooms::Invite: taken only from a contact
// of the invitee (the fake contact service), recorded as the pair's direct
// room, and the invitee's join started.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <thread>

#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/federation/remote_users.h"
#include "messaging-service/test/remote_direct_pdu.h"
#include "messaging-service/test/signed_federation_fixture.h"

namespace messenger::federation {
namespace {

using testing_direct::kAlice;
using testing_direct::kRoom;

class RemoteDirectInviteTest : public testing_signed::SignedFederationFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SignedFederationFixture::SetUp());
    rooms_->SetSigningKey(our_key_);
    rooms_->SetFriendsCheck([this](const std::string& a, const std::string& b) {
      return friends_.AreFriends(a, b);
    });
    rooms_->SetDirectInviteTaken([this](const std::string& room, const std::string& user,
                                        const std::string& mxid, const std::string& origin,
                                        const std::string&) {
      joins_.push_back({room, user, mxid, origin});
    });
  }

  // An event of alice's, built and signed by hs1.test.
  absl::StatusOr<matrix::Event> AlicePdu(const std::string& type,
                                         std::optional<std::string> state_key,
                                         nlohmann::json content,
                                         const std::string& room_id = kRoom) {
    return testing_direct::AlicePdu(hs1_.key, type, std::move(state_key), std::move(content),
                                    absl::ToUnixMillis(absl::Now()), room_id);
  }
  // alice's invite of bob into `room_id`, sent by hs1.test.
  absl::StatusOr<nlohmann::json> Invite(bool is_direct, const std::string& room_id = kRoom) {
    nlohmann::json content = {{"membership", "invite"}};
    if (is_direct) content["is_direct"] = true;
    ASSIGN_OR_RETURN(matrix::Event event,
                     AlicePdu(matrix::kMemberType, "@bob:localhost", content, room_id));
    const nlohmann::json body = {{"event", event.json()},
                                 {"room_version", "10"},
                                 {"invite_room_state", nlohmann::json::array()}};
    ASSIGN_OR_RETURN(InboundRequest request,
                     Signed("/_matrix/federation/v2/invite/" + QueryEscape(room_id) + "/" +
                                QueryEscape(event.event_id()),
                            body));
    return rooms_->Invite(request, RoomRoute{.room_id = room_id, .event_id = event.event_id()});
  }

  // PUT /send with one message of alice's: that PDU's error ("" when applied).
  std::string SendMessage(const std::string& txn_id, const std::string& room_id = kRoom) {
    absl::StatusOr<matrix::Event> event = AlicePdu(
        matrix::kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "hi"}}, room_id);
    EXPECT_TRUE(event.ok());
    const nlohmann::json body = {{"origin", "hs1.test"},
                                 {"origin_server_ts", absl::ToUnixMillis(absl::Now())},
                                 {"pdus", nlohmann::json::array({event->json()})}};
    absl::StatusOr<InboundRequest> request =
        Signed("/_matrix/federation/v1/send/" + txn_id, body);
    EXPECT_TRUE(request.ok());
    absl::StatusOr<nlohmann::json> answer =
        rooms_->SendTransaction(*request, RoomRoute{.txn_id = txn_id});
    EXPECT_TRUE(answer.ok()) << answer.status();  // 200: the error is the PDU's
    if (!answer.ok()) return "no answer";
    const nlohmann::json& result = (*answer)["pdus"][event->event_id()];
    return result.contains("error") ? result["error"].get<std::string>() : "";
  }

  // alice as a remote user of this server (her row, as a taken invite makes).
  void AddAlice() {
    ASSERT_TRUE(pool_
                    ->Transaction([&](pg::Tx& tx) {
                      return room_store_->AddRemoteUser(tx, RemoteUserUuid(kAlice), kAlice);
                    })
                    .ok());
  }

  // bob's invites are refused (`refusal`) after alice's invite into
  // `peers_room` crossed them and `then` ran; the rooms bob invited into
  // go to invited_into_.
  void RefuseAfterCrossing(const std::string& peers_room, const std::string& refusal,
                           std::function<void()> then = nullptr) {
    manager_->SetRemoteInviter([this, peers_room, refusal, then](
                                   const std::string& room_id, const std::string&,
                                   const std::string&, const std::string&) -> absl::Status {
      invited_into_.push_back(room_id);
      absl::StatusOr<nlohmann::json> crossing = Invite(true, peers_room);
      EXPECT_TRUE(crossing.ok()) << crossing.status();
      if (then) then();
      return absl::PermissionDeniedError(refusal);
    });
  }

  std::vector<std::vector<std::string>> joins_;  // room, user, Matrix id, origin
  std::vector<std::string> invited_into_;
};

TEST_F(RemoteDirectInviteTest, ADirectInviteOfANonContactIsRefusedAndNothingIsWritten) {
  absl::StatusOr<nlohmann::json> answer = Invite(true);
  EXPECT_TRUE(absl::IsPermissionDenied(answer.status())) << answer.status();
  EXPECT_NE(answer.status().message().find("not a contact"), std::string::npos);
  auto room = store_->GetRoom(kRoom);
  ASSERT_TRUE(room.ok());
  EXPECT_FALSE(room->has_value());
  EXPECT_TRUE(joins_.empty());
}

TEST_F(RemoteDirectInviteTest, ADirectInviteOfAContactIsThePairsRoomAndItsJoinStarts) {
  const std::string alice = RemoteUserUuid(kAlice);
  friends_.Befriend(bob_, alice);
  absl::StatusOr<nlohmann::json> answer = Invite(true);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE((*answer)["event"]["signatures"].contains("localhost"));
  auto room = store_->FindDirectRoom(messaging::DirectKey(bob_, alice));
  ASSERT_TRUE(room.ok() && room->has_value());
  EXPECT_EQ((*room)->room_id, kRoom);
  EXPECT_EQ((*room)->kind, "direct");
  EXPECT_EQ(joins_, (std::vector<std::vector<std::string>>{
                        {kRoom, bob_, "@bob:localhost", "hs1.test"}}));
}

// bob writes to alice while the room her invite made is still being joined
// (the two-server glare test can meet this): the send waits for the join,
// and without one says so (retry), not 403 as from a non-member.
TEST_F(RemoteDirectInviteTest, ASendBeforeTheJoinOfThePeersRoomWaitsForIt) {
  const std::string alice = RemoteUserUuid(kAlice);
  friends_.Befriend(bob_, alice);
  manager_->SetRemoteInviter([](const std::string&, const std::string&, const std::string&,
                                const std::string&) { return absl::OkStatus(); });
  ASSERT_TRUE(Invite(true).ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<messaging::SentMessage> sent =
      manager_->Send({bob_, "dev1", alice, std::nullopt, "hi alice", "c1"});
  EXPECT_TRUE(absl::IsUnavailable(sent.status())) << sent.status();
  EXPECT_NE(sent.status().message().find("being joined"), std::string::npos) << sent.status();
  EXPECT_GE(absl::Now() - start, absl::Seconds(5));
}

// The peer's invite crosses bob's first send after bob's room was made and
// before its invite went out: glare moves the pair's key to the peer's room
// (the smaller id), so bob's invite into his own room is refused (as
// OutgoingJoin::Invite refuses a room that is no longer the pair's). The
// send goes on in the peer's room, waiting for bob's join there like any
// send after a crossing invite (the two-server glare test met the 403).
TEST_F(RemoteDirectInviteTest, AnInviteRefusedForAMovedKeyGoesOnInThePeersRoom) {
  const std::string alice = RemoteUserUuid(kAlice);
  friends_.Befriend(bob_, alice);
  constexpr char kPeersRoom[] = "!0000:hs1.test";  // smaller than any room id made here
  ASSERT_NO_FATAL_FAILURE(AddAlice());
  RefuseAfterCrossing(kPeersRoom, "a direct room takes no one else");
  absl::StatusOr<messaging::SentMessage> sent =
      manager_->Send({bob_, "dev1", alice, std::nullopt, "hi alice", "c1"});
  EXPECT_TRUE(absl::IsUnavailable(sent.status())) << sent.status();
  EXPECT_NE(sent.status().message().find("being joined"), std::string::npos) << sent.status();
  ASSERT_EQ(invited_into_.size(), 1u);
  EXPECT_NE(invited_into_.front(), kPeersRoom);
  auto pair = store_->FindDirectRoom(messaging::DirectKey(bob_, alice));
  ASSERT_TRUE(pair.ok() && pair->has_value());
  EXPECT_EQ((*pair)->room_id, kPeersRoom);
}

// The fourth race: the peer's invite was taken here while bob's room was
// pending, as the superseded room (its id is the larger), and bob joined it;
// then bob's invite reached the peer's server, which refused bob's room as
// a second one (bob is joined in the peer's). Before, every send of bob's
// went to his own room and was refused again (403 for good); now the pair's
// key moves to the peer's room, where both are joined, and sends go there.
constexpr pg::Query kJoinBob{
    "t_join_bob", "UPDATE memberships SET membership = 'join' WHERE room_id = $1 AND user_id = $2"};

TEST_F(RemoteDirectInviteTest, AnInviteRefusedWhileJoinedInThePeersRoomMovesThePairThere) {
  const std::string alice = RemoteUserUuid(kAlice);
  friends_.Befriend(bob_, alice);
  const std::string key = messaging::DirectKey(bob_, alice);
  constexpr char kPeersRoom[] = "!zzzzzz:hs1.test";  // larger than any room id made here
  ASSERT_NO_FATAL_FAILURE(AddAlice());
  RefuseAfterCrossing(kPeersRoom, "invite on hs1.test: HTTP 403", [&] {
    // The join the taken invite started (DirectJoiner), done.
    EXPECT_TRUE(pool_->Exec(kJoinBob, {std::string(kPeersRoom), bob_}).ok());
  });
  absl::StatusOr<messaging::SentMessage> first =
      manager_->Send({bob_, "dev1", alice, std::nullopt, "hi alice", "c1"});
  ASSERT_EQ(invited_into_.size(), 1u);
  const std::string ours = invited_into_.front();
  // Not the refusal: the send went on into the peer's room (whose events
  // this test does not have, so its writer refuses the message there).
  EXPECT_EQ(first.status().message().find("invite on hs1.test"), std::string::npos)
      << first.status();
  auto pair = store_->FindDirectRoom(key);
  ASSERT_TRUE(pair.ok() && pair->has_value());
  EXPECT_EQ((*pair)->room_id, kPeersRoom);
  auto bobs = store_->GetRoom(ours);
  ASSERT_TRUE(bobs.ok() && bobs->has_value());
  EXPECT_EQ((*bobs)->direct_key, messaging::SupersededDirectKey(key, ours));
  // The next send goes to the peer's room: bob's is not invited into again.
  (void)manager_->Send({bob_, "dev1", alice, std::nullopt, "again", "c2"});
  EXPECT_EQ(invited_into_.size(), 1u);
}

TEST_F(RemoteDirectInviteTest, AnInviteIntoAGroupNeedsNoContact) {
  absl::StatusOr<nlohmann::json> answer = Invite(false);
  ASSERT_TRUE(answer.ok()) << answer.status();
  auto room = store_->GetRoom(kRoom);
  ASSERT_TRUE(room.ok() && room->has_value());
  EXPECT_EQ((*room)->kind, "group");
  EXPECT_FALSE((*room)->direct_key.has_value());
  EXPECT_TRUE(joins_.empty());
}

TEST_F(RemoteDirectInviteTest, AfterUnfriendingTheRemoteMembersMessagesAreNotApplied) {
  const std::string alice = RemoteUserUuid(kAlice);
  friends_.Befriend(bob_, alice);
  ASSERT_TRUE(Invite(true).ok());
  // While contacts, the policy lets it by (here it then fails for its
  // prev_events, which this server does not have: not the policy's refusal).
  EXPECT_EQ(SendMessage("t1").find("read-only"), std::string::npos);
  friends_.Unfriend(bob_, alice);
  const std::string refused = SendMessage("t2");
  EXPECT_NE(refused.find("read-only"), std::string::npos) << refused;
}

// Glare: bob opened his direct room with alice (she is invited, not joined)
// while hers crossed it. Both rooms are taken and bob joins both; the pair's
// key goes to the smaller room id, as on alice's server, so later messages
// meet in one room; the other stays the pair's (read-only once unfriended).
class DirectGlareTest : public RemoteDirectInviteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RemoteDirectInviteTest::SetUp());
    alice_ = RemoteUserUuid(kAlice);
    key_ = messaging::DirectKey(bob_, alice_);
    friends_.Befriend(bob_, alice_);
    ASSERT_NO_FATAL_FAILURE(AddAlice());
    // bob's room, with alice invited (the invite to hs1.test itself is not
    // sent here).
    manager_->SetRemoteInviter([](const std::string&, const std::string&, const std::string&,
                                  const std::string&) { return absl::OkStatus(); });
    absl::StatusOr<messaging::SentMessage> sent =
        manager_->Send({bob_, "dev1", alice_, std::nullopt, "hi alice", "c1"});
    ASSERT_TRUE(sent.ok()) << sent.status();
    ours_ = sent->message.room_id;
  }

  std::optional<std::string> KeyOf(const std::string& room_id) {
    auto room = store_->GetRoom(room_id);
    EXPECT_TRUE(room.ok() && room->has_value());
    return room.ok() && room->has_value() ? (*room)->direct_key : std::nullopt;
  }
  std::string PairsRoom() {
    auto room = store_->FindDirectRoom(key_);
    EXPECT_TRUE(room.ok() && room->has_value());
    return room.ok() && room->has_value() ? (*room)->room_id : "";
  }

  std::string alice_, key_, ours_;
};

TEST_F(DirectGlareTest, TheirRoomWithTheSmallerIdBecomesThePairsAndOursIsKept) {
  const std::string theirs = "!000000:hs1.test";  // below any generated id here
  ASSERT_LT(theirs, ours_);
  absl::StatusOr<nlohmann::json> answer = Invite(true, theirs);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(PairsRoom(), theirs);
  EXPECT_EQ(KeyOf(theirs), key_);
  EXPECT_EQ(KeyOf(ours_), key_ + "/" + ours_);
  EXPECT_EQ(joins_, (std::vector<std::vector<std::string>>{
                        {theirs, bob_, "@bob:localhost", "hs1.test"}}));
}

TEST_F(DirectGlareTest, TheirRoomWithTheLargerIdIsTakenAsTheSupersededOne) {
  const std::string theirs = "!zzzzzz:hs1.test";  // above any generated id here
  ASSERT_GT(theirs, ours_);
  absl::StatusOr<nlohmann::json> answer = Invite(true, theirs);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(PairsRoom(), ours_);
  EXPECT_EQ(KeyOf(theirs), key_ + "/" + theirs);
  EXPECT_EQ(joins_.size(), 1u);  // bob still joins it: alice's first messages are there
  // The contact policy holds for it too.
  EXPECT_EQ(SendMessage("t1", theirs).find("read-only"), std::string::npos);
  friends_.Unfriend(bob_, alice_);
  const std::string refused = SendMessage("t2", theirs);
  EXPECT_NE(refused.find("read-only"), std::string::npos) << refused;
}

// Bob's room of the pair being made while alice's invite arrives: its key is
// not committed, so the invite's stub waits on it and then collides. Before,
// that collision answered 409 and alice's first message failed; now the
// invite is decided again, as glare (the two-server test met this race).
constexpr pg::Query kMakeBobsRoom{
    "t_make_bobs_room",
    "INSERT INTO rooms (room_id, room_version, kind, creator, direct_key, created_at, last_seq, "
    "depth, tip_event_id, state_group, last_event_at) "
    "VALUES ($1, '10', 'direct', $2, $3, now(), 0, 0, '$t', 0, now())"};
constexpr pg::Query kLockWaits{
    "t_lock_waits",
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock'"};

TEST_F(RemoteDirectInviteTest, AnInviteWhileThePairsRoomIsBeingMadeIsTakenAsGlare) {
  const std::string alice = RemoteUserUuid(kAlice);
  friends_.Befriend(bob_, alice);
  const std::string key = messaging::DirectKey(bob_, alice);
  const std::string ours = "!zzzzzz:localhost";  // above kRoom: alice's room keeps the key
  std::optional<absl::StatusOr<nlohmann::json>> answer;
  std::thread invite;
  const absl::Status made = pool_->Transaction([&](pg::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.Exec(kMakeBobsRoom, {ours, bob_, key}).status());
    invite = std::thread([&] { answer = Invite(true); });
    // Committed once the invite waits on the key.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      absl::StatusOr<pg::Result> waits = pool_->Exec(kLockWaits);
      RETURN_IF_ERROR(waits.status());
      if (waits->GetInt64(0, 0) > 0) return absl::OkStatus();
      absl::SleepFor(absl::Milliseconds(5));
    }
    return absl::DeadlineExceededError("the invite never waited on the pair's key");
  });
  if (invite.joinable()) invite.join();
  ASSERT_TRUE(made.ok()) << made;
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok()) << answer->status();
  auto pairs = store_->FindDirectRoom(key);
  ASSERT_TRUE(pairs.ok() && pairs->has_value());
  EXPECT_EQ((*pairs)->room_id, kRoom);
  auto bobs = store_->GetRoom(ours);
  ASSERT_TRUE(bobs.ok() && bobs->has_value());
  EXPECT_EQ((*bobs)->direct_key, key + "/" + ours);
  EXPECT_EQ(joins_.size(), 1u);
}

// Another replica took alice's crossing invite (this manager's cache was
// not told, as the test's invite hook does not forget): bob's next message
// goes to the room this manager remembers until the remembered room of the
// pair is a minute old, then to the pair's room (whose join is not done
// here: the send waits for it and says so). The manager (and what holds its
// writer) runs on a fake clock from the start; the clock outlives them all.
class DirectGlareClockTest : public DirectGlareTest {
 protected:
  static FakeClock& Clock() {
    static FakeClock* clock = new FakeClock(absl::Now());
    return *clock;
  }
  void SetUp() override {
    clock_ = &Clock();
    ASSERT_NO_FATAL_FAILURE(DirectGlareTest::SetUp());
  }
};

TEST_F(DirectGlareClockTest, AReplicaThatDidNotTakeTheInviteLearnsOfTheMovedKeyWithinAMinute) {
  const std::string theirs = "!000000:hs1.test";
  ASSERT_TRUE(Invite(true, theirs).ok());  // ours_ was remembered by SetUp's send
  ASSERT_EQ(PairsRoom(), theirs);

  absl::StatusOr<messaging::SentMessage> stale =
      manager_->Send({bob_, "dev1", alice_, std::nullopt, "still ours", "r2"});
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(stale->message.room_id, ours_) << "within the minute: the remembered room";
  Clock().Advance(messaging::MessagingManager::kDirectRoomTtl);
  absl::StatusOr<messaging::SentMessage> moved =
      manager_->Send({bob_, "dev1", alice_, std::nullopt, "to theirs", "r3"});
  EXPECT_TRUE(absl::IsUnavailable(moved.status())) << moved.status();
  EXPECT_NE(moved.status().message().find("being joined"), std::string::npos) << moved.status();
}

// Not glare: the pair's room is alice's own (or she joined bob's), so a
// second room from her is refused as before.
TEST_F(RemoteDirectInviteTest, ASecondDirectRoomOfTheSameInviterIsRefused) {
  friends_.Befriend(bob_, RemoteUserUuid(kAlice));
  ASSERT_TRUE(Invite(true).ok());
  absl::StatusOr<nlohmann::json> second = Invite(true, "!000000:hs1.test");
  EXPECT_TRUE(absl::IsPermissionDenied(second.status())) << second.status();
  EXPECT_NE(second.status().message().find("already has a direct room"), std::string::npos);
  auto room = store_->FindDirectRoom(messaging::DirectKey(bob_, RemoteUserUuid(kAlice)));
  ASSERT_TRUE(room.ok() && room->has_value());
  EXPECT_EQ((*room)->room_id, kRoom);
}

}  // namespace
}  // namespace messenger::federation
