// Contacts across servers (issue 16): requests to "@user:other.server",
// what another server says its users did, and the events' new fields.
#include <gtest/gtest.h>

#include <map>

#include "common/matrix_user_uuid.h"
#include "contact-service/test/contact_pg_fixture.h"

namespace messenger::contact {
namespace {

constexpr char kBob[] = "@bob:hs2.test";

class RemoteContactsTest : public ContactStoreTest {
 protected:
  // The local user "a" as hs2.test knows them.
  const std::string alice_ = "@a:hs1.test";
  const std::string bob_ = RemoteUserUuid(kBob);
};

TEST_F(RemoteContactsTest, RequestByMatrixIdNamesTheRemoteUuid) {
  auto target = manager_->ResolveTarget(kBob);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, bob_);
  ASSERT_TRUE(manager_->Act(a_, *target, Action::kSendRequest).ok());
  auto pending = manager_->ListRequests(a_);
  ASSERT_EQ(pending->outgoing.size(), 1u);
  EXPECT_EQ(pending->outgoing[0].user_id, bob_);
  EXPECT_EQ(pending->outgoing[0].matrix_id, kBob);
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].second["data"]["requester_id"], a_);
  EXPECT_EQ(events[0].second["data"]["remote_matrix_id"], kBob);

  // This server's own name is the local user; bad ids are refused.
  EXPECT_EQ(*manager_->ResolveTarget("@b:hs1.test"), b_);
  EXPECT_EQ(manager_->ResolveTarget("@nobody:hs1.test").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->ResolveTarget("@Bad Name:hs2.test").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->ResolveTarget("@bob").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RemoteContactsTest, RemoteRequestThenLocalAcceptAndRemoteRemove) {
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kRequest).ok());
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kRequest).ok());  // idempotent
  auto pending = manager_->ListRequests(a_);
  ASSERT_EQ(pending->incoming.size(), 1u);
  EXPECT_EQ(pending->incoming[0].matrix_id, kBob);
  ASSERT_TRUE(manager_->Act(a_, bob_, Action::kAccept).ok());
  EXPECT_TRUE(*manager_->IsFriend(a_, bob_));
  auto friends = manager_->ListFriends(a_);
  ASSERT_EQ(friends->size(), 1u);
  EXPECT_EQ((*friends)[0].matrix_id, kBob);
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kRemove).ok());
  EXPECT_FALSE(*manager_->IsFriend(a_, bob_));

  auto events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].second["data"]["requester_id"], bob_);
  EXPECT_EQ(events[1].first, "friendship.accepted");
  EXPECT_EQ(events[1].second["data"]["accepted_by"], a_);
  EXPECT_EQ(events[1].second["data"]["remote_matrix_id"], kBob);
  EXPECT_EQ(events[2].first, "friendship.removed");
  EXPECT_EQ(events[2].second["data"]["removed_by"], bob_);
}

TEST_F(RemoteContactsTest, RemoteAcceptNeedsALocalRequest) {
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kAccept).ok());  // ignored
  EXPECT_FALSE(*manager_->IsFriend(a_, RemoteUserUuid(kBob)));
  EXPECT_TRUE(Events().empty());
  ASSERT_TRUE(manager_->Act(a_, *manager_->ResolveTarget(kBob), Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kAccept).ok());
  EXPECT_TRUE(*manager_->IsFriend(a_, bob_));
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].second["data"]["accepted_by"], bob_);  // remote: not sent back
}

TEST_F(RemoteContactsTest, CrossingRequestsAcceptedByTheLocalUser) {
  ASSERT_TRUE(manager_->Act(a_, *manager_->ResolveTarget(kBob), Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kRequest).ok());
  EXPECT_TRUE(*manager_->IsFriend(a_, bob_));
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].first, "friendship.accepted");
  // The local user's server sends an accept back to bob's.
  EXPECT_EQ(events[1].second["data"]["accepted_by"], a_);
}

TEST_F(RemoteContactsTest, DeclineIsPublishedAndABlockDropsRequests) {
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kRequest).ok());
  ASSERT_TRUE(manager_->Act(a_, bob_, Action::kDecline).ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].first, "friendship.removed");  // so hs2 hears of it
  EXPECT_EQ(events[1].second["data"]["removed_by"], a_);

  ASSERT_TRUE(manager_->Act(a_, bob_, Action::kBlock).ok());
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kRequest).ok());
  EXPECT_TRUE(manager_->ListRequests(a_)->incoming.empty());
  EXPECT_EQ(Events().size(), 2u);
}

TEST_F(RemoteContactsTest, DeactivationTellsTheRemoteFriendsServer) {
  constexpr char kCarol[] = "@carol:hs3.test";
  const std::string carol = RemoteUserUuid(kCarol);
  ASSERT_TRUE(manager_->ApplyRemote(alice_, kBob, RemoteAction::kRequest).ok());
  ASSERT_TRUE(manager_->Act(a_, bob_, Action::kAccept).ok());  // remote friend
  ASSERT_TRUE(manager_->Act(a_, b_, Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->Act(b_, a_, Action::kAccept).ok());  // local friend
  ASSERT_TRUE(manager_->Act(a_, *manager_->ResolveTarget(kCarol), Action::kSendRequest).ok());
  ASSERT_TRUE(manager_->Act(c_, a_, Action::kSendRequest).ok());  // local, pending: no event
  const size_t before = Events().size();
  ASSERT_TRUE(*Deactivate(a_));

  auto events = Events();
  ASSERT_EQ(events.size(), before + 3);
  std::map<std::string, nlohmann::json> removed;  // by the other user
  for (size_t i = before; i < events.size(); ++i) {
    EXPECT_EQ(events[i].first, "friendship.removed");
    const nlohmann::json& data = events[i].second["data"];
    EXPECT_EQ(data["removed_by"], a_);
    const std::string user_a = data["user_a"].get<std::string>();
    removed[user_a == a_ ? data["user_b"].get<std::string>() : user_a] = data;
  }
  ASSERT_EQ(removed.size(), 3u);
  EXPECT_EQ(removed[bob_]["remote_matrix_id"], kBob);
  EXPECT_EQ(removed[b_]["remote_matrix_id"], "");
  // A pending request across servers ends like a withdrawn one.
  EXPECT_EQ(removed[carol]["remote_matrix_id"], kCarol);
}

TEST_F(RemoteContactsTest, BadRemoteClaimsAreRefused) {
  // Ids of the wrong servers, malformed ids, an unknown local user.
  EXPECT_EQ(manager_->ApplyRemote("@a:hs3.test", kBob, RemoteAction::kRequest).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->ApplyRemote(alice_, "@b:hs1.test", RemoteAction::kRequest).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->ApplyRemote(alice_, "bob", RemoteAction::kRequest).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->ApplyRemote("@zed:hs1.test", kBob, RemoteAction::kRequest).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(Events().empty());
}

}  // namespace
}  // namespace messenger::contact
