#include <gtest/gtest.h>

#include <set>

#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::matrix {
namespace {

TEST(ServerName, SpecExamplesAreValid) {
  for (const char* name : {"matrix.org", "matrix.org:8888", "1.2.3.4", "1.2.3.4:1234",
                           "[1234:5678::abcd]", "[1234:5678::abcd]:5678", "localhost"}) {
    EXPECT_TRUE(IsValidServerName(name)) << name;
  }
}

TEST(ServerName, RejectsMalformed) {
  for (const char* name :
       {"", ":80", "matrix.org:", "matrix.org:123456", "matrix.org:8a", "under_score.org",
        "sp ace.org", "[1234:5678::abcd", "[]", "[g::1]", "a/b", "matrix.org:80:80"}) {
    EXPECT_FALSE(IsValidServerName(name)) << name;
  }
  EXPECT_FALSE(IsValidServerName(std::string(256, 'a')));
  EXPECT_TRUE(IsValidServerName(std::string(255, 'a')));
}

TEST(UserId, CurrentGrammar) {
  EXPECT_TRUE(IsValidUserId("@alice:example.org"));
  EXPECT_TRUE(IsValidUserId("@a.b_c=d-e/f+g9:example.org:8448"));
  EXPECT_FALSE(IsValidUserId("@Alice:example.org"));  // upper case
  EXPECT_FALSE(IsValidUserId("@:example.org"));       // empty localpart
  EXPECT_FALSE(IsValidUserId("@al ice:example.org"));
  EXPECT_FALSE(IsValidUserId("@alice#:example.org"));
  EXPECT_FALSE(IsValidUserId("alice:example.org"));  // no sigil
  EXPECT_FALSE(IsValidUserId("@alice"));             // no server
  EXPECT_FALSE(IsValidUserId("@alice:bad_server"));
}

TEST(UserId, LengthLimitIs255BytesIncludingSigilAndDomain) {
  const std::string domain = ":example.org";  // 12 bytes
  const std::string at_limit = "@" + std::string(255 - 1 - domain.size(), 'a') + domain;
  ASSERT_EQ(at_limit.size(), 255u);
  EXPECT_TRUE(IsValidUserId(at_limit));
  EXPECT_FALSE(IsValidUserId("@a" + at_limit.substr(1)));
}

TEST(UserId, HistoricalGrammarIsLenient) {
  EXPECT_TRUE(IsHistoricalUserId("@Alice:example.org"));
  EXPECT_TRUE(IsHistoricalUserId("@:example.org"));
  EXPECT_TRUE(IsHistoricalUserId("@\xC3\xA9l\xC3\xA8ve!:example.org"));
  EXPECT_FALSE(IsHistoricalUserId(std::string("@a\0b:example.org", 16)));
  EXPECT_FALSE(IsHistoricalUserId("@a:b:c"));  // ':' splits at the first colon: "b:c" port invalid
  EXPECT_FALSE(IsHistoricalUserId("@\xFF:example.org"));
}

TEST(UserId, MakeAndServerName) {
  EXPECT_EQ(*MakeUserId("alice", "example.org"), "@alice:example.org");
  EXPECT_EQ(MakeUserId("Alice", "example.org").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ServerNameOf("@alice:example.org:8448"), "example.org:8448");
  EXPECT_EQ(*ServerNameOf("!room:[::1]:80"), "[::1]:80");
  EXPECT_FALSE(ServerNameOf("@alice").ok());
}

TEST(RoomId, GrammarAndGeneration) {
  EXPECT_TRUE(IsValidRoomId("!abcDEF123:example.org"));
  EXPECT_FALSE(IsValidRoomId("!:example.org"));
  EXPECT_FALSE(IsValidRoomId("#alias:example.org"));
  EXPECT_FALSE(IsValidRoomId("!abc"));
  EXPECT_EQ(*MakeRoomId("abc", "example.org"), "!abc:example.org");
  EXPECT_FALSE(MakeRoomId("a:b", "example.org").ok());

  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto id = NewRoomId(SecureRng::Instance(), "example.org");
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(IsValidRoomId(*id)) << *id;
    EXPECT_EQ(id->size(), 1 + 18 + 1 + 11u);
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(EventId, V4Format) {
  EXPECT_TRUE(IsValidEventId("$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"));   // spec example
  EXPECT_FALSE(IsValidEventId("$Rqnc+F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"));  // not URL-safe
  EXPECT_FALSE(IsValidEventId("$0:domain"));                                     // v1-v3 style
  EXPECT_FALSE(IsValidEventId("Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg0"));
}

}  // namespace
}  // namespace messenger::matrix
