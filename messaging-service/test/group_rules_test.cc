#include "messaging-service/src/domain/group_rules.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace messenger::messaging
