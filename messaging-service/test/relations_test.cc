// The relation rules and the redaction of relation contents (pure).
#include "messaging-service/src/domain/relations.h"

#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/redaction.h"

namespace messenger::messaging {
namespace {

constexpr char kAlice[] = "11111111-1111-1111-1111-111111111111";
constexpr char kBob[] = "22222222-2222-2222-2222-222222222222";

TargetFacts MessageBy(const std::string& sender) {
  return TargetFacts{"!r:hs", sender, "m.room.message", 1, false, false};
}

Actor Member(const std::string& user, int64_t power = 0) { return Actor{user, true, power, 50}; }

TEST(RelationRulesTest, OnlyTheSenderEdits) {
  EXPECT_TRUE(CheckRelation(RelationAction::kEdit, MessageBy(kAlice), Member(kAlice)).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckRelation(RelationAction::kEdit, MessageBy(kAlice), Member(kBob, 100))));
}

TEST(RelationRulesTest, TheSenderOrOneWithTheRedactLevelDeletes) {
  EXPECT_TRUE(CheckRelation(RelationAction::kDelete, MessageBy(kAlice), Member(kAlice)).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckRelation(RelationAction::kDelete, MessageBy(kAlice), Member(kBob, 49))));
  EXPECT_TRUE(CheckRelation(RelationAction::kDelete, MessageBy(kAlice), Member(kBob, 50)).ok());
}

TEST(RelationRulesTest, AnyMemberReacts) {
  EXPECT_TRUE(CheckRelation(RelationAction::kReact, MessageBy(kAlice), Member(kBob)).ok());
  EXPECT_TRUE(CheckRelation(RelationAction::kUnreact, MessageBy(kAlice), Member(kBob)).ok());
}

TEST(RelationRulesTest, NonMembersAreRefusedAndUnknownMessagesAreNotFound) {
  Actor outsider{kBob, false, 100, 50};
  for (RelationAction action : {RelationAction::kEdit, RelationAction::kDelete,
                                RelationAction::kReact, RelationAction::kUnreact}) {
    EXPECT_TRUE(absl::IsPermissionDenied(CheckRelation(action, MessageBy(kBob), outsider)));
    EXPECT_TRUE(absl::IsNotFound(CheckRelation(action, std::nullopt, Member(kBob))));
  }
  TargetFacts edit = MessageBy(kAlice);
  edit.is_relation = true;  // an edit is not a message of its own
  EXPECT_TRUE(absl::IsNotFound(CheckRelation(RelationAction::kDelete, edit, Member(kAlice))));
  TargetFacts state = MessageBy(kAlice);
  state.type = "m.room.member";
  EXPECT_TRUE(absl::IsNotFound(CheckRelation(RelationAction::kReact, state, Member(kAlice))));
}

TEST(RelationRulesTest, ADeletedMessageIsAConflictForEveryAction) {
  TargetFacts deleted = MessageBy(kAlice);
  deleted.deleted = true;
  for (RelationAction action : {RelationAction::kEdit, RelationAction::kDelete,
                                RelationAction::kReact, RelationAction::kUnreact}) {
    EXPECT_TRUE(absl::IsAlreadyExists(CheckRelation(action, deleted, Member(kAlice))));
  }
}

TEST(RelationRulesTest, AReplyTargetsAMessageOfTheSameConversation) {
  EXPECT_TRUE(CheckReplyTarget(MessageBy(kAlice), "!r:hs").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckReplyTarget(MessageBy(kAlice), "!other:hs")));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckReplyTarget(std::nullopt, "!r:hs")));
}

TEST(RelationRulesTest, ReactionKeys) {
  EXPECT_TRUE(ValidateReactionKey("\xF0\x9F\x91\x8D").ok());
  EXPECT_TRUE(ValidateReactionKey(std::string(64, 'k')).ok());
  EXPECT_FALSE(ValidateReactionKey("").ok());
  EXPECT_FALSE(ValidateReactionKey(std::string(65, 'k')).ok());
  EXPECT_FALSE(ValidateReactionKey("a\nb").ok());
  EXPECT_FALSE(ValidateReactionKey("\xff").ok());
}

TEST(RelationContentTest, EditsRepliesAndReactionsAsTheSpecShapesThem) {
  const nlohmann::json edit = EditContent("$m", "new");
  EXPECT_TRUE(IsEdit(edit));
  EXPECT_EQ(edit["m.new_content"]["body"], "new");
  EXPECT_EQ(edit["m.relates_to"], (nlohmann::json{{"rel_type", "m.replace"}, {"event_id", "$m"}}));
  EXPECT_EQ(EditedTextOf(nlohmann::json{{"content", edit}}.dump()), "new");
  nlohmann::json reply = {{"msgtype", "m.text"}, {"body", "re"}};
  AddReplyTo(reply, "$m");
  EXPECT_FALSE(IsEdit(reply));
  EXPECT_EQ(ReplyToOf(nlohmann::json{{"content", reply}}.dump()), "$m");
  EXPECT_EQ(ReactionContent("$m", "ok")["m.relates_to"],
            (nlohmann::json{{"rel_type", "m.annotation"}, {"event_id", "$m"}, {"key", "ok"}}));
  EXPECT_EQ(ReplyToOf("not json"), "");
}

// What a delete stores in place of a message and its edits: the event keeps
// its ids, hashes and signatures; every word of text is gone.
TEST(RelationContentTest, RedactionRemovesEveryTextOfAMessageAndItsEdits) {
  for (const nlohmann::json& content :
       {nlohmann::json{{"msgtype", "m.text"}, {"body", "secret"}}, EditContent("$m", "secret"),
        ReactionContent("$m", "secret")}) {
    const nlohmann::json pdu = {{"event_id", "$e"},
                                {"type", "m.room.message"},
                                {"room_id", "!r:hs"},
                                {"sender", "@a:hs"},
                                {"content", content},
                                {"hashes", {{"sha256", "h"}}},
                                {"signatures", {{"hs", {{"ed25519:k", "s"}}}}},
                                {"unsigned", {{"age", 1}}}};
    absl::StatusOr<nlohmann::json> redacted = matrix::RedactEvent(pdu);
    ASSERT_TRUE(redacted.ok());
    EXPECT_EQ((*redacted)["content"], nlohmann::json::object());
    EXPECT_EQ(redacted->dump().find("secret"), std::string::npos);
    EXPECT_EQ((*redacted)["hashes"], pdu["hashes"]);
    EXPECT_EQ((*redacted)["signatures"], pdu["signatures"]);
    EXPECT_EQ(EditedTextOf(redacted->dump()), "");
    EXPECT_EQ(ReplyToOf(redacted->dump()), "");
  }
}

}  // namespace
}  // namespace messenger::messaging
