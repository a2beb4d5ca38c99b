// Contacts across servers (issue 16), the IO of service/contact_federation:
// a local user's friendship event queues the io.messenger.contact EDU for
// the remote user's server, and an arriving one goes to the contact
// service through PUT /send, whose transaction answers 503 (and is not
// kept, so hs1.test retries it) while that service cannot be reached.
#include <gtest/gtest.h>

#include "common/bus/event.h"
#include "common/matrix_user_uuid.h"
#include "common/status_mapping.h"
#include "common/time_util.h"
#include "messaging-service/src/federation/outgoing_store.h"
#include "messaging-service/src/service/contact_federation.h"
#include "messaging-service/test/remote_direct_pdu.h"
#include "messaging-service/test/signed_federation_fixture.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::federation {
namespace {

using testing_direct::kAlice;

class ContactFederationTest : public testing_signed::SignedFederationFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SignedFederationFixture::SetUp());
    outgoing_ = std::make_unique<PgOutgoingStore>(*pool_);
    contacts_ = std::make_unique<messaging::ContactFederation>(
        *room_store_, *store_, *outgoing_, "localhost",
        [this](const messaging::ContactClaim& claim) {
          claims_.push_back(claim);
          return contact_service_;
        },
        nullptr);
    rooms_->SetEduSink(messaging::kContactEduType,
                       [this](const std::string& origin, const nlohmann::json& content) {
                         return contacts_->Receive(origin, content);
                       });
  }

  // PUT /send of hs1.test with alice's friend request to bob.
  absl::StatusOr<nlohmann::json> SendRequestEdu(const std::string& txn_id) {
    const nlohmann::json edu = {
        {"edu_type", messaging::kContactEduType},
        {"content", {{"action", "request"}, {"sender", kAlice}, {"target", "@bob:localhost"}}}};
    const nlohmann::json body = {{"origin", "hs1.test"},
                                 {"origin_server_ts", absl::ToUnixMillis(absl::Now())},
                                 {"pdus", nlohmann::json::array()},
                                 {"edus", nlohmann::json::array({edu})}};
    ASSIGN_OR_RETURN(InboundRequest request, Signed("/_matrix/federation/v1/send/" + txn_id, body));
    return rooms_->SendTransaction(request, RoomRoute{.txn_id = txn_id});
  }

  // friendship.created of `requester` towards `addressee`, alice being the
  // remote party, through the consumer's effect in one transaction.
  absl::Status Created(const std::string& requester, const std::string& addressee) {
    events::v1::FriendshipCreated data;
    data.set_requester_id(requester);
    data.set_addressee_id(addressee);
    data.set_remote_matrix_id(kAlice);
    ToProto(absl::Now(), data.mutable_created_at());
    ASSIGN_OR_RETURN(bus::Event event,
                     bus::MakeEvent("friendship.created", "contact", data, SystemClock::Instance(),
                                    SecureRng::Instance()));
    return pool_->Transaction([&](pg::Tx& tx) { return contacts_->OnFriendshipEvent(event, tx); });
  }

  // The EDUs queued for hs1.test (in one new transaction of the sender).
  std::vector<nlohmann::json> QueuedEdus() {
    auto txn = outgoing_->Claim("hs1.test", "test", absl::Minutes(1), 50);
    EXPECT_TRUE(txn.ok()) << txn.status();
    std::vector<nlohmann::json> out;
    if (!txn.ok() || !txn->has_value()) return out;
    for (const std::string& edu : (*txn)->edus) out.push_back(nlohmann::json::parse(edu));
    return out;
  }

  std::unique_ptr<PgOutgoingStore> outgoing_;
  std::unique_ptr<messaging::ContactFederation> contacts_;
  absl::Status contact_service_ = absl::OkStatus();  // what ApplyRemoteContact answers
  std::vector<messaging::ContactClaim> claims_;
};

TEST_F(ContactFederationTest, WhileTheContactServiceIsDownTheTransactionAnswers503AndIsNotKept) {
  contact_service_ = absl::UnavailableError("contact service unreachable");
  absl::StatusOr<nlohmann::json> answer = SendRequestEdu("c1");
  ASSERT_TRUE(absl::IsUnavailable(answer.status())) << answer.status();
  EXPECT_EQ(HttpStatusFor(answer.status().code()), 503);
  EXPECT_EQ(claims_.size(), 1u);
  auto kept = fed_store_->TransactionAnswer("hs1.test", "c1");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(kept->has_value()) << "a kept answer would stop the origin's retry: " << **kept;

  // The origin's retry, once the service is back, is applied and kept.
  contact_service_ = absl::OkStatus();
  answer = SendRequestEdu("c1");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(claims_.size(), 2u);
  EXPECT_EQ(claims_[1].local_matrix_id, "@bob:localhost");
  EXPECT_EQ(claims_[1].remote_matrix_id, kAlice);
  EXPECT_EQ(claims_[1].action, "request");
  kept = fed_store_->TransactionAnswer("hs1.test", "c1");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  ASSERT_TRUE(SendRequestEdu("c1").ok());
  EXPECT_EQ(claims_.size(), 2u) << "a kept transaction is not applied again";
}

TEST_F(ContactFederationTest, AClaimTheContactServiceRefusesIsIgnoredWith200) {
  contact_service_ = absl::InvalidArgumentError("no");
  absl::StatusOr<nlohmann::json> answer = SendRequestEdu("c2");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(claims_.size(), 1u);
  auto kept = fed_store_->TransactionAnswer("hs1.test", "c2");
  ASSERT_TRUE(kept.ok() && kept->has_value());
}

TEST_F(ContactFederationTest, ALocalUsersRequestQueuesTheEduForTheRemoteServerOnly) {
  const std::string alice = RemoteUserUuid(kAlice);
  ASSERT_TRUE(Created(alice, bob_).ok());  // alice's own: hs1.test knows it
  ASSERT_TRUE(Created(bob_, alice).ok());
  std::vector<nlohmann::json> edus = QueuedEdus();
  ASSERT_EQ(edus.size(), 1u);
  const nlohmann::json expected =
      messaging::ContactEdu({bob_, kAlice, "hs1.test", "request"}, "@bob:localhost");
  EXPECT_EQ(edus[0], expected) << edus[0];
  EXPECT_EQ(edus[0]["content"]["sender"], "@bob:localhost");
}

}  // namespace
}  // namespace messenger::federation
