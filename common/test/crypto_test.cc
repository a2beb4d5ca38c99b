#include "common/crypto.h"

#include <gtest/gtest.h>

#include <set>

namespace messenger {
namespace {

TEST(Uuid, IsVersion4AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid(SecureRng::Instance());
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Uuid, TimeOrderedIdsAreVersion7AndSortByTime) {
  const int64_t millis = 1'800'000'000'123;  // 0x01a3185c507b
  const std::string first = NewTimeOrderedUuid(SecureRng::Instance(), millis);
  ASSERT_TRUE(IsUuid(first)) << first;
  EXPECT_EQ(first.substr(0, 13), "01a3185c-507b");
  EXPECT_EQ(first[14], '7');
  EXPECT_TRUE(first[19] == '8' || first[19] == '9' || first[19] == 'a' || first[19] == 'b');
  std::set<std::string> same_millisecond;
  for (int i = 0; i < 1000; ++i) {
    same_millisecond.insert(NewTimeOrderedUuid(SecureRng::Instance(), millis));
  }
  EXPECT_EQ(same_millisecond.size(), 1000u);  // 74 random bits keep them apart
  EXPECT_LT(*same_millisecond.rbegin(), NewTimeOrderedUuid(SecureRng::Instance(), millis + 1));
}

TEST(Uuid, RejectsNonUuids) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(IsUuid("123e4567e89b12d3a456426614174000abcd"));
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));
}

TEST(Token, Has256BitsAsUrlSafeBase64) {
  std::string token = RandomToken(SecureRng::Instance());
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(Base64UrlDecode(token)->size(), 32u);
}

TEST(Sha256, MatchesKnownDigest) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Base64, UnpaddedBothAlphabets) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg");
  EXPECT_EQ(Base64Encode("fo"), "Zm8");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64Decode("Zm8="), "fo");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_FALSE(Base64Decode("Zm*").has_value());
}

}  // namespace
}  // namespace messenger
