// The contact policy of direct rooms across servers (remote_direct_policy.h)
// on real signed events, and the join of an accepted direct invite
// (direct_joiner.h), with fakes for the contact service and the join.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/federation/direct_joiner.h"
#include "messaging-service/src/federation/remote_direct_policy.h"
#include "messaging-service/src/federation/remote_users.h"
#include "messaging-service/test/remote_direct_pdu.h"

namespace messenger::federation {
namespace {

using testing_direct::kAlice;
constexpr char kBobId[] = "0b0b0b0b-0000-4000-8000-000000000001";  // bob, local here

matrix::Event Pdu(const std::string& type, std::optional<std::string> state_key,
                  nlohmann::json content) {
  static const matrix::Ed25519Key key = *matrix::Ed25519Key::FromSeed(std::string(32, '\x03'), "r");
  absl::StatusOr<matrix::Event> event =
      testing_direct::AlicePdu(key, type, std::move(state_key), std::move(content), 1);
  EXPECT_TRUE(event.ok()) << event.status();
  return *event;
}

matrix::Event Invite(bool is_direct) {
  nlohmann::json content = {{"membership", "invite"}};
  if (is_direct) content["is_direct"] = true;
  return Pdu(matrix::kMemberType, "@bob:hs2.test", content);
}

// A contact service that knows the pairs in `friends`.
FriendsCheck Contacts(std::set<std::string>& friends, int* asked = nullptr) {
  return [&friends, asked](const std::string& a, const std::string& b) -> absl::StatusOr<bool> {
    if (asked != nullptr) ++*asked;
    return friends.contains(messaging::DirectKey(a, b));
  };
}

TEST(RemoteDirectPolicyTest, ADirectInviteIsTakenFromAContactOnly) {
  std::set<std::string> friends;
  const std::string alice = RemoteUserUuid(kAlice);
  absl::StatusOr<std::optional<std::string>> key =
      DirectInviteKey(Invite(true), kBobId, Contacts(friends));
  EXPECT_TRUE(absl::IsPermissionDenied(key.status())) << key.status();
  EXPECT_NE(key.status().message().find("not a contact"), std::string::npos);
  // Without a contact service nothing is taken either.
  EXPECT_TRUE(absl::IsPermissionDenied(DirectInviteKey(Invite(true), kBobId, nullptr).status()));

  friends.insert(messaging::DirectKey(alice, kBobId));
  key = DirectInviteKey(Invite(true), kBobId, Contacts(friends));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, messaging::DirectKey(alice, kBobId));
}

TEST(RemoteDirectPolicyTest, AnInviteIntoAnotherRoomIsNotTheContactPolicys) {
  std::set<std::string> friends;
  int asked = 0;
  absl::StatusOr<std::optional<std::string>> key =
      DirectInviteKey(Invite(false), kBobId, Contacts(friends, &asked));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_FALSE(key->has_value());
  EXPECT_EQ(asked, 0);
}

TEST(RemoteDirectPolicyTest, ADirectRoomIsReadOnlyWhileThePairAreNotContacts) {
  std::set<std::string> friends;
  const std::string alice = RemoteUserUuid(kAlice);
  messaging::RoomRow row;
  row.kind = "direct";
  row.direct_key = messaging::DirectKey(alice, kBobId);
  const matrix::Event message =
      Pdu(matrix::kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "hi"}});
  const matrix::Event topic = Pdu("m.room.topic", "", {{"topic", "t"}});
  const matrix::Event leave = Pdu(matrix::kMemberType, kAlice, {{"membership", "leave"}});

  absl::Status status = CheckDirectRoomEvent(row, message, Contacts(friends));
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_NE(status.message().find("read-only"), std::string::npos);
  EXPECT_TRUE(absl::IsPermissionDenied(CheckDirectRoomEvent(row, topic, Contacts(friends))));
  EXPECT_TRUE(CheckDirectRoomEvent(row, leave, Contacts(friends)).ok());  // leaving stays possible

  friends.insert(*row.direct_key);
  EXPECT_TRUE(CheckDirectRoomEvent(row, message, Contacts(friends)).ok());
  // A group is not the policy's.
  row.kind = "group";
  row.direct_key.reset();
  friends.clear();
  EXPECT_TRUE(CheckDirectRoomEvent(row, message, Contacts(friends)).ok());
}

TEST(DirectJoinerTest, JoinsOnceTheInvitingServerTakesTheJoin) {
  std::atomic<int> calls = 0;
  std::atomic<bool> joined = false;
  {
    DirectJoiner joiner(
        [&](const RemoteJoinRequest& request) -> absl::StatusOr<std::string> {
          EXPECT_EQ(request.servers, std::vector<std::string>{"hs1.test"});
          // The inviting server has not committed its invite yet: twice refused.
          if (++calls < 3) return absl::PermissionDeniedError("not invited");
          joined = true;
          return request.room_id;
        },
        {.attempts = 6, .first_delay = absl::Milliseconds(1)});
    ASSERT_TRUE(joiner.Add({.user_id = kBobId,
                            .matrix_user_id = "@bob:hs2.test",
                            .room_id = "!dm:hs1.test",
                            .servers = {"hs1.test"}}));
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!joined && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_TRUE(joined);
  EXPECT_EQ(calls, 3);
}

TEST(DirectJoinerTest, GivesUpAfterItsAttemptsAndWhenNothingIsLeftToJoin) {
  std::atomic<int> unreachable = 0, gone = 0;
  {
    DirectJoiner joiner(
        [&](const RemoteJoinRequest& request) -> absl::StatusOr<std::string> {
          if (request.room_id == "!gone:hs1.test") {
            ++gone;
            return absl::NotFoundError("no invite into this room");
          }
          ++unreachable;
          return absl::UnavailableError("down");
        },
        {.attempts = 3, .first_delay = absl::Milliseconds(1)});
    ASSERT_TRUE(joiner.Add({.room_id = "!down:hs1.test"}));
    ASSERT_TRUE(joiner.Add({.room_id = "!gone:hs1.test"}));
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while ((unreachable < 3 || gone < 1) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  EXPECT_EQ(unreachable, 3);
  EXPECT_EQ(gone, 1);
}

TEST(DirectJoinerTest, ItsQueueIsBounded) {
  DirectJoiner joiner([](const RemoteJoinRequest&) -> absl::StatusOr<std::string> {
    return absl::UnavailableError("down");
  },
                      {.max_pending = 1, .attempts = 1, .first_delay = absl::Hours(1)});
  EXPECT_TRUE(joiner.Add({.room_id = "!a:hs1.test"}));
  EXPECT_FALSE(joiner.Add({.room_id = "!b:hs1.test"}));
}

}  // namespace
}  // namespace messenger::federation
