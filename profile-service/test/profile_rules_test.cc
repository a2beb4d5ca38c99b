#include "profile-service/src/domain/profile_rules.h"

#include <gtest/gtest.h>

namespace messenger::profile {
namespace {

TEST(DisplayName, TrimmedAtMost64CharactersNoControls) {
  EXPECT_EQ(*NormalizeDisplayName("  Alice  "), "Alice");
  EXPECT_TRUE(NormalizeDisplayName(std::string(64, 'x')).ok());
  EXPECT_TRUE(NormalizeDisplayName(" " + std::string(64, 'x') + " ").ok());  // after trimming
  EXPECT_FALSE(NormalizeDisplayName(std::string(65, 'x')).ok());
  // 64 two-byte characters are fine: the limit counts characters.
  std::string accents;
  for (int i = 0; i < 64; ++i) accents += "\xc3\xa9";
  EXPECT_TRUE(NormalizeDisplayName(accents).ok());
  EXPECT_FALSE(NormalizeDisplayName(accents + "\xc3\xa9").ok());
  EXPECT_FALSE(NormalizeDisplayName("a\nb").ok());
  EXPECT_FALSE(NormalizeDisplayName("a\x1b[31mb").ok());
  EXPECT_FALSE(NormalizeDisplayName("   ").ok());
  EXPECT_FALSE(NormalizeDisplayName("\xff").ok());
}

TEST(AvatarUrl, OnlyMxcOrHttps) {
  EXPECT_EQ(*NormalizeAvatarUrl(""), "");
  EXPECT_TRUE(NormalizeAvatarUrl("mxc://example.org/abc123").ok());
  EXPECT_TRUE(NormalizeAvatarUrl("https://cdn.example.org/a.png").ok());
  for (const char* bad : {"http://example.org/a.png", "ftp://x/y", "mxc://", "mxc://server",
                          "mxc:///media", "mxc://server/", "https://", "https:///path",
                          "javascript:alert(1)", "https://a b.org/x", "https://x.org/a\nb"}) {
    EXPECT_FALSE(NormalizeAvatarUrl(bad).ok()) << bad;
  }
}

TEST(Bio, AtMost500CharactersLineBreaksAllowed) {
  EXPECT_TRUE(NormalizeBio("line one\nline two\twith tab").ok());
  EXPECT_TRUE(NormalizeBio(std::string(500, 'b')).ok());
  EXPECT_FALSE(NormalizeBio(std::string(501, 'b')).ok());
  EXPECT_FALSE(NormalizeBio("bell\x07").ok());
  EXPECT_EQ(*NormalizeBio(""), "");
}

TEST(Search, PrefixPatternEscapesLikeWildcards) {
  EXPECT_EQ(*UsernamePrefixPattern("Al"), "al%");
  EXPECT_EQ(*UsernamePrefixPattern("a_b"), "a\\_b%");
  EXPECT_EQ(*UsernamePrefixPattern("100%"), "100\\%%");
  EXPECT_FALSE(UsernamePrefixPattern("").ok());
  EXPECT_FALSE(UsernamePrefixPattern(std::string(33, 'a')).ok());
}

TEST(Search, LimitIsClamped) {
  EXPECT_EQ(ClampSearchLimit(0), 20);
  EXPECT_EQ(ClampSearchLimit(-5), 20);
  EXPECT_EQ(ClampSearchLimit(7), 7);
  EXPECT_EQ(ClampSearchLimit(1000), 50);
}

}  // namespace
}  // namespace messenger::profile
