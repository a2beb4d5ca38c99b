// The push rule set: spec defaults, user rules between them, ordering.
#include "messaging-service/src/domain/push_rules.h"

#include <gtest/gtest.h>

namespace messenger::messaging::push {
namespace {

using nlohmann::json;

TEST(PushRulesTest, DefaultsNameTheUser) {
  json set = Ruleset("@a:hs", {});
  auto invite = FindRule(set, "override", ".m.rule.invite_for_me");
  ASSERT_TRUE(invite.has_value());
  EXPECT_EQ((*invite)["conditions"][2]["pattern"], "@a:hs");
  EXPECT_TRUE((*invite)["default"].get<bool>());
  EXPECT_TRUE(set["global"]["content"].empty());
  EXPECT_TRUE(IsDefaultRule("underride", ".m.rule.room_one_to_one"));
  EXPECT_FALSE(IsDefaultRule("content", ".m.rule.room_one_to_one"));
}

TEST(PushRulesTest, UserRulesComeAfterMasterAndBeforeOtherDefaults) {
  StoredRule mine{"override", "mine", 0, {{"conditions", json::array()}}, json::array({"notify"}),
                  true};
  StoredRule muted{"underride", ".m.rule.message", std::nullopt, nullptr, std::nullopt, false};
  json set = Ruleset("@a:hs", {mine, muted});
  EXPECT_EQ(set["global"]["override"][0]["rule_id"], ".m.rule.master");
  EXPECT_EQ(set["global"]["override"][1]["rule_id"], "mine");
  EXPECT_FALSE(set["global"]["override"][1]["default"].get<bool>());
  EXPECT_FALSE(FindRule(set, "underride", ".m.rule.message")->at("enabled").get<bool>());
}

TEST(PushRulesTest, ParseChecksKindsIdsAndActions) {
  EXPECT_TRUE(ParseUserRule("content", "x", {{"actions", {"notify"}}, {"pattern", "tea"}}).ok());
  EXPECT_FALSE(ParseUserRule("content", "x", {{"actions", {"notify"}}}).ok());
  EXPECT_FALSE(ParseUserRule("bogus", "x", {{"actions", {"notify"}}}).ok());
  EXPECT_FALSE(ParseUserRule("override", ".x", {{"actions", {"notify"}}}).ok());
  EXPECT_FALSE(ParseUserRule("override", "a/b", {{"actions", {"notify"}}}).ok());
  EXPECT_FALSE(ParseUserRule("override", "x", {{"actions", {42}}}).ok());
  EXPECT_FALSE(ParseUserRule("room", "notaroom", {{"actions", {"notify"}}}).ok());
  EXPECT_TRUE(ParseUserRule("sender", "@b:hs", {{"actions", json::array()}}).ok());
}

TEST(PushRulesTest, ReorderPlacesBeforeAndAfter) {
  const std::vector<std::string> order = {"a", "b"};
  EXPECT_EQ(*Reorder(order, "c", std::nullopt, std::nullopt),
            (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(*Reorder(order, "b", std::nullopt, std::nullopt), order);
  EXPECT_EQ(*Reorder(order, "c", "b", std::nullopt), (std::vector<std::string>{"a", "c", "b"}));
  EXPECT_EQ(*Reorder(order, "a", std::nullopt, "b"), (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(absl::IsNotFound(Reorder(order, "c", "zz", std::nullopt).status()));
}

}  // namespace
}  // namespace messenger::messaging::push
