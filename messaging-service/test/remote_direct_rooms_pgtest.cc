// Direct rooms with a contact on another server (issue 16, feddirect), the
// side of the server that opens them: /v1 and Matrix createRoom make the
// pair's room here with the peer invited over federation (the real outgoing
// invite against a fake hs2.test), only while the fake contact service says
// they are contacts; after unfriending the room is read-only.
#include <gtest/gtest.h>

#include <mutex>

#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/federation/federation_room_store.h"
#include "messaging-service/src/federation/outgoing_join.h"
#include "messaging-service/src/federation/remote_users.h"
#include "messaging-service/test/messaging_pg_fixture.h"
#include "messaging-service/test/fixed_server_keys.h"

namespace messenger::messaging {
namespace {

constexpr char kBob[] = "@bob:hs2.test";

// hs2.test's PUT /v2/invite: the invite comes back with its signature added,
// or the refusal it was told to give.
class FakeHs2 final : public federation::HttpFetcher {
 public:
  FakeHs2() : HttpFetcher(Options{.tls = false}) {}
  absl::StatusOr<federation::HttpReply> Fetch(const federation::Endpoint&,
                                              const std::string& method, const std::string& target,
                                              const std::map<std::string, std::string>&,
                                              const std::string& body) override {
    std::lock_guard lock(mutex_);
    if (method != "PUT" || !target.starts_with("/_matrix/federation/v2/invite/")) {
      return federation::HttpReply{404, R"({"errcode":"M_UNRECOGNIZED"})"};
    }
    invites.push_back(nlohmann::json::parse(body));
    if (refuse) return federation::HttpReply{403, R"({"errcode":"M_FORBIDDEN","error":"no"})"};
    nlohmann::json event = invites.back()["event"];
    event["signatures"]["hs2.test"] = {{"ed25519:x", "c2lnbmVk"}};
    return federation::HttpReply{200, nlohmann::json{{"event", event}}.dump()};
  }
  std::vector<nlohmann::json> Invites() {
    std::lock_guard lock(mutex_);
    return invites;
  }
  bool refuse = false;

 private:
  std::mutex mutex_;
  std::vector<nlohmann::json> invites;
};

constexpr pg::Query kRooms{"t_direct_rooms",
                           "SELECT room_id, kind, direct_key FROM rooms ORDER BY room_id"};
constexpr pg::Query kMembership{
    "t_direct_membership",
    "SELECT e.type, e.pdu FROM events e WHERE e.room_id = $1 AND e.type = 'm.room.member' "
    "ORDER BY e.seq"};

class RemoteDirectRoomsTest : public testing_users::MessagingPgFixture<testing_users::FakeFriends> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(8));
    alice_ = LocalUser("alice");
    bob_ = federation::RemoteUserUuid(kBob);
    auto key = matrix::Ed25519Key::Generate(SecureRng::Instance(), "t");
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<matrix::Ed25519Key>(std::move(*key));
    resolver_ = std::make_unique<federation::ServerResolver>(
        std::map<std::string, std::string>{{"hs2.test", "127.0.0.1:8448"}}, hs2_,
        SystemClock::Instance(), 16);
    client_ = std::make_unique<federation::FederationClient>(*resolver_, hs2_, "localhost", *key_);
    room_store_ = std::make_unique<federation::PgFederationRoomStore>(*pool_);
    // Bob's row, as the contact consumer writes it for a remote contact.
    ASSERT_TRUE(pool_
                    ->Transaction([&](pg::Tx& tx) {
                      return room_store_->AddRemoteUser(tx, bob_, kBob);
                    })
                    .ok());
    join_ = std::make_unique<federation::OutgoingJoin>(*client_, keys_, *room_store_, *store_,
                                                       manager_->writer(), "localhost", *key_,
                                                       SystemClock::Instance());
    manager_->SetRemoteInviter([this](const std::string& room_id, const std::string& inviter_id,
                                      const std::string& inviter_mxid,
                                      const std::string& invitee) {
      return join_->Invite({.user_id = inviter_id,
                            .matrix_user_id = inviter_mxid,
                            .room_id = room_id,
                            .invitee = invitee,
                            .reason = std::nullopt});
    });
  }

  absl::StatusOr<SentMessage> SendTo(const std::string& to, const std::string& text,
                                     const std::string& cmid) {
    return manager_->Send({alice_, "dev1", to, std::nullopt, text, cmid});
  }
  // (kind, direct_key) of every room.
  std::vector<std::pair<std::string, std::string>> Rooms() {
    std::vector<std::pair<std::string, std::string>> out;
    auto r = pool_->Exec(kRooms);
    EXPECT_TRUE(r.ok());
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      out.emplace_back(r->GetString(i, 1), r->Get(i, 2));
    }
    return out;
  }
  // The member events of the room: (state_key, content).
  std::vector<std::pair<std::string, nlohmann::json>> Members(const std::string& room) {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    auto r = pool_->Exec(kMembership, {room});
    EXPECT_TRUE(r.ok());
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      const nlohmann::json pdu = nlohmann::json::parse(r->Get(i, 1));
      out.emplace_back(pdu["state_key"], pdu["content"]);
    }
    return out;
  }

  FakeHs2 hs2_;
  matrix::testing_keys::FixedServerKeys keys_;  // none
  std::unique_ptr<matrix::Ed25519Key> key_;
  std::unique_ptr<federation::ServerResolver> resolver_;
  std::unique_ptr<federation::FederationClient> client_;
  std::unique_ptr<federation::PgFederationRoomStore> room_store_;
  std::unique_ptr<federation::OutgoingJoin> join_;
  std::string alice_, bob_;
};

TEST_F(RemoteDirectRoomsTest, AContactOnAnotherServerGetsADirectRoomAndAnInvite) {
  friends_.Befriend(alice_, bob_);
  auto sent = SendTo(bob_, "hi bob", "c1");
  ASSERT_TRUE(sent.ok()) << sent.status();
  const std::string room = sent->message.room_id;
  EXPECT_EQ(Rooms(), (std::vector<std::pair<std::string, std::string>>{
                         {"direct", DirectKey(alice_, bob_)}}));
  // Bob is invited as the pair's peer, not joined here: his server joins him.
  const auto members = Members(room);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].first, "@alice:localhost");
  EXPECT_EQ(members[1].first, kBob);
  EXPECT_EQ(members[1].second,
            (nlohmann::json{{"membership", "invite"}, {"is_direct", true}}));
  const auto invites = hs2_.Invites();
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(invites[0]["event"]["state_key"], kBob);
  EXPECT_EQ(invites[0]["event"]["content"]["is_direct"], true);
  EXPECT_EQ(invites[0]["event"]["room_id"], room);

  // The same room again, and no second invite.
  auto again = SendTo(bob_, "still there?", "c2");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->message.room_id, room);
  EXPECT_EQ(hs2_.Invites().size(), 1u);
  // Matrix createRoom is_direct names the same room.
  auto matrix_room = manager_->CreateMatrixRoom(
      {.creator_id = alice_, .invitee_ids = {bob_}, .preset = "trusted_private_chat",
       .is_direct = true});
  ASSERT_TRUE(matrix_room.ok()) << matrix_room.status();
  EXPECT_EQ(matrix_room->room_id, room);
  EXPECT_EQ(hs2_.Invites().size(), 1u);
}

TEST_F(RemoteDirectRoomsTest, ARemoteNonContactGetsNothing) {
  auto sent = SendTo(bob_, "hi bob", "c1");
  EXPECT_TRUE(absl::IsPermissionDenied(sent.status())) << sent.status();
  auto matrix_room = manager_->CreateMatrixRoom(
      {.creator_id = alice_, .invitee_ids = {bob_}, .preset = "trusted_private_chat",
       .is_direct = true});
  EXPECT_TRUE(absl::IsPermissionDenied(matrix_room.status())) << matrix_room.status();
  EXPECT_TRUE(Rooms().empty());
  EXPECT_TRUE(hs2_.Invites().empty());
}

TEST_F(RemoteDirectRoomsTest, ARefusedInviteIsTriedAgainByTheNextSend) {
  friends_.Befriend(alice_, bob_);
  hs2_.refuse = true;
  auto sent = SendTo(bob_, "hi bob", "c1");
  EXPECT_TRUE(absl::IsPermissionDenied(sent.status())) << sent.status();
  ASSERT_EQ(Rooms().size(), 1u);  // the room stays, without the refused invite
  hs2_.refuse = false;
  auto retried = SendTo(bob_, "hi bob", "c1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(hs2_.Invites().size(), 2u);
  EXPECT_EQ(Members(retried->message.room_id).size(), 2u);
}

TEST_F(RemoteDirectRoomsTest, AfterUnfriendingTheRoomIsReadOnly) {
  friends_.Befriend(alice_, bob_);
  auto sent = SendTo(bob_, "hi bob", "c1");
  ASSERT_TRUE(sent.ok()) << sent.status();
  friends_.Unfriend(alice_, bob_);
  events::v1::FriendshipRemoved removed;
  removed.set_user_a(std::min(alice_, bob_));
  removed.set_user_b(std::max(alice_, bob_));
  auto event = bus::MakeEvent("friendship.removed", "contact", removed, SystemClock::Instance(),
                              SecureRng::Instance());
  ASSERT_TRUE(manager_->OnFriendshipHeard(*event).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(SendTo(bob_, "again", "c2").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      manager_->Send({alice_, "dev1", std::nullopt, sent->message.room_id, "in", "c3"}).status()));
}

}  // namespace
}  // namespace messenger::messaging
