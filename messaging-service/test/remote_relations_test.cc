// What another server's relation or redaction does here (remote_relations.h).
#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/relations.h"
#include "messaging-service/src/domain/remote_relations.h"

namespace messenger::messaging {
namespace {

using Json = nlohmann::json;
using Kind = RemoteRelation::Kind;

constexpr char kRoom[] = "!r:hs1.test";
// Well-formed v10 event ids.
const std::string kPrev = "$" + std::string(43, 'p');
const std::string kAuth = "$" + std::string(43, 'a');

matrix::Event Pdu(const std::string& sender, const std::string& type, Json content,
                  std::optional<std::string> redacts = std::nullopt) {
  static const matrix::Ed25519Key key = *matrix::Ed25519Key::FromSeed(std::string(32, 'k'), "k");
  const std::string server = sender.substr(sender.find(':') + 1);
  absl::StatusOr<matrix::Event> e = matrix::BuildPdu({.room_id = kRoom,
                                                      .sender = sender,
                                                      .type = type,
                                                      .content = std::move(content),
                                                      .prev_events = {kPrev},
                                                      .auth_events = {kAuth},
                                                      .depth = 5,
                                                      .origin_server_ts = 1,
                                                      .redacts = std::move(redacts)},
                                                     server, key);
  EXPECT_TRUE(e.ok()) << e.status();
  return *e;
}

// A room whose power levels give @admin:hs1.test the redact level.
matrix::StateMap State() {
  absl::StatusOr<matrix::Event> levels = matrix::BuildPdu(
      {.room_id = kRoom,
       .sender = "@admin:hs1.test",
       .type = matrix::kPowerLevelsType,
       .state_key = "",
       .content = {{"users", {{"@admin:hs1.test", 100}}}},
       .prev_events = {kPrev},
       .auth_events = {kAuth},
       .depth = 2,
       .origin_server_ts = 1},
      "hs1.test", *matrix::Ed25519Key::FromSeed(std::string(32, 'k'), "k"));
  EXPECT_TRUE(levels.ok()) << levels.status();
  matrix::StateMap state;
  EXPECT_TRUE(state.Put(*levels).ok());
  return state;
}

const RelatedTarget kBobsMessage{kRoom, "@bob:hs2.test", "m.room.message", false, false};

TEST(RemoteRelationsTest, AnEditCountsOnlyForTheSendersOwnMessage) {
  const matrix::Event edit = Pdu("@bob:hs2.test", "m.room.message", EditContent("$m", "new"));
  EXPECT_EQ(RelatedEventOf(edit), "$m");
  EXPECT_EQ(DecideRemoteRelation(edit, kBobsMessage, State()).kind, Kind::kEdit);
  const matrix::Event others = Pdu("@eve:hs2.test", "m.room.message", EditContent("$m", "new"));
  EXPECT_EQ(DecideRemoteRelation(others, kBobsMessage, State()).kind, Kind::kNone);
  RelatedTarget deleted = kBobsMessage;
  deleted.deleted = true;
  EXPECT_EQ(DecideRemoteRelation(edit, deleted, State()).kind, Kind::kNone);
  EXPECT_EQ(DecideRemoteRelation(edit, std::nullopt, State()).kind, Kind::kNone);
  RelatedTarget elsewhere = kBobsMessage;
  elsewhere.room_id = "!other:hs1.test";
  EXPECT_EQ(DecideRemoteRelation(edit, elsewhere, State()).kind, Kind::kNone);
}

TEST(RemoteRelationsTest, AReactionNeedsAMessageAndAValidKey) {
  const matrix::Event like = Pdu("@eve:hs2.test", "m.reaction", ReactionContent("$m", "ok"));
  const RemoteRelation r = DecideRemoteRelation(like, kBobsMessage, State());
  EXPECT_EQ(r.kind, Kind::kReaction);
  EXPECT_EQ(r.key, "ok");
  RelatedTarget reaction = kBobsMessage;
  reaction.is_relation = true;
  EXPECT_EQ(DecideRemoteRelation(like, reaction, State()).kind, Kind::kNone);
  const matrix::Event long_key =
      Pdu("@eve:hs2.test", "m.reaction", ReactionContent("$m", std::string(65, 'x')));
  EXPECT_EQ(DecideRemoteRelation(long_key, kBobsMessage, State()).kind, Kind::kNone);
  EXPECT_EQ(RelatedEventOf(Pdu("@eve:hs2.test", "m.room.message", {{"body", "x"}})),
            std::nullopt);
}

TEST(RemoteRelationsTest, ARedactionNeedsTheTargetsServerOrTheRedactLevel) {
  const auto redaction = [](const std::string& sender) {
    return Pdu(sender, "m.room.redaction", Json::object(), "$m");
  };
  EXPECT_EQ(RelatedEventOf(redaction("@bob:hs2.test")), "$m");
  // The sender's own server (itself, or its admin there) may.
  EXPECT_EQ(DecideRemoteRelation(redaction("@bob:hs2.test"), kBobsMessage, State()).kind,
            Kind::kRedaction);
  EXPECT_EQ(DecideRemoteRelation(redaction("@mod:hs2.test"), kBobsMessage, State()).kind,
            Kind::kRedaction);
  // Another server's user: only with the redact level.
  EXPECT_EQ(DecideRemoteRelation(redaction("@eve:hs3.test"), kBobsMessage, State()).kind,
            Kind::kNone);
  EXPECT_EQ(DecideRemoteRelation(redaction("@admin:hs1.test"), kBobsMessage, State()).kind,
            Kind::kRedaction);
}

}  // namespace
}  // namespace messenger::messaging
