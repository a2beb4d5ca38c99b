#include "messaging-service/src/domain/matrix_write_rules.h"

#include <gtest/gtest.h>

#include "messaging-service/src/domain/conversation_rules.h"

namespace messenger::messaging {
namespace {

TEST(MatrixWriteRulesTest, TxnKeysNeverMeetV1ClientMsgIds) {
  const std::string key = MatrixTxnKey("abc");
  EXPECT_EQ(key, "matrix abc");
  // The space: no /v1 client_msg_id can be a Matrix key.
  EXPECT_FALSE(ValidateClientMsgId(key).ok());
  EXPECT_TRUE(ValidateTxnId("m1.2-x").ok());
  EXPECT_FALSE(ValidateTxnId("").ok());
  EXPECT_FALSE(ValidateTxnId(std::string(256, 'a')).ok());
  EXPECT_FALSE(ValidateTxnId("a\nb").ok());
}

TEST(MatrixWriteRulesTest, RequestHashTellsRequestsApart) {
  const nlohmann::json a = {{"body", "x"}};
  EXPECT_EQ(MatrixRequestHash("!r", "m.room.message", a),
            MatrixRequestHash("!r", "m.room.message", a));
  EXPECT_NE(MatrixRequestHash("!r", "m.room.message", a),
            MatrixRequestHash("!s", "m.room.message", a));
  EXPECT_NE(MatrixRequestHash("!r", "m.room.message", a),
            MatrixRequestHash("!r", "m.room.messag", a));
  EXPECT_NE(MatrixRequestHash("!r", "m.room.message", a),
            MatrixRequestHash("!r", "m.room.message", {{"body", "y"}}));
}

TEST(MatrixWriteRulesTest, ActionsAndTheirMemberships) {
  EXPECT_EQ(MembershipOf(*ParseMemberAction("kick")), "leave");
  EXPECT_EQ(MembershipOf(*ParseMemberAction("unban")), "leave");
  EXPECT_EQ(MembershipOf(*ParseMemberAction("ban")), "ban");
  EXPECT_EQ(MembershipOf(*ParseMemberAction("invite")), "invite");
  EXPECT_TRUE(TakesTarget(MemberAction::kInvite));
  EXPECT_FALSE(TakesTarget(MemberAction::kJoin));
  EXPECT_FALSE(TakesTarget(MemberAction::kForget));
  EXPECT_FALSE(ParseMemberAction("knock").ok());
}

TEST(MatrixWriteRulesTest, InvitesNeedContactsUnlessPublic) {
  EXPECT_TRUE(CheckInvitePolicy("group", "invite", true, "@b:x").ok());
  EXPECT_TRUE(CheckInvitePolicy("group", "public", false, "@b:x").ok());
  absl::Status refused = CheckInvitePolicy("group", "invite", false, "@b:x");
  EXPECT_TRUE(absl::IsPermissionDenied(refused));
  EXPECT_NE(refused.message().find("contact"), absl::string_view::npos);
  EXPECT_TRUE(absl::IsPermissionDenied(CheckInvitePolicy("direct", "public", true, "@b:x")));
}

TEST(MatrixWriteRulesTest, FormerMembersReadUpToTheirLeave) {
  EXPECT_TRUE(MayRead("join", 5, 100));
  EXPECT_TRUE(MayRead("leave", 5, 5));
  EXPECT_FALSE(MayRead("leave", 5, 6));
  EXPECT_TRUE(MayRead("ban", 5, 3));
  EXPECT_FALSE(MayRead("invite", 5, 3));
}

TEST(MatrixWriteRulesTest, V1FieldsOfStateEvents) {
  EXPECT_EQ(UpdatedField("m.room.name"), "name");
  EXPECT_EQ(UpdatedField("m.room.power_levels"), "roles");
  EXPECT_EQ(UpdatedField("org.example"), std::nullopt);
}

}  // namespace
}  // namespace messenger::messaging
