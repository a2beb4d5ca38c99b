// Server ACLs (server_acl.h): the glob, IP literals and the spec's order of
// allow_ip_literals, deny and allow, on real m.room.server_acl events.
#include "messaging-service/src/domain/matrix/server_acl.h"

#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/pdu_builder.h"

namespace messenger::matrix {
namespace {

Event Acl(nlohmann::json content) {
  const Ed25519Key key = *Ed25519Key::FromSeed(std::string(32, '\x03'), "k");
  absl::StatusOr<Event> event = BuildPdu({.room_id = "!r:hs.local",
                                          .sender = "@alice:hs.local",
                                          .type = kServerAclType,
                                          .state_key = "",
                                          .content = std::move(content),
                                          .depth = 3,
                                          .origin_server_ts = 1},
                                         "hs.local", key);
  EXPECT_TRUE(event.ok()) << event.status();
  return *event;
}

TEST(ServerAclTest, GlobStarQuestionMarkAndCase) {
  EXPECT_TRUE(GlobMatches("*", ""));
  EXPECT_TRUE(GlobMatches("*", "evil.com"));
  EXPECT_TRUE(GlobMatches("*.evil.com", "a.b.evil.com"));
  EXPECT_FALSE(GlobMatches("*.evil.com", "evil.com"));
  EXPECT_TRUE(GlobMatches("evil.co?", "EVIL.COM"));
  EXPECT_FALSE(GlobMatches("evil.co?", "evil.co"));
  EXPECT_FALSE(GlobMatches("evil.com", "evil.com.au"));
  EXPECT_TRUE(GlobMatches("e*l*.c*m", "evil.com"));
  EXPECT_FALSE(GlobMatches("", "x"));
  // Backtracking stays linear: this would explode a naive recursion.
  EXPECT_FALSE(GlobMatches("*a*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(ServerAclTest, IpLiterals) {
  EXPECT_TRUE(IsIpLiteral("1.2.3.4"));
  EXPECT_TRUE(IsIpLiteral("1.2.3.4:8448"));
  EXPECT_TRUE(IsIpLiteral("[::1]"));
  EXPECT_TRUE(IsIpLiteral("[2001:db8::1]:8448"));
  EXPECT_FALSE(IsIpLiteral("1.2.3"));
  EXPECT_FALSE(IsIpLiteral("1.2.3.4.example"));
  EXPECT_FALSE(IsIpLiteral("example.org"));
  EXPECT_FALSE(IsIpLiteral("1234.2.3.4"));
}

TEST(ServerAclTest, TheSpecsOrder) {
  // No ACL: everyone.
  EXPECT_TRUE(AclAllows(nullptr, "anyone.org"));
  const Event acl =
      Acl({{"allow", nlohmann::json::array({"*"})}, {"deny", {"evil.com", "*.evil.com"}}, {"allow_ip_literals", false}});
  EXPECT_TRUE(AclAllows(&acl, "good.org"));
  EXPECT_TRUE(AclAllows(&acl, "good.org:8448"));
  // The port is never considered.
  EXPECT_FALSE(AclAllows(&acl, "evil.com"));
  EXPECT_FALSE(AclAllows(&acl, "evil.com:1234"));
  EXPECT_FALSE(AclAllows(&acl, "sub.EVIL.com"));
  EXPECT_FALSE(AclAllows(&acl, "1.2.3.4"));
  EXPECT_FALSE(AclAllows(&acl, "[::1]:8448"));
  // Deny wins over allow.
  const Event both = Acl({{"allow", nlohmann::json::array({"evil.com"})}, {"deny", nlohmann::json::array({"evil.com"})}});
  EXPECT_FALSE(AclAllows(&both, "evil.com"));
  // allow_ip_literals defaults to true, also when it is not a boolean.
  const Event ip_default = Acl({{"allow", nlohmann::json::array({"*"})}, {"allow_ip_literals", "no"}});
  EXPECT_TRUE(AclAllows(&ip_default, "1.2.3.4"));
}

TEST(ServerAclTest, WithoutAllowEveryoneIsDeniedAndOddEntriesCountForNothing) {
  const Event empty = Acl(nlohmann::json::object());
  EXPECT_FALSE(AclAllows(&empty, "hs.local"));
  const Event odd = Acl({{"allow", {5, nullptr, "only.org"}}, {"deny", "evil.com"}});
  EXPECT_TRUE(AclAllows(&odd, "only.org"));
  EXPECT_FALSE(AclAllows(&odd, "other.org"));
  // A deny that is not a list denies nobody.
  const Event deny_string = Acl({{"allow", nlohmann::json::array({"*"})}, {"deny", "evil.com"}});
  EXPECT_TRUE(AclAllows(&deny_string, "evil.com"));
  // In a state map, under its type and the empty state key.
  StateMap state;
  EXPECT_TRUE(AclAllows(state, "evil.com"));
  ASSERT_TRUE(state.Put(Acl({{"allow", nlohmann::json::array({"*"})}, {"deny", nlohmann::json::array({"evil.com"})}})).ok());
  EXPECT_FALSE(AclAllows(state, "evil.com"));
  EXPECT_TRUE(AclAllows(state, "good.org"));
}

}  // namespace
}  // namespace messenger::matrix
