// The io.messenger.contact EDU (issue 16): which friendship events travel,
// and what an arriving EDU may claim.
#include "messaging-service/src/domain/contact_edu.h"

#include <gtest/gtest.h>

namespace messenger::messaging {
namespace {

constexpr char kAlice[] = "11111111-1111-4111-8111-111111111111";
constexpr char kBobUuid[] = "22222222-2222-5222-8222-222222222222";
constexpr char kBob[] = "@bob:hs2.test";

FriendshipChange Change(const std::string& type, const std::string& actor) {
  return {type, kAlice, kBobUuid, actor, kBob};
}

TEST(ContactEduTest, LocalActionsTravelToTheRemoteServer) {
  auto request = ForwardOf(Change("friendship.created", kAlice), kBobUuid);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->destination, "hs2.test");
  EXPECT_EQ(request->local_user_id, kAlice);
  EXPECT_EQ(request->action, "request");
  EXPECT_EQ(ForwardOf(Change("friendship.accepted", kAlice), kBobUuid)->action, "accept");
  EXPECT_EQ(ForwardOf(Change("friendship.removed", kAlice), kBobUuid)->action, "remove");
  const nlohmann::json edu = ContactEdu(*request, "@alice:hs1.test");
  EXPECT_EQ(edu["edu_type"], "io.messenger.contact");
  EXPECT_EQ(
      edu["content"],
      nlohmann::json({{"action", "request"}, {"sender", "@alice:hs1.test"}, {"target", kBob}}));
}

TEST(ContactEduTest, RemoteCausedAndLocalPairsDoNotTravel) {
  // Caused by bob's server: sending it back would echo forever.
  EXPECT_FALSE(ForwardOf(Change("friendship.created", kBobUuid), kBobUuid));
  EXPECT_FALSE(ForwardOf(Change("friendship.accepted", kBobUuid), kBobUuid));
  EXPECT_FALSE(ForwardOf(Change("friendship.removed", kBobUuid), kBobUuid));
  FriendshipChange local = Change("friendship.created", kAlice);
  local.remote_matrix_id.clear();
  EXPECT_FALSE(ForwardOf(local, kBobUuid));
  EXPECT_FALSE(ForwardOf(Change("friendship.created", ""), kBobUuid));
  EXPECT_FALSE(ForwardOf(Change("friendship.other", kAlice), kBobUuid));
}

TEST(ContactEduTest, ArrivalChecksWhoSpeaksForWhom) {
  const nlohmann::json ok = {
      {"action", "request"}, {"sender", kBob}, {"target", "@alice:hs1.test"}};
  auto claim = ParseContactEdu("hs2.test", "hs1.test", ok);
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->local_matrix_id, "@alice:hs1.test");
  EXPECT_EQ(claim->remote_matrix_id, kBob);
  EXPECT_EQ(claim->action, "request");
  // A forged sender: hs3 cannot speak for bob of hs2.
  EXPECT_EQ(ParseContactEdu("hs3.test", "hs1.test", ok).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A target of another server.
  EXPECT_EQ(ParseContactEdu("hs2.test", "hs9.test", ok).status().code(),
            absl::StatusCode::kPermissionDenied);
  nlohmann::json bad = ok;
  bad["action"] = "befriend";
  EXPECT_EQ(ParseContactEdu("hs2.test", "hs1.test", bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = ok;
  bad["sender"] = 7;
  EXPECT_EQ(ParseContactEdu("hs2.test", "hs1.test", bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseContactEdu("hs2.test", "hs1.test", nlohmann::json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace messenger::messaging
