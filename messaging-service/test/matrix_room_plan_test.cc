#include "messaging-service/src/domain/matrix_room_plan.h"

#include <gtest/gtest.h>

namespace messenger::messaging {
namespace {

const matrix::EventDraft* Find(const std::vector<matrix::EventDraft>& drafts,
                               const std::string& type, const std::string& key = "") {
  for (const auto& d : drafts) {
    if (d.type == type && d.state_key == key) return &d;
  }
  return nullptr;
}

MatrixRoomRequest Base() {
  MatrixRoomRequest r;
  r.creator = "@alice:hs";
  r.invite = {"@bob:hs"};
  return r;
}

TEST(MatrixRoomPlan, PrivateByDefaultInSpecOrder) {
  MatrixRoomRequest r = Base();
  r.name = "room";
  r.topic = "about";
  auto drafts = PlanMatrixRoom(r);
  ASSERT_TRUE(drafts.ok()) << drafts.status();
  std::vector<std::string> types;
  for (const auto& d : *drafts) types.push_back(d.type);
  EXPECT_EQ(types, (std::vector<std::string>{"m.room.create", "m.room.member",
                                             "m.room.power_levels", "m.room.join_rules",
                                             "m.room.history_visibility", "m.room.guest_access",
                                             "m.room.name", "m.room.topic", "m.room.member"}));
  EXPECT_EQ(Find(*drafts, "m.room.join_rules")->content["join_rule"], "invite");
  EXPECT_EQ(Find(*drafts, "m.room.member", "@bob:hs")->content["membership"], "invite");
  EXPECT_FALSE(Find(*drafts, "m.room.member", "@bob:hs")->content.contains("is_direct"));
  EXPECT_FALSE(Find(*drafts, "m.room.power_levels")->content["users"].contains("@bob:hs"));
  EXPECT_TRUE(NeedsFriendship(r));
}

TEST(MatrixRoomPlan, PresetsAndDirect) {
  MatrixRoomRequest r = Base();
  r.preset = kPresetTrustedPrivate;
  auto trusted = PlanMatrixRoom(r);
  ASSERT_TRUE(trusted.ok());
  EXPECT_EQ(Find(*trusted, "m.room.power_levels")->content["users"]["@bob:hs"], 100);

  r.preset = kPresetPublic;
  auto pub = PlanMatrixRoom(r);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(Find(*pub, "m.room.join_rules")->content["join_rule"], "public");
  EXPECT_EQ(Find(*pub, "m.room.guest_access")->content["guest_access"], "forbidden");
  EXPECT_FALSE(NeedsFriendship(r));

  r.is_direct = true;
  auto direct = PlanMatrixRoom(r);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(Find(*direct, "m.room.member", "@bob:hs")->content["is_direct"], true);
  EXPECT_TRUE(NeedsFriendship(r));

  r.preset = "secret_chat";
  EXPECT_EQ(PlanMatrixRoom(r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MatrixRoomPlan, InitialStateReplacesPresetStateAndOverrideMerges) {
  MatrixRoomRequest r = Base();
  r.initial_state = nlohmann::json::parse(
      R"([{"type":"m.room.history_visibility","content":{"history_visibility":"joined"}},
          {"type":"m.room.encryption","state_key":"","content":{"algorithm":"m.megolm.v1.aes-sha2"}}])");
  r.power_level_content_override = {{"events_default", 10}};
  auto drafts = PlanMatrixRoom(r);
  ASSERT_TRUE(drafts.ok()) << drafts.status();
  int visibility = 0;
  for (const auto& d : *drafts) visibility += d.type == "m.room.history_visibility";
  EXPECT_EQ(visibility, 1);
  EXPECT_EQ(Find(*drafts, "m.room.history_visibility")->content["history_visibility"], "joined");
  EXPECT_NE(Find(*drafts, "m.room.encryption"), nullptr);
  EXPECT_EQ(Find(*drafts, "m.room.power_levels")->content["events_default"], 10);
  EXPECT_EQ(Find(*drafts, "m.room.power_levels")->content["users"]["@alice:hs"], 100);
}

TEST(MatrixRoomPlan, RefusesBadInput) {
  auto code = [](MatrixRoomRequest r) { return PlanMatrixRoom(r).status().code(); };
  MatrixRoomRequest r = Base();
  r.room_version = "9";
  EXPECT_EQ(code(r), absl::StatusCode::kFailedPrecondition);
  r = Base();
  r.initial_state = nlohmann::json::object();
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r.initial_state = nlohmann::json::parse(R"([{"type":"m.room.member","content":{}}])");
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r.initial_state = nlohmann::json::parse(R"([{"type":5,"content":{}}])");
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = Base();
  r.power_level_content_override = {{"ban", "high"}};
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r.power_level_content_override = 3;
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = Base();
  r.invite = {"@bob:hs", "@bob:hs"};
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace messenger::messaging
