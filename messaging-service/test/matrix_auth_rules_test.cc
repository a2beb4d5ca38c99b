#include <gtest/gtest.h>

#include <functional>

#include "common/crypto.h"
#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/signing.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;
using absl::StatusCode;

constexpr char kRoom[] = "!room:example.org";
constexpr char kAlice[] = "@alice:example.org";  // creator, level 100
constexpr char kBob[] = "@bob:example.org";      // moderator, level 50
constexpr char kCarol[] = "@carol:example.org";  // member, level 0
constexpr char kDave[] = "@dave:example.org";    // not in the room
constexpr char kEve[] = "@eve:other.org";        // another server

// State: alice created the room; alice, bob and carol are joined; default
// power levels with bob at 50; join rule "invite".
class AuthRulesTest : public ::testing::Test {
 protected:
  AuthRulesTest() : key_(*Ed25519Key::FromSeed(std::string(32, '\x05'), "1")) {
    create_.emplace(Make(kAlice, kCreateType, "", {{"creator", kAlice}, {"room_version", "10"}}));
    Set(*create_);
    SetMember(kAlice, "join");
    SetMember(kBob, "join");
    SetMember(kCarol, "join");
    Json levels = DefaultPowerLevelsContent(kAlice);
    levels["users"][kBob] = 50;
    SetPowerLevels(levels);
    SetJoinRule("invite");
  }

  Event Make(const std::string& sender, const std::string& type,
             std::optional<std::string> state_key, Json content,
             std::vector<std::string> prev_events = {std::string("$") + std::string(43, 'P')},
             const std::string& room = kRoom) {
    PduFields fields;
    fields.room_id = room;
    fields.sender = sender;
    fields.type = type;
    fields.state_key = std::move(state_key);
    fields.content = std::move(content);
    fields.prev_events = std::move(prev_events);
    fields.depth = ++depth_;
    fields.origin_server_ts = 1000 + depth_;
    auto event = BuildPdu(fields, sender.substr(sender.find(':') + 1), key_);
    EXPECT_TRUE(event.ok()) << event.status();
    return *event;
  }
  Event Member(const std::string& sender, const std::string& target, const std::string& membership,
               Json extra = Json::object()) {
    extra["membership"] = membership;
    return Make(sender, kMemberType, target, extra);
  }
  Event Message(const std::string& sender) {
    return Make(sender, kMessageType, std::nullopt, {{"msgtype", "m.text"}, {"body", "hi"}});
  }
  Event PowerLevelsBy(const std::string& sender, const Json& content) {
    return Make(sender, kPowerLevelsType, "", content);
  }

  void Set(const Event& event) { ASSERT_TRUE(state_.Put(event).ok()); }
  void SetMember(const std::string& user, const std::string& membership) {
    Set(Member(user, user, membership));
  }
  void SetPowerLevels(const Json& content) { Set(PowerLevelsBy(kAlice, content)); }
  void SetJoinRule(const std::string& rule) {
    Set(Make(kAlice, kJoinRulesType, "", {{"join_rule", rule}}));
  }
  Json Levels() const { return state_.power_levels()->content(); }

  StatusCode Check(const Event& event) const { return Authorize(event, state_).code(); }

  Ed25519Key key_;
  int64_t depth_ = 0;
  AuthState state_;
  std::optional<Event> create_;
};

// Rule 1: m.room.create.
TEST_F(AuthRulesTest, CreateMustBeFirstAndLocal) {
  const Json content = {{"creator", kAlice}, {"room_version", "10"}};
  AuthState empty;
  EXPECT_TRUE(Authorize(Make(kAlice, kCreateType, "", content, {}), empty).ok());
  EXPECT_EQ(Authorize(Make(kAlice, kCreateType, "", content), empty).code(),
            StatusCode::kPermissionDenied);  // has prev_events
  EXPECT_EQ(Authorize(Make(kEve, kCreateType, "", content, {}), empty).code(),
            StatusCode::kPermissionDenied);  // room on example.org, sender on other.org
  EXPECT_EQ(Authorize(Make(kAlice, kCreateType, "", {{"room_version", "10"}}, {}), empty).code(),
            StatusCode::kPermissionDenied);  // no creator
  EXPECT_EQ(
      Authorize(Make(kAlice, kCreateType, "", {{"creator", kAlice}, {"room_version", "11"}}, {}),
                empty)
          .code(),
      StatusCode::kPermissionDenied);  // not a version these rules implement
  EXPECT_EQ(Authorize(Make(kAlice, kCreateType, "", {{"creator", kAlice}}, {}), empty).code(),
            StatusCode::kPermissionDenied);  // absent means version 1
}

TEST_F(AuthRulesTest, EverythingElseNeedsTheCreateEventOfTheSameRoom) {
  AuthState no_create;
  EXPECT_EQ(Authorize(Message(kAlice), no_create).code(), StatusCode::kPermissionDenied);
  const Event elsewhere = Make(kAlice, kMessageType, std::nullopt, {{"body", "x"}},
                               {std::string("$") + std::string(43, 'P')}, "!other:example.org");
  EXPECT_EQ(Check(elsewhere), StatusCode::kPermissionDenied);
}

// Rule 4.3.1: the creator's own first join right after m.room.create.
TEST_F(AuthRulesTest, CreatorJoinsRightAfterCreate) {
  AuthState only_create;
  ASSERT_TRUE(only_create.Put(*create_).ok());
  const Event join =
      Make(kAlice, kMemberType, kAlice, {{"membership", "join"}}, {create_->event_id()});
  EXPECT_TRUE(Authorize(join, only_create).ok());
  // Anyone else, or a join with other prev events, falls through to the
  // join rule (none set: invite-only).
  const Event other_prev = Make(kAlice, kMemberType, kAlice, {{"membership", "join"}});
  EXPECT_EQ(Authorize(other_prev, only_create).code(), StatusCode::kPermissionDenied);
  const Event bob = Make(kBob, kMemberType, kBob, {{"membership", "join"}}, {create_->event_id()});
  EXPECT_EQ(Authorize(bob, only_create).code(), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, JoinPublicRoom) {
  SetJoinRule("public");
  EXPECT_TRUE(Authorize(Member(kDave, kDave, "join"), state_).ok());
  // Only as oneself.
  EXPECT_EQ(Check(Member(kAlice, kDave, "join")), StatusCode::kPermissionDenied);
  // Not when banned.
  SetMember(kDave, "ban");
  EXPECT_EQ(Check(Member(kDave, kDave, "join")), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, JoinInviteOnlyRoomNeedsInvite) {
  EXPECT_EQ(Check(Member(kDave, kDave, "join")), StatusCode::kPermissionDenied);
  Set(Member(kAlice, kDave, "invite"));
  EXPECT_TRUE(Authorize(Member(kDave, kDave, "join"), state_).ok());
  // Joined members may re-join (e.g. to change their display name).
  EXPECT_TRUE(Authorize(Member(kCarol, kCarol, "join", {{"displayname", "C"}}), state_).ok());
}

TEST_F(AuthRulesTest, JoinRoomWithUnknownJoinRuleIsRejected) {
  SetJoinRule("private");
  EXPECT_EQ(Check(Member(kDave, kDave, "join")), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, InviteNeedsJoinedSenderAndInviteLevel) {
  EXPECT_TRUE(Authorize(Member(kCarol, kDave, "invite"), state_).ok());  // invite level 0
  Json levels = Levels();
  levels["invite"] = 50;
  SetPowerLevels(levels);
  EXPECT_EQ(Check(Member(kCarol, kDave, "invite")), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(Member(kBob, kDave, "invite"), state_).ok());
  // A sender who is not joined cannot invite.
  SetMember(kBob, "leave");
  EXPECT_EQ(Check(Member(kBob, kDave, "invite")), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, CannotInviteJoinedOrBannedUsers) {
  EXPECT_EQ(Check(Member(kAlice, kCarol, "invite")), StatusCode::kPermissionDenied);
  SetMember(kDave, "ban");
  EXPECT_EQ(Check(Member(kAlice, kDave, "invite")), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, LeaveAndRejectInvite) {
  EXPECT_TRUE(Authorize(Member(kCarol, kCarol, "leave"), state_).ok());
  // Never joined: nothing to leave.
  EXPECT_EQ(Check(Member(kDave, kDave, "leave")), StatusCode::kPermissionDenied);
  // Rejecting an invite is leaving while invited.
  Set(Member(kAlice, kDave, "invite"));
  EXPECT_TRUE(Authorize(Member(kDave, kDave, "leave"), state_).ok());
  // A banned user cannot lift their own ban by leaving.
  SetMember(kDave, "ban");
  EXPECT_EQ(Check(Member(kDave, kDave, "leave")), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, KickNeedsKickLevelAndHigherLevelThanTarget) {
  EXPECT_TRUE(Authorize(Member(kBob, kCarol, "leave"), state_).ok());  // 50 >= kick 50 > 0
  EXPECT_EQ(Check(Member(kCarol, kBob, "leave")), StatusCode::kPermissionDenied);
  EXPECT_EQ(Check(Member(kBob, kAlice, "leave")), StatusCode::kPermissionDenied);
  Json levels = Levels();
  levels["users"][kCarol] = 50;  // equal levels cannot kick each other
  SetPowerLevels(levels);
  EXPECT_EQ(Check(Member(kBob, kCarol, "leave")), StatusCode::kPermissionDenied);
  // A sender who is not joined cannot kick.
  SetMember(kAlice, "leave");
  EXPECT_EQ(Check(Member(kAlice, kCarol, "leave")), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, BanNeedsBanLevelAndHigherLevelThanTarget) {
  EXPECT_TRUE(Authorize(Member(kBob, kCarol, "ban"), state_).ok());
  EXPECT_TRUE(Authorize(Member(kBob, kDave, "ban"), state_).ok());  // non-members too
  EXPECT_EQ(Check(Member(kCarol, kDave, "ban")), StatusCode::kPermissionDenied);
  EXPECT_EQ(Check(Member(kBob, kAlice, "ban")), StatusCode::kPermissionDenied);
  SetMember(kBob, "leave");
  EXPECT_EQ(Check(Member(kBob, kCarol, "ban")), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, UnbanNeedsBothBanAndKickLevels) {
  Json levels = Levels();
  levels["ban"] = 75;
  SetPowerLevels(levels);
  SetMember(kDave, "ban");
  // Bob (50) has the kick level but not the ban level.
  EXPECT_EQ(Check(Member(kBob, kDave, "leave")), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(Member(kAlice, kDave, "leave"), state_).ok());
}

TEST_F(AuthRulesTest, KnockOnlyWhereAllowed) {
  EXPECT_EQ(Check(Member(kDave, kDave, "knock")), StatusCode::kPermissionDenied);
  SetJoinRule("knock");
  EXPECT_TRUE(Authorize(Member(kDave, kDave, "knock"), state_).ok());
  EXPECT_EQ(Check(Member(kAlice, kDave, "knock")), StatusCode::kPermissionDenied);
  EXPECT_EQ(Check(Member(kCarol, kCarol, "knock")), StatusCode::kPermissionDenied);  // joined
  // Knocking does not let one join without an invite.
  SetMember(kDave, "knock");
  EXPECT_EQ(Check(Member(kDave, kDave, "join")), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(Member(kDave, kDave, "leave"), state_).ok());  // retract the knock
}

TEST_F(AuthRulesTest, RestrictedJoinViaAuthorisingLocalUser) {
  SetJoinRule("restricted");
  EXPECT_EQ(Check(Member(kDave, kDave, "join")), StatusCode::kPermissionDenied);
  const Json via_bob = {{"join_authorised_via_users_server", kBob}};
  EXPECT_TRUE(Authorize(Member(kDave, kDave, "join", via_bob), state_).ok());
  Json levels = Levels();
  levels["invite"] = 60;  // bob may no longer invite
  SetPowerLevels(levels);
  EXPECT_EQ(Check(Member(kDave, kDave, "join", via_bob)), StatusCode::kPermissionDenied);
  const Json via_dave = {{"join_authorised_via_users_server", kDave}};  // not joined
  EXPECT_EQ(Check(Member(kDave, kDave, "join", via_dave)), StatusCode::kPermissionDenied);
  // Another server's authorisation needs its signature: not supported.
  const Json via_eve = {{"join_authorised_via_users_server", kEve}};
  EXPECT_EQ(Check(Member(kDave, kDave, "join", via_eve)), StatusCode::kUnimplemented);
}

TEST_F(AuthRulesTest, MalformedMembershipEvents) {
  EXPECT_EQ(Check(Make(kCarol, kMemberType, kCarol, Json::object())), StatusCode::kInvalidArgument);
  EXPECT_EQ(Check(Make(kCarol, kMemberType, kCarol, {{"membership", 1}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Check(Make(kCarol, kMemberType, std::nullopt, {{"membership", "join"}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Check(Member(kCarol, kCarol, "dance")), StatusCode::kInvalidArgument);
}

TEST_F(AuthRulesTest, SendingMessagesNeedsJoinAndEventsDefault) {
  EXPECT_TRUE(Authorize(Message(kCarol), state_).ok());
  EXPECT_EQ(Check(Message(kDave)), StatusCode::kPermissionDenied);  // not joined
  Set(Member(kAlice, kDave, "invite"));
  EXPECT_EQ(Check(Message(kDave)), StatusCode::kPermissionDenied);  // invited is not joined
  Json levels = Levels();
  levels["events_default"] = 10;
  SetPowerLevels(levels);
  EXPECT_EQ(Check(Message(kCarol)), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(Message(kBob), state_).ok());
  // A per-type level overrides events_default.
  levels["events"][kMessageType] = 0;
  SetPowerLevels(levels);
  EXPECT_TRUE(Authorize(Message(kCarol), state_).ok());
}

TEST_F(AuthRulesTest, StateEventsNeedStateDefaultOrTypeLevel) {
  const Event topic = Make(kCarol, kTopicType, "", {{"topic", "t"}});
  EXPECT_EQ(Check(topic), StatusCode::kPermissionDenied);  // state_default 50
  EXPECT_TRUE(Authorize(Make(kBob, kTopicType, "", {{"topic", "t"}}), state_).ok());
  // m.room.history_visibility is at 100 in the default levels.
  EXPECT_EQ(Check(Make(kBob, kHistoryVisibilityType, "", {{"history_visibility", "joined"}})),
            StatusCode::kPermissionDenied);
  Json levels = Levels();
  levels["events"][kTopicType] = 0;
  SetPowerLevels(levels);
  EXPECT_TRUE(Authorize(Make(kCarol, kTopicType, "", {{"topic", "t"}}), state_).ok());
}

TEST_F(AuthRulesTest, StateKeysStartingWithAtBelongToThatUser) {
  Json levels = Levels();
  levels["state_default"] = 0;
  SetPowerLevels(levels);
  EXPECT_TRUE(Authorize(Make(kCarol, "org.example.status", kCarol, {{"s", "x"}}), state_).ok());
  EXPECT_EQ(Check(Make(kCarol, "org.example.status", kBob, {{"s", "x"}})),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Check(Make(kAlice, "org.example.status", kBob, {{"s", "x"}})),
            StatusCode::kPermissionDenied);  // even for the room's top level
}

TEST_F(AuthRulesTest, ThirdPartyInviteEventNeedsInviteLevel) {
  const Json content = {
      {"display_name", "d***"}, {"key_validity_url", "https://x"}, {"public_key", "abc"}};
  EXPECT_TRUE(Authorize(Make(kCarol, kThirdPartyInviteType, "token", content), state_).ok());
  Json levels = Levels();
  levels["invite"] = 10;
  SetPowerLevels(levels);
  EXPECT_EQ(Check(Make(kCarol, kThirdPartyInviteType, "token", content)),
            StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, NoPowerLevelsEventMeansCreatorAt100) {
  AuthState state;
  ASSERT_TRUE(state.Put(*create_).ok());
  ASSERT_TRUE(state.Put(Member(kAlice, kAlice, "join")).ok());
  ASSERT_TRUE(state.Put(Member(kCarol, kCarol, "join")).ok());
  EXPECT_TRUE(Authorize(Make(kAlice, kNameType, "", {{"name", "n"}}), state).ok());
  EXPECT_EQ(Authorize(Make(kCarol, kNameType, "", {{"name", "n"}}), state).code(),
            StatusCode::kPermissionDenied);  // state_default 50 > 0
  EXPECT_TRUE(Authorize(Message(kCarol), state).ok());
  // The first m.room.power_levels event is only checked for its shape.
  EXPECT_TRUE(Authorize(PowerLevelsBy(kAlice, DefaultPowerLevelsContent(kAlice)), state).ok());
}

TEST_F(AuthRulesTest, RoomsThatDoNotFederateRejectOtherServers) {
  AuthState state;
  ASSERT_TRUE(
      state
          .Put(Make(kAlice, kCreateType, "",
                    {{"creator", kAlice}, {"room_version", "10"}, {"m.federate", false}}, {}))
          .ok());
  ASSERT_TRUE(state.Put(Make(kAlice, kJoinRulesType, "", {{"join_rule", "public"}})).ok());
  EXPECT_EQ(Authorize(Member(kEve, kEve, "join"), state).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(Member(kDave, kDave, "join"), state).ok());
}

// Rules 9.5-9.9 with bob (50) as the sender; m.room.power_levels lowered to 50
// so that bob may send it at all.
class PowerLevelChangeTest : public AuthRulesTest {
 protected:
  PowerLevelChangeTest() {
    Json levels = Levels();
    levels["events"][kPowerLevelsType] = 50;
    SetPowerLevels(levels);
  }
  StatusCode Change(const std::function<void(Json&)>& edit, const char* sender = kBob) {
    Json levels = Levels();
    edit(levels);
    return Check(PowerLevelsBy(sender, levels));
  }
};

TEST_F(PowerLevelChangeTest, UnchangedContentIsAllowed) {
  EXPECT_EQ(Change([](Json&) {}), StatusCode::kOk);
  EXPECT_EQ(Change([](Json&) {}, kCarol), StatusCode::kPermissionDenied);  // below 50 to send
}

TEST_F(PowerLevelChangeTest, CannotRaiseAnyoneAboveOwnLevel) {
  EXPECT_EQ(Change([](Json& l) { l["users"][kCarol] = 50; }), StatusCode::kOk);
  EXPECT_EQ(Change([](Json& l) { l["users"][kCarol] = 51; }), StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l["users"][kBob] = 51; }), StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l["users"][kDave] = 40; }), StatusCode::kOk);
}

TEST_F(PowerLevelChangeTest, CannotChangeUsersAtOrAboveOwnLevel) {
  EXPECT_EQ(Change([](Json& l) { l["users"][kAlice] = 0; }), StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l["users"].erase(kAlice); }), StatusCode::kPermissionDenied);
  Json levels = Levels();
  levels["users"][kCarol] = 50;
  SetPowerLevels(levels);
  EXPECT_EQ(Change([](Json& l) { l["users"][kCarol] = 0; }), StatusCode::kPermissionDenied);
  // Lowering or removing oneself is fine.
  EXPECT_EQ(Change([](Json& l) { l["users"][kBob] = 10; }), StatusCode::kOk);
  EXPECT_EQ(Change([](Json& l) { l["users"].erase(kBob); }), StatusCode::kOk);
}

TEST_F(PowerLevelChangeTest, LevelKeysBoundedByOwnLevelBeforeAndAfter) {
  EXPECT_EQ(Change([](Json& l) { l["kick"] = 40; }), StatusCode::kOk);
  EXPECT_EQ(Change([](Json& l) { l["ban"] = 60; }), StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l["users_default"] = 51; }), StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l.erase("redact"); }), StatusCode::kOk);  // 50 is not above 50
  Json levels = Levels();
  levels["redact"] = 80;
  SetPowerLevels(levels);
  EXPECT_EQ(Change([](Json& l) { l["redact"] = 50; }), StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l.erase("redact"); }), StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l["redact"] = 50; }, kAlice), StatusCode::kOk);
}

TEST_F(PowerLevelChangeTest, EventAndNotificationLevels) {
  EXPECT_EQ(Change([](Json& l) { l["events"]["m.room.topic"] = 50; }), StatusCode::kOk);
  EXPECT_EQ(Change([](Json& l) { l["events"]["m.room.topic"] = 51; }),
            StatusCode::kPermissionDenied);
  // m.room.tombstone is at 100: bob may neither change nor remove it.
  EXPECT_EQ(Change([](Json& l) { l["events"]["m.room.tombstone"] = 50; }),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l["events"].erase("m.room.tombstone"); }),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Change([](Json& l) { l["notifications"]["room"] = 50; }), StatusCode::kOk);
  EXPECT_EQ(Change([](Json& l) { l["notifications"]["room"] = 90; }),
            StatusCode::kPermissionDenied);
}

TEST_F(PowerLevelChangeTest, V10RequiresIntegers) {
  EXPECT_EQ(Change([](Json& l) { l["ban"] = "50"; }, kAlice), StatusCode::kInvalidArgument);
  EXPECT_EQ(Change([](Json& l) { l["invite"] = true; }, kAlice), StatusCode::kInvalidArgument);
  EXPECT_EQ(Change([](Json& l) { l["events"]["m.room.name"] = "50"; }, kAlice),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Change([](Json& l) { l["events"] = Json::array(); }, kAlice),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Change(
                [](Json& l) {
                  l["notifications"] = {{"room", "50"}};
                },
                kAlice),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Change([](Json& l) { l["users"][kCarol] = "0"; }, kAlice),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Change([](Json& l) { l["users"]["carol"] = 0; }, kAlice),
            StatusCode::kInvalidArgument);  // not a user id
  EXPECT_EQ(Change([](Json& l) { l["users"] = 5; }, kAlice), StatusCode::kInvalidArgument);
}

TEST(PowerLevels, DefaultsAndLookups) {
  auto levels = PowerLevels::FromContent(Json::object());
  ASSERT_TRUE(levels.ok());
  EXPECT_EQ(levels->users_default(), 0);
  EXPECT_EQ(levels->events_default(), 0);
  EXPECT_EQ(levels->state_default(), 50);
  EXPECT_EQ(levels->ban(), 50);
  EXPECT_EQ(levels->kick(), 50);
  EXPECT_EQ(levels->redact(), 50);
  EXPECT_EQ(levels->invite(), 0);
  auto custom = PowerLevels::FromContent(
      {{"users", {{kBob, 70}}}, {"users_default", 5}, {"events", {{kNameType, 20}}}});
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->UserLevel(kBob), 70);
  EXPECT_EQ(custom->UserLevel(kCarol), 5);
  EXPECT_EQ(custom->EventLevel(kNameType, true), 20);
  EXPECT_EQ(custom->EventLevel(kTopicType, true), 50);
  EXPECT_EQ(custom->EventLevel(kMessageType, false), 0);
  EXPECT_EQ(PowerLevels::FromContent({{"kick", "50"}}).status().code(),
            StatusCode::kInvalidArgument);
}

// Rule 4.4.1: redeeming an m.room.third_party_invite with a signed blob from
// the identity server.
TEST_F(AuthRulesTest, ThirdPartyInviteRedemption) {
  const Ed25519Key identity = *Ed25519Key::FromSeed(std::string(32, '\x09'), "0");
  Set(Make(kAlice, kThirdPartyInviteType, "tok",
           {{"display_name", "d***"},
            {"key_validity_url", "https://id.example.org/isvalid"},
            {"public_key", identity.public_key_base64()}}));
  Json signed_blob = {{"mxid", kDave}, {"token", "tok"}};
  ASSERT_TRUE(SignJson(signed_blob, "id.example.org", identity).ok());
  const Json content = {
      {"third_party_invite", {{"display_name", "d***"}, {"signed", signed_blob}}}};

  EXPECT_TRUE(Authorize(Member(kAlice, kDave, "invite", content), state_).ok());
  // The sender must be the one who issued the m.room.third_party_invite.
  EXPECT_EQ(Check(Member(kBob, kDave, "invite", content)), StatusCode::kPermissionDenied);
  // The signed mxid must be the invitee.
  EXPECT_EQ(Check(Member(kAlice, kCarol, "invite", content)), StatusCode::kPermissionDenied);
  // A forged blob does not verify.
  Json forged = content;
  forged["third_party_invite"]["signed"]["mxid"] = kCarol;
  EXPECT_EQ(Check(Member(kAlice, kCarol, "invite", forged)), StatusCode::kPermissionDenied);
  // Unknown token.
  Json unknown = content;
  unknown["third_party_invite"]["signed"]["token"] = "other";
  EXPECT_EQ(Check(Member(kAlice, kDave, "invite", unknown)), StatusCode::kPermissionDenied);
  // Keys listed in public_keys work too.
  const Ed25519Key rotated = *Ed25519Key::FromSeed(std::string(32, '\x0a'), "1");
  Set(Make(kAlice, kThirdPartyInviteType, "tok2",
           {{"display_name", "d***"},
            {"public_key", identity.public_key_base64()},
            {"public_keys", {{{"public_key", rotated.public_key_base64()}}}}}));
  Json blob2 = {{"mxid", kDave}, {"token", "tok2"}};
  ASSERT_TRUE(SignJson(blob2, "id.example.org", rotated).ok());
  EXPECT_TRUE(
      Authorize(Member(kAlice, kDave, "invite",
                       {{"third_party_invite", {{"display_name", "d"}, {"signed", blob2}}}}),
                state_)
          .ok());
  // A banned target cannot be invited this way either.
  SetMember(kDave, "ban");
  EXPECT_EQ(Check(Member(kAlice, kDave, "invite", content)), StatusCode::kPermissionDenied);
}

TEST_F(AuthRulesTest, AuthEventSelection) {
  const std::vector<StateKey> base = {{kCreateType, ""}, {kPowerLevelsType, ""}};
  EXPECT_TRUE(AuthEventSelection(*create_).empty());

  std::vector<StateKey> message = base;
  message.push_back({kMemberType, kCarol});
  EXPECT_EQ(AuthEventSelection(Message(kCarol)), message);

  std::vector<StateKey> join = message;
  join.push_back({kJoinRulesType, ""});
  EXPECT_EQ(AuthEventSelection(Member(kCarol, kCarol, "join")), join);

  std::vector<StateKey> kick = message;
  kick.push_back({kMemberType, kDave});
  EXPECT_EQ(AuthEventSelection(Member(kCarol, kDave, "leave")), kick);
  EXPECT_EQ(AuthEventSelection(Member(kCarol, kDave, "ban")), kick);

  std::vector<StateKey> invite = kick;
  invite.push_back({kJoinRulesType, ""});
  EXPECT_EQ(AuthEventSelection(Member(kCarol, kDave, "invite")), invite);
  invite.push_back({kThirdPartyInviteType, "tok"});
  EXPECT_EQ(AuthEventSelection(Member(
                kCarol, kDave, "invite",
                {{"third_party_invite", {{"signed", {{"token", "tok"}, {"mxid", kDave}}}}}})),
            invite);

  std::vector<StateKey> restricted = base;
  restricted.push_back({kMemberType, kDave});
  restricted.push_back({kJoinRulesType, ""});
  restricted.push_back({kMemberType, kBob});
  EXPECT_EQ(AuthEventSelection(
                Member(kDave, kDave, "join", {{"join_authorised_via_users_server", kBob}})),
            restricted);
}

TEST_F(AuthRulesTest, AuthStateFromAuthEventsChecksRule2) {
  const Event message = Make(kCarol, kMessageType, std::nullopt, {{"body", "x"}});
  // BuildPdu left auth_events empty, so build one that lists the right events.
  PduFields fields;
  fields.room_id = kRoom;
  fields.sender = kCarol;
  fields.type = kMessageType;
  fields.content = {{"body", "x"}};
  fields.prev_events = {create_->event_id()};
  fields.depth = 9;
  const Event* power_levels = state_.power_levels();
  const Event* carol = state_.member(kCarol);
  fields.auth_events = {create_->event_id(), power_levels->event_id(), carol->event_id()};
  const Event listed = *BuildPdu(fields, "example.org", key_);

  auto auth_state = AuthStateFromAuthEvents(listed, {*create_, *power_levels, *carol});
  ASSERT_TRUE(auth_state.ok()) << auth_state.status();
  EXPECT_EQ(auth_state->size(), 3u);
  EXPECT_TRUE(Authorize(listed, *auth_state).ok());

  // Events other than the listed ones.
  EXPECT_EQ(AuthStateFromAuthEvents(listed, {*create_, *power_levels}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AuthStateFromAuthEvents(message, {*create_}).status().code(),
            StatusCode::kInvalidArgument);

  // An entry the selection does not name (the join rules for a message).
  const Event* join_rules = state_.join_rules();
  fields.auth_events = {create_->event_id(), join_rules->event_id(), carol->event_id()};
  const Event with_join_rules = *BuildPdu(fields, "example.org", key_);
  EXPECT_EQ(
      AuthStateFromAuthEvents(with_join_rules, {*create_, *join_rules, *carol}).status().code(),
      StatusCode::kPermissionDenied);

  // Two entries for the same (type, state_key).
  const Event carol_again = Member(kCarol, kCarol, "join", {{"displayname", "C"}});
  fields.auth_events = {create_->event_id(), carol->event_id(), carol_again.event_id()};
  const Event duplicated = *BuildPdu(fields, "example.org", key_);
  EXPECT_EQ(AuthStateFromAuthEvents(duplicated, {*create_, *carol, carol_again}).status().code(),
            StatusCode::kPermissionDenied);

  // No m.room.create.
  fields.auth_events = {power_levels->event_id(), carol->event_id()};
  const Event no_create = *BuildPdu(fields, "example.org", key_);
  EXPECT_EQ(AuthStateFromAuthEvents(no_create, {*power_levels, *carol}).status().code(),
            StatusCode::kPermissionDenied);

  // An auth event from another room.
  const Event foreign_member = Make(kCarol, kMemberType, kCarol, {{"membership", "join"}},
                                    {create_->event_id()}, "!other:example.org");
  fields.auth_events = {create_->event_id(), foreign_member.event_id()};
  const Event cross_room = *BuildPdu(fields, "example.org", key_);
  EXPECT_EQ(AuthStateFromAuthEvents(cross_room, {*create_, foreign_member}).status().code(),
            StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace messenger::matrix
