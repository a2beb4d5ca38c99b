#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/redaction.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

Json Event(const std::string& type, Json content) {
  return {{"type", type},
          {"room_id", "!r:domain"},
          {"sender", "@u:domain"},
          {"state_key", ""},
          {"content", std::move(content)},
          {"hashes", {{"sha256", "abc"}}},
          {"signatures", {{"domain", {{"ed25519:1", "sig"}}}}},
          {"depth", 3},
          {"prev_events", {"$p"}},
          {"prev_state", Json::array()},
          {"auth_events", {"$a"}},
          {"origin", "domain"},
          {"origin_server_ts", 1000},
          {"membership", "join"},
          {"event_id", "$e"},
          {"unsigned", {{"age", 5}}},
          {"redacts", "$x"},
          {"custom_top_level", true}};
}

Json RedactedContent(const std::string& type, const Json& content) {
  auto redacted = RedactEvent(Event(type, content));
  EXPECT_TRUE(redacted.ok());
  return redacted.ok() ? (*redacted)["content"] : Json();
}

TEST(Redaction, KeepsExactlyTheV10TopLevelKeys) {
  auto redacted = RedactEvent(Event("m.room.message", {{"body", "hi"}}));
  ASSERT_TRUE(redacted.ok());
  std::vector<std::string> keys;
  for (const auto& [key, value] : redacted->items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"auth_events", "content", "depth", "event_id", "hashes",
                                            "membership", "origin", "origin_server_ts",
                                            "prev_events", "prev_state", "room_id", "sender",
                                            "signatures", "state_key", "type"}));
  // Kept values are untouched.
  EXPECT_EQ((*redacted)["signatures"]["domain"]["ed25519:1"], "sig");
  EXPECT_EQ((*redacted)["origin"], "domain");
  EXPECT_EQ((*redacted)["content"], Json::object());
}

TEST(Redaction, MessageContentIsEmptied) {
  EXPECT_EQ(RedactedContent("m.room.message", {{"body", "hi"}, {"msgtype", "m.text"}}),
            Json::object());
  EXPECT_EQ(RedactedContent("m.room.topic", {{"topic", "t"}}), Json::object());
  EXPECT_EQ(RedactedContent("m.room.name", {{"name", "n"}}), Json::object());
  // m.room.aliases kept `aliases` only in v1-v5.
  EXPECT_EQ(RedactedContent("m.room.aliases", {{"aliases", {"#a:b"}}}), Json::object());
  // v11 keeps `redacts` in content; v10 does not.
  EXPECT_EQ(RedactedContent("m.room.redaction", {{"redacts", "$x"}, {"reason", "r"}}),
            Json::object());
}

TEST(Redaction, Member) {
  EXPECT_EQ(
      RedactedContent("m.room.member", {{"membership", "join"},
                                        {"displayname", "Alice"},
                                        {"avatar_url", "mxc://a/b"},
                                        {"join_authorised_via_users_server", "@admin:domain"},
                                        {"third_party_invite", {{"signed", Json::object()}}}}),
      Json({{"membership", "join"}, {"join_authorised_via_users_server", "@admin:domain"}}));
}

TEST(Redaction, CreateKeepsOnlyCreator) {
  // v11 keeps the whole create content; v10 only `creator`.
  EXPECT_EQ(RedactedContent("m.room.create", {{"creator", "@u:domain"},
                                              {"room_version", "10"},
                                              {"m.federate", false},
                                              {"predecessor", {{"room_id", "!o:domain"}}}}),
            Json({{"creator", "@u:domain"}}));
}

TEST(Redaction, JoinRulesKeepsJoinRuleAndAllow) {
  const Json allow = Json::array({{{"type", "m.room_membership"}, {"room_id", "!s:domain"}}});
  EXPECT_EQ(RedactedContent("m.room.join_rules",
                            {{"join_rule", "restricted"}, {"allow", allow}, {"other", 1}}),
            Json({{"join_rule", "restricted"}, {"allow", allow}}));
}

TEST(Redaction, PowerLevelsDropsInviteAndNotifications) {
  const Json content = {{"ban", 50},
                        {"events", {{"m.room.name", 100}}},
                        {"events_default", 0},
                        {"kick", 50},
                        {"redact", 50},
                        {"state_default", 50},
                        {"users", {{"@u:domain", 100}}},
                        {"users_default", 0},
                        {"invite", 0},
                        {"notifications", {{"room", 50}}}};
  Json expected = content;
  expected.erase("invite");  // kept from v11 on, not in v10
  expected.erase("notifications");
  EXPECT_EQ(RedactedContent("m.room.power_levels", content), expected);
}

TEST(Redaction, HistoryVisibility) {
  EXPECT_EQ(RedactedContent("m.room.history_visibility",
                            {{"history_visibility", "shared"}, {"extra", "x"}}),
            Json({{"history_visibility", "shared"}}));
}

TEST(Redaction, MissingOrOddContentBecomesEmptyObject) {
  Json no_content = {{"type", "m.room.member"}, {"sender", "@u:domain"}};
  EXPECT_EQ(
      *RedactEvent(no_content),
      Json({{"type", "m.room.member"}, {"sender", "@u:domain"}, {"content", Json::object()}}));
  Json array_content = {{"type", "m.room.member"}, {"content", Json::array({1})}};
  EXPECT_EQ((*RedactEvent(array_content))["content"], Json::object());
  EXPECT_EQ(RedactEvent(Json::array()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Redaction, IsIdempotent) {
  auto once = RedactEvent(Event("m.room.member", {{"membership", "leave"}, {"reason", "bye"}}));
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(*RedactEvent(*once), *once);
}

}  // namespace
}  // namespace messenger::matrix
