#include "messaging-service/src/domain/conversation_rules.h"

#include <gtest/gtest.h>

namespace messenger::messaging {
namespace {

TEST(Text, OneTo4000CharactersWithLineBreaks) {
  EXPECT_TRUE(ValidateText("hi").ok());
  EXPECT_TRUE(ValidateText("line 1\nline 2\ttab").ok());
  EXPECT_TRUE(ValidateText(std::string(4000, 'x')).ok());
  EXPECT_FALSE(ValidateText(std::string(4001, 'x')).ok());
  std::string emoji;
  for (int i = 0; i < 4000; ++i) emoji += "\xf0\x9f\x98\x80";
  EXPECT_TRUE(ValidateText(emoji).ok());  // characters, not bytes
  EXPECT_FALSE(ValidateText("").ok());
  EXPECT_FALSE(ValidateText(" \n ").ok());
  EXPECT_FALSE(ValidateText("bell\x07").ok());
  EXPECT_FALSE(ValidateText("\xff").ok());
}

TEST(ClientMsgId, PrintableAsciiUpTo128) {
  EXPECT_TRUE(ValidateClientMsgId("c-1").ok());
  EXPECT_TRUE(ValidateClientMsgId(std::string(128, 'a')).ok());
  EXPECT_FALSE(ValidateClientMsgId("").ok());
  EXPECT_FALSE(ValidateClientMsgId(std::string(129, 'a')).ok());
  EXPECT_FALSE(ValidateClientMsgId("has space").ok());
}

TEST(DirectKey, IsTheSameFromBothSides) {
  EXPECT_EQ(DirectKey("a", "b"), "a:b");
  EXPECT_EQ(DirectKey("b", "a"), "a:b");
}

// Glare: both servers keep the smaller room id as the pair's; the other
// room's key still names the pair (room ids hold ':' too).
TEST(DirectKey, ASupersededRoomStillNamesThePair) {
  const std::string key = DirectKey("u1", "u2");
  const std::string superseded = SupersededDirectKey(key, "!b:hs2.test");
  EXPECT_EQ(superseded, "u1:u2/!b:hs2.test");
  EXPECT_EQ(DirectPair(superseded), (std::pair<std::string, std::string>{"u1", "u2"}));
  EXPECT_EQ(DirectPair(key), (std::pair<std::string, std::string>{"u1", "u2"}));
  EXPECT_TRUE(KeepsDirectKey("!a:hs1.test", "!b:hs2.test"));
  EXPECT_FALSE(KeepsDirectKey("!b:hs2.test", "!a:hs1.test"));
}

TEST(PageSize, DefaultAndBounds) {
  EXPECT_EQ(*PageSize(0), 50);
  EXPECT_EQ(*PageSize(1), 1);
  EXPECT_EQ(*PageSize(100), 100);
  EXPECT_FALSE(PageSize(101).ok());
  EXPECT_FALSE(PageSize(-1).ok());
}

TEST(SyncToken, RoundTripsAndRejectsForeignTokens) {
  EXPECT_EQ(EncodeSyncToken(0), "s0");
  EXPECT_EQ(*DecodeSyncToken(EncodeSyncToken(123456789012)), 123456789012);
  for (const char* bad : {"", "s", "123", "sx", "s-1", "t5", "s1.5"}) {
    EXPECT_FALSE(DecodeSyncToken(bad).ok()) << bad;
  }
  EXPECT_EQ(*SyncTimeoutMs(0), 0);
  EXPECT_EQ(*SyncTimeoutMs(30000), 30000);
  EXPECT_FALSE(SyncTimeoutMs(30001).ok());
  EXPECT_FALSE(SyncTimeoutMs(-1).ok());
}

TEST(SyncToken, CarriesATypingCursor) {
  EXPECT_EQ(EncodeSyncToken(42, 0), "s42");  // no cursor: the token of before
  const std::string token = EncodeSyncToken(42, 1'800'000'000'000'000);
  EXPECT_EQ(token, "s42t1800000000000000");
  EXPECT_EQ(*DecodeSyncToken(token), 42);
  EXPECT_EQ(*DecodeTypingCursor(token), 1'800'000'000'000'000u);
  EXPECT_EQ(*DecodeTypingCursor("s42"), 0u);
  for (const char* bad : {"s42t", "s42tx", "st5", "s42t5t6", "s42t-5", "s42t+5"}) {
    EXPECT_FALSE(DecodeSyncToken(bad).ok()) << bad;
  }
}

TEST(ContactPolicy, OnlyFriendsMayWriteDirectly) {
  EXPECT_TRUE(CheckDirectSend(true).ok());
  EXPECT_EQ(CheckDirectSend(false).code(), absl::StatusCode::kPermissionDenied);
}

TEST(GroupName, TrimmedAndBounded) {
  EXPECT_EQ(*NormalizeGroupName("  team "), "team");
  EXPECT_FALSE(NormalizeGroupName("").ok());
  EXPECT_FALSE(NormalizeGroupName(std::string(65, 'n')).ok());
}

}  // namespace
}  // namespace messenger::messaging
