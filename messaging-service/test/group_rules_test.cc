#include "messaging-service/src/domain/group_rules.h"

#include <gtest/gtest.h>

#include <string>

#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/room.h"

namespace messenger::messaging {
namespace {

TEST(GroupRulesTest, RolesAreAdminAt100AndMemberAt0) {
  EXPECT_EQ(RoleOf(100), "admin");
  EXPECT_EQ(RoleOf(150), "admin");
  EXPECT_EQ(RoleOf(99), "member");
  EXPECT_EQ(RoleOf(0), "member");
  EXPECT_EQ(RoleOf(-5), "member");
  EXPECT_EQ(*LevelOfRole("admin"), 100);
  EXPECT_EQ(*LevelOfRole("member"), 0);
  for (const char* bad : {"", "Admin", "owner", "moderator", "admin "}) {
    absl::StatusOr<int64_t> level = LevelOfRole(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(level.status())) << bad;
    EXPECT_NE(level.status().message().find("role"), std::string::npos);
  }
}

TEST(GroupRulesTest, TheCapCountsMembersAfterTheChange) {
  EXPECT_TRUE(CheckMemberCap(10'000, 10'000).ok());
  EXPECT_TRUE(CheckMemberCap(2, 10'000).ok());
  absl::Status past = CheckMemberCap(10'001, 10'000);
  EXPECT_TRUE(absl::IsFailedPrecondition(past));
  EXPECT_NE(past.message().find("10000"), std::string::npos) << past;
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckMemberCap(4, 3)));
}

TEST(GroupRulesTest, TopicsAreBoundedTextThatMayBeCleared) {
  EXPECT_TRUE(ValidateTopic("").ok());
  EXPECT_TRUE(ValidateTopic("line one\nline two\ttab").ok());
  EXPECT_TRUE(ValidateTopic(std::string(kMaxTopicLength, 'x')).ok());
  EXPECT_TRUE(ValidateTopic("Grüße ✓").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopic(std::string(kMaxTopicLength + 1, 'x'))));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopic("bell\x07")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTopic("\xff\xfe")));
}

TEST(GroupRulesTest, AvatarsAreMxcOrHttpsUrls) {
  EXPECT_TRUE(ValidateAvatarUrl("").ok());
  EXPECT_TRUE(ValidateAvatarUrl("mxc://localhost/abc").ok());
  EXPECT_TRUE(ValidateAvatarUrl("https://example.com/a.png").ok());
  for (const char* bad : {"http://example.com/a.png", "mxc://", "javascript:alert(1)",
                          "https://exa mple.com", "ftp://x/y"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateAvatarUrl(bad))) << bad;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      ValidateAvatarUrl("https://x/" + std::string(kMaxAvatarUrlBytes, 'a'))));
}

TEST(GroupRulesTest, APatchChangesSomethingAndChecksEachField) {
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizePatch({}).status()));
  absl::StatusOr<ConversationPatch> named = NormalizePatch({.name = "  Team  "});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(*named->name, "Team");  // trimmed as at creation
  EXPECT_FALSE(named->topic.has_value());
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizePatch({.name = ""}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizePatch({.name = std::string(65, 'n')}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizePatch({.topic = "\x01"}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizePatch({.avatar_url = "nope"}).status()));
  EXPECT_TRUE(NormalizePatch({.topic = "", .avatar_url = ""}).ok());  // both cleared
}

TEST(GroupRulesTest, DirectConversationsRefuseGroupChanges) {
  EXPECT_TRUE(absl::IsPermissionDenied(RefuseDirect("direct")));
  EXPECT_TRUE(RefuseDirect("group").ok());
}

// A role change is planned on the power levels as they are: other users'
// levels are kept, an unchanged role writes nothing.
TEST(GroupRulesTest, ARoleChangeKeepsTheOtherLevelsAndAnUnchangedOneWritesNothing) {
  matrix::NewRoomOptions options;
  options.room_id = "!abcdefghijklmnopqr:localhost";
  options.creator = "@alice:localhost";
  options.origin_server_ts = 1'800'000'000'000;
  const auto key = *matrix::Ed25519Key::FromSeed(std::string(32, '\x05'), "k1");
  absl::StatusOr<matrix::CreatedRoom> created = matrix::CreateRoom(options, "localhost", key);
  ASSERT_TRUE(created.ok()) << created.status();
  nlohmann::json levels = created->room.state().power_levels()->content();
  levels["users"]["@carol:localhost"] = 100;
  ASSERT_TRUE(created->room
                  .Append({"@alice:localhost", matrix::kPowerLevelsType, "", levels, std::nullopt},
                          1'800'000'000'001, "localhost", key)
                  .ok());
  const matrix::StateMap& state = created->room.state();
  absl::StatusOr<std::optional<nlohmann::json>> bob =
      PlanRoleChange(state, "@alice:localhost", "@bob:localhost", kAdminLevel);
  ASSERT_TRUE(bob.ok() && bob->has_value()) << bob.status();
  EXPECT_EQ((**bob)["users"]["@bob:localhost"], 100);
  EXPECT_EQ((**bob)["users"]["@carol:localhost"], 100);
  EXPECT_EQ((**bob)["users"]["@alice:localhost"], 100);
  absl::StatusOr<std::optional<nlohmann::json>> same =
      PlanRoleChange(state, "@alice:localhost", "@carol:localhost", kAdminLevel);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_FALSE(same->has_value());
  // Someone who may not change power levels gets a plan: the auth rules refuse it.
  absl::StatusOr<std::optional<nlohmann::json>> by_member =
      PlanRoleChange(state, "@dave:localhost", "@carol:localhost", kAdminLevel);
  ASSERT_TRUE(by_member.ok()) << by_member.status();
  EXPECT_TRUE(by_member->has_value());
}

}  // namespace
}  // namespace messenger::messaging
