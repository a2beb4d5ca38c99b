// Direct rooms with a contact on another server (issue 16, feddirect), the
// side of the invited server: PUT /v2/invite with is_direct, signed by a
// fake hs1.test, through FederationRooms::Invite: taken only from a contact
// of the invitee (the fake contact service), recorded as the pair's direct
// room, and the invitee's join started.
#include <gtest/gtest.h>

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
                                        const std::string& mxid, const std::string& origin) {
      joins_.push_back({room, user, mxid, origin});
    });
  }

  // An event of alice's, built and signed by hs1.test.
  absl::StatusOr<matrix::Event> AlicePdu(const std::string& type,
                                         std::optional<std::string> state_key,
                                         nlohmann::json content) {
    return testing_direct::AlicePdu(hs1_.key, type, std::move(state_key), std::move(content),
                                    absl::ToUnixMillis(absl::Now()));
  }
  // alice's invite of bob, sent by hs1.test.
  absl::StatusOr<nlohmann::json> Invite(bool is_direct) {
    nlohmann::json content = {{"membership", "invite"}};
    if (is_direct) content["is_direct"] = true;
    ASSIGN_OR_RETURN(matrix::Event event,
                     AlicePdu(matrix::kMemberType, "@bob:localhost", content));
    const nlohmann::json body = {{"event", event.json()},
                                 {"room_version", "10"},
                                 {"invite_room_state", nlohmann::json::array()}};
    ASSIGN_OR_RETURN(InboundRequest request,
                     Signed("/_matrix/federation/v2/invite/" + QueryEscape(kRoom) + "/" +
                                QueryEscape(event.event_id()),
                            body));
    return rooms_->Invite(request, RoomRoute{.room_id = kRoom, .event_id = event.event_id()});
  }

  // PUT /send with one message of alice's: that PDU's error ("" when applied).
  std::string SendMessage(const std::string& txn_id) {
    absl::StatusOr<matrix::Event> event =
        AlicePdu(matrix::kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "hi"}});
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

  std::vector<std::vector<std::string>> joins_;  // room, user, Matrix id, origin
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

}  // namespace
}  // namespace messenger::federation
