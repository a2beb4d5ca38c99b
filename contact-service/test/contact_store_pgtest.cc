// ContactManager over PgContactStore against a real PostgreSQL.
#include <gtest/gtest.h>

#include <thread>

#include "contact-service/test/contact_pg_fixture.h"

namespace messenger::contact {
namespace {

TEST_F(ContactStoreTest, UserCreatedIsIdempotent) {
  bus::Event e = UserCreated(NewUuid(SecureRng::Instance()), "dup");
  EXPECT_TRUE(*Deliver(e));
  EXPECT_FALSE(*Deliver(e));
  EXPECT_EQ(pool_->Exec(kUsers)->GetInt64(0, 0), 4);
}

TEST_F(ContactStoreTest, RequestAcceptListAndIsFriend) {
  auto sent = manager_->Act(a_, b_, Action::kSendRequest);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->next.link, Link::kOutgoing);
  auto a_requests = manager_->ListRequests(a_);
  auto b_requests = manager_->ListRequests(b_);
  ASSERT_EQ(a_requests->outgoing.size(), 1u);
  EXPECT_EQ(a_requests->outgoing[0].user_id, b_);
  EXPECT_TRUE(a_requests->incoming.empty());
  ASSERT_EQ(b_requests->incoming.size(), 1u);
  EXPECT_EQ(b_requests->incoming[0].user_id, a_);
  EXPECT_FALSE(*manager_->IsFriend(a_, b_));

  // Only the addressee can accept.
  EXPECT_EQ(manager_->Act(a_, b_, Action::kAccept).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Act(c_, a_, Action::kAccept).status().code(), absl::StatusCode::kNotFound);
  clock_.Advance(absl::Seconds(3));
  ASSERT_TRUE(manager_->Act(b_, a_, Action::kAccept).ok());
  EXPECT_TRUE(*manager_->IsFriend(a_, b_));
  EXPECT_TRUE(*manager_->IsFriend(b_, a_));
  EXPECT_FALSE(*manager_->IsFriend(a_, c_));
  EXPECT_FALSE(*manager_->IsFriend(a_, a_));
  auto friends = manager_->ListFriends(a_);
  ASSERT_EQ(friends->size(), 1u);
  EXPECT_EQ((*friends)[0].user_id, b_);
  EXPECT_EQ((*friends)[0].since, clock_.Now());
  EXPECT_TRUE(manager_->ListRequests(b_)->incoming.empty());

  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].first, "friendship.created");
  EXPECT_EQ(events[0].second["data"]["requester_id"], a_);
  EXPECT_EQ(events[0].second["data"]["addressee_id"], b_);
  EXPECT_EQ(events[1].first, "friendship.accepted");
  EXPECT_EQ(events[1].second["data"]["user_a"], std::min(a_, b_));
  EXPECT_EQ(events[1].second["data"]["user_b"], std::max(a_, b_));
}

TEST_F(ContactStoreTest, ConcurrentCrossingRequestsMakeOneFriendship) {
  std::thread t1([&] { (void)manager_->Act(a_, b_, Action::kSendRequest); });
  std::thread t2([&] { (void)manager_->Act(b_, a_, Action::kSendRequest); });
  t1.join();
  t2.join();
  EXPECT_TRUE(*manager_->IsFriend(a_, b_));
  EXPECT_EQ(pool_->Exec(kRelations)->GetInt64(0, 0), 1);
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].first, "friendship.created");
  EXPECT_EQ(events[1].first, "friendship.accepted");
}

TEST_F(ContactStoreTest, BlockRemovesFriendshipAndForbidsBothWays) {
  ASSERT_TRUE(manager_->Act(a_, b_, Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->Act(b_, a_, Action::kAccept).ok());
  ASSERT_TRUE(manager_->Act(a_, b_, Action::kBlock).ok());
  EXPECT_FALSE(*manager_->IsFriend(a_, b_));
  EXPECT_EQ(manager_->Act(b_, a_, Action::kSendRequest).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->Act(a_, b_, Action::kSendRequest).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto events = Events();
  ASSERT_EQ(events.back().first, "friendship.removed");
  EXPECT_EQ(events.back().second["data"]["removed_by"], a_);
  ASSERT_TRUE(manager_->Act(a_, b_, Action::kUnblock).ok());
  EXPECT_TRUE(manager_->Act(b_, a_, Action::kSendRequest).ok());
}

TEST_F(ContactStoreTest, AreFriendsAnswersManyPairsInRequestOrder) {
  ASSERT_TRUE(manager_->Act(a_, b_, Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->Act(b_, a_, Action::kAccept).ok());
  ASSERT_TRUE(manager_->Act(a_, c_, Action::kSendRequest).ok());  // pending only
  auto friends = manager_->AreFriends({{b_, a_}, {a_, c_}, {a_, a_}, {a_, b_}});
  ASSERT_TRUE(friends.ok()) << friends.status();
  EXPECT_EQ(*friends, (std::vector<bool>{true, false, false, true}));
  EXPECT_TRUE(manager_->AreFriends({})->empty());
  ASSERT_TRUE(manager_->Act(b_, a_, Action::kBlock).ok());
  EXPECT_EQ(*manager_->AreFriends({{a_, b_}}), std::vector<bool>{false});
  EXPECT_EQ(manager_->AreFriends({{a_, "nope"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<std::pair<std::string, std::string>> too_many(ContactManager::kMaxFriendPairs + 1,
                                                            {a_, b_});
  EXPECT_EQ(manager_->AreFriends(too_many).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ContactStoreTest, UnknownSelfAndMalformedTargets) {
  EXPECT_EQ(manager_->Act(a_, a_, Action::kSendRequest).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Act(a_, NewUuid(SecureRng::Instance()), Action::kSendRequest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Act(a_, "nope", Action::kSendRequest).status().code(),
            absl::StatusCode::kNotFound);
  // Upper-case ids name the same users.
  std::string upper = b_;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
  ASSERT_TRUE(manager_->Act(a_, upper, Action::kSendRequest).ok());
  EXPECT_EQ(manager_->ListRequests(b_)->incoming.size(), 1u);
}

TEST_F(ContactStoreTest, DeclineAndRemove) {
  ASSERT_TRUE(manager_->Act(a_, b_, Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->Act(b_, a_, Action::kDecline).ok());
  EXPECT_TRUE(manager_->ListRequests(a_)->outgoing.empty());
  EXPECT_EQ(manager_->Act(b_, a_, Action::kDecline).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(manager_->Act(a_, c_, Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->Act(c_, a_, Action::kSendRequest).ok());  // crossing: accepted
  ASSERT_TRUE(manager_->Act(c_, a_, Action::kRemove).ok());
  EXPECT_FALSE(*manager_->IsFriend(a_, c_));
  EXPECT_EQ(manager_->Act(c_, a_, Action::kRemove).status().code(), absl::StatusCode::kNotFound);
  auto events = Events();
  EXPECT_EQ(events.back().first, "friendship.removed");
  EXPECT_EQ(events.back().second["data"]["removed_by"], c_);
}

TEST_F(ContactStoreTest, DeactivationRemovesEveryRelationOnceWithOneEventPerFriendship) {
  const std::string d = NewUser("d");
  ASSERT_TRUE(manager_->Act(a_, b_, Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->Act(b_, a_, Action::kAccept).ok());  // friends
  ASSERT_TRUE(manager_->Act(c_, a_, Action::kSendRequest).ok());  // pending to a
  ASSERT_TRUE(manager_->Act(a_, d, Action::kBlock).ok());
  ASSERT_TRUE(manager_->Act(b_, c_, Action::kSendRequest).ok());  // not a's: stays
  const size_t before = Events().size();
  ASSERT_TRUE(*Deactivate(a_));
  EXPECT_FALSE(*Deactivate(a_)) << "a redelivery does nothing";
  auto events = Events();
  ASSERT_EQ(events.size(), before + 1) << "friendship.removed for the friendship only";
  EXPECT_EQ(events.back().first, "friendship.removed");
  EXPECT_EQ(events.back().second["data"]["removed_by"], a_);
  EXPECT_FALSE(*manager_->IsFriend(a_, b_));
  EXPECT_TRUE(manager_->ListRequests(c_)->outgoing.empty());
  EXPECT_EQ(manager_->ListRequests(c_)->incoming.size(), 1u) << "b's request to c stays";
  // Gone for the contact service: nobody can ask them again, and d's block is gone.
  EXPECT_EQ(manager_->Act(b_, a_, Action::kSendRequest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(pool_->Exec(kRelations)->GetInt64(0, 0), 1);
}

// user.created and user.deactivated have consumers of their own: a backlog
// may apply the deactivation first.
TEST_F(ContactStoreTest, AUserCreatedAppliedAfterItsDeactivationLeavesTheAccountClosed) {
  const std::string late = NewUuid(SecureRng::Instance());
  ASSERT_TRUE(*Deactivate(late));
  ASSERT_TRUE(*Deliver(UserCreated(late, "late")));
  EXPECT_EQ(manager_->Act(a_, late, Action::kSendRequest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->ResolveTarget("@late:hs1.test").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(pool_->Exec(kRelations)->GetInt64(0, 0), 0);
}

TEST_F(ContactStoreTest, AnAccountNotYetHeardOfIsAskedOfAuthByIdAndByName) {
  const std::string fresh = NewUuid(SecureRng::Instance());  // no user.created here yet
  const std::string named = NewUuid(SecureRng::Instance());
  const std::string closed = NewUuid(SecureRng::Instance());
  EXPECT_TRUE(absl::IsNotFound(manager_->Act(a_, fresh, Action::kSendRequest).status()))
      << "no lookup wired";
  std::map<std::string, AuthAccount> auth = {
      {fresh, {fresh, "fresh", clock_.Now()}},
      {named, {named, "named", clock_.Now()}},
      {closed, {closed, "closed", clock_.Now(), /*deactivated=*/true}}};
  int asked = 0;
  manager_->SetAccountLookups(
      [&](const std::string& id) -> absl::StatusOr<std::optional<AuthAccount>> {
        ++asked;
        auto it = auth.find(id);
        return it == auth.end() ? std::nullopt : std::optional(it->second);
      },
      [&](const std::string& username) -> absl::StatusOr<std::optional<AuthAccount>> {
        ++asked;
        for (const auto& [id, account] : auth) {
          if (account.username == username) return account;
        }
        return std::nullopt;
      });

  auto sent = manager_->Act(a_, fresh, Action::kSendRequest);
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_EQ(manager_->ListRequests(fresh)->incoming.size(), 1u);
  EXPECT_EQ(*manager_->ResolveTarget("@named:hs1.test"), named);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(*manager_->ResolveTarget("@named:hs1.test"), named);
  EXPECT_EQ(asked, 2) << "the row is there now";
  EXPECT_EQ(pool_->Exec(kUsers)->GetInt64(0, 0), 5);
  EXPECT_TRUE(*Deliver(UserCreated(fresh, "fresh")));  // later: finds the row
  EXPECT_EQ(pool_->Exec(kUsers)->GetInt64(0, 0), 5);

  EXPECT_TRUE(absl::IsNotFound(manager_->Act(a_, closed, Action::kSendRequest).status()));
  EXPECT_TRUE(absl::IsNotFound(manager_->ResolveTarget("@closed:hs1.test").status()));
  EXPECT_TRUE(
      absl::IsNotFound(manager_->Act(a_, NewUuid(SecureRng::Instance()), Action::kSendRequest)
                           .status()));
  EXPECT_EQ(pool_->Exec(kUsers)->GetInt64(0, 0), 5) << "no row for a closed or unknown account";
}

}  // namespace
}  // namespace messenger::contact
