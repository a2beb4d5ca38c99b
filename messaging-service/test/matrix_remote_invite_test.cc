// The pure checks of PUT /v2/invite (remote_invite.h): the body and the
// invite event, on real signed events.
#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/remote_invite.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::matrix {
namespace {

constexpr char kLocal[] = "hs.local";
constexpr char kRemote[] = "remote.test";
constexpr char kRoomId[] = "!room:remote.test";
constexpr char kPat[] = "@pat:remote.test";
constexpr char kIvy[] = "@ivy:hs.local";

Event Member(const std::string& sender, const std::string& target, const std::string& membership,
             const std::string& server = kRemote) {
  static const Ed25519Key key = *Ed25519Key::FromSeed(std::string(32, '\x02'), "r");
  PduFields fields{.room_id = kRoomId,
                   .sender = sender,
                   .type = kMemberType,
                   .state_key = target,
                   .content = {{"membership", membership}},
                   .prev_events = {"$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                   .auth_events = {"$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"},
                   .depth = 3,
                   .origin_server_ts = 1};
  absl::StatusOr<Event> event = BuildPdu(fields, server, key);
  EXPECT_TRUE(event.ok()) << event.status();
  return *event;
}

TEST(RemoteInviteTest, AcceptsAnInviteOfALocalUserByTheOriginsUser) {
  const Event invite = Member(kPat, kIvy, "invite");
  EXPECT_TRUE(CheckRemoteInvite(invite, kRemote, kLocal, kRoomId, invite.event_id()).ok());
}

TEST(RemoteInviteTest, RefusesWhatIsNotThatInvite) {
  const Event invite = Member(kPat, kIvy, "invite");
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckRemoteInvite(invite, kRemote, kLocal, kRoomId, "$another")));
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckRemoteInvite(invite, kRemote, kLocal, "!other:remote.test", invite.event_id())));
  const Event join = Member(kPat, kIvy, "join");
  EXPECT_TRUE(
      absl::IsInvalidArgument(CheckRemoteInvite(join, kRemote, kLocal, kRoomId, join.event_id())));
  const Event elsewhere = Member(kPat, "@ivy:elsewhere.test", "invite");
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckRemoteInvite(elsewhere, kRemote, kLocal, kRoomId, elsewhere.event_id())));
  // A server speaks for its own users only.
  const Event foreign = Member("@zed:elsewhere.test", kIvy, "invite", "elsewhere.test");
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckRemoteInvite(foreign, kRemote, kLocal, kRoomId, foreign.event_id())));
}

TEST(RemoteInviteTest, ParsesTheBodyAndStripsTheState) {
  const nlohmann::json event = Member(kPat, kIvy, "invite").json();
  nlohmann::json body = {
      {"event", event},
      {"room_version", "10"},
      {"invite_room_state",
       {{{"type", "m.room.name"},
         {"state_key", ""},
         {"sender", kPat},
         {"content", {{"name", "x"}}},
         {"event_id", "$dropped"}}}}};
  absl::StatusOr<InviteBody> parsed = ParseInviteBody(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->room_version, "10");
  EXPECT_EQ(parsed->event, event);
  ASSERT_EQ(parsed->invite_state.size(), 1u);
  EXPECT_FALSE(parsed->invite_state[0].contains("event_id"));

  for (const char* broken : {"event", "room_version"}) {
    nlohmann::json without = body;
    without.erase(broken);
    EXPECT_TRUE(absl::IsInvalidArgument(ParseInviteBody(without).status())) << broken;
  }
  nlohmann::json bad = body;
  bad["invite_room_state"][0]["content"] = "nope";
  EXPECT_TRUE(absl::IsInvalidArgument(ParseInviteBody(bad).status()));
  bad["invite_room_state"] = nlohmann::json::array();
  for (size_t i = 0; i <= kMaxInviteStateEvents; ++i) {
    bad["invite_room_state"].push_back(body["invite_room_state"][0]);
  }
  EXPECT_TRUE(absl::IsInvalidArgument(ParseInviteBody(bad).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseInviteBody(nlohmann::json::array()).status()));
}

}  // namespace
}  // namespace messenger::matrix
