#include "gateway/src/params.h"

#include <gtest/gtest.h>

namespace messenger::gateway {
namespace {

constexpr char kUuid[] = "0190c0de-0000-7000-8000-000000000001";

bool NamesParameter(const absl::Status& status, const std::string& name) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.message().find("'" + name + "'") != std::string::npos;
}

TEST(Params, RoutePatternsDeclareShapes) {
  auto parsed = ParseRoutePattern("/v1/contacts/requests/{user_id:uuid}/accept");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->pattern, "/v1/contacts/requests/{user_id}/accept");
  EXPECT_EQ(parsed->shapes.at("user_id"), ParamShape::kUuid);
  auto room = ParseRoutePattern("/v1/conversations/{id:room}/seen");
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(room->shapes.at("id"), ParamShape::kRoomId);
  auto plain = ParseRoutePattern("/v1/things/{name}");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->shapes.at("name"), ParamShape::kText);
  EXPECT_FALSE(ParseRoutePattern("/v1/things/{name:bogus}").ok());
  EXPECT_FALSE(ParseRoutePattern("/v1/things/{name").ok());
}

TEST(Params, PathParametersAreDecodedAndChecked) {
  EXPECT_EQ(*PathParam("user_id", ParamShape::kUuid, kUuid), kUuid);
  EXPECT_TRUE(NamesParameter(PathParam("user_id", ParamShape::kUuid, "%FF").status(), "user_id"));
  EXPECT_TRUE(NamesParameter(PathParam("user_id", ParamShape::kUuid, "not-a-uuid").status(), "user_id"));
  EXPECT_TRUE(NamesParameter(PathParam("user_id", ParamShape::kUuid, "").status(), "user_id"));
  EXPECT_EQ(*PathParam("id", ParamShape::kRoomId, "%21abc%3Alocalhost"), "!abc:localhost");
  for (const char* bad : {"abc", "!abc", "!:x", "!abc:", "%21a%3Ab%FF", "%21a%00%3Ab"}) {
    EXPECT_TRUE(NamesParameter(PathParam("id", ParamShape::kRoomId, bad).status(), "id")) << bad;
  }
  EXPECT_TRUE(NamesParameter(
      PathParam("id", ParamShape::kRoomId, "!" + std::string(300, 'a') + ":x").status(), "id"));
  EXPECT_TRUE(NamesParameter(PathParam("name", ParamShape::kText, "a%0Ab").status(), "name"));
}

TEST(Params, MessageIdsAreMatrixEventIds) {
  auto parsed = ParseRoutePattern("/v1/messages/{message_id:message}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->shapes.at("message_id"), ParamShape::kEventId);
  const std::string v10 = "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg";
  EXPECT_EQ(*PathParam("message_id", ParamShape::kEventId, v10), v10);
  EXPECT_EQ(*PathParam("message_id", ParamShape::kEventId, "%24abc%3Ahs"), "$abc:hs");
  for (const char* bad : {"", "$", "abc", "!abc:x", "$a b", "$a%00", "$a%FF", "$a/%3F"}) {
    EXPECT_TRUE(
        NamesParameter(PathParam("message_id", ParamShape::kEventId, bad).status(), "message_id"))
        << bad;
  }
  EXPECT_FALSE(IsEventId("$" + std::string(255, 'a')));
}

TEST(Params, QueryMustBeUtf8) {
  EXPECT_TRUE(NamesParameter(QueryParams::Parse("since=%FF").status(), "since"));
  EXPECT_EQ(QueryParams::Parse("%FF=1").status().code(), absl::StatusCode::kInvalidArgument);
  auto query = QueryParams::Parse("q=al+ice&limit=5&q=second&flag");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(*query->Get("q"), "al ice");
  EXPECT_EQ(*query->Get("flag"), "");
  EXPECT_FALSE(query->Get("missing").has_value());
}

TEST(Params, IntegersWithinRange) {
  auto query = QueryParams::Parse(
      "a=5&b=-1&c=99999999999999999999999&d=x&e=&f=+5&g=%205&h=1e3&i=101");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(*query->Int("a", 1, 100, 50), 5);
  EXPECT_EQ(*query->Int("e", 1, 100, 50), 50);
  EXPECT_EQ(*query->Int("absent", 1, 100, 50), 50);
  for (const char* name : {"b", "c", "d", "f", "g", "h", "i"}) {
    absl::Status status = query->Int(name, 1, 100, 50).status();
    EXPECT_TRUE(NamesParameter(status, name)) << name << ": " << status;
    EXPECT_NE(status.message().find("from 1 to 100"), std::string::npos);
  }
}

TEST(Params, SyncTokensAndText) {
  auto query = QueryParams::Parse(
      "ok=s42&empty=&letters=sx&nos=42&huge=s99999999999999999999&neg=s-1&bare=s&q=bo&ctl=a%01");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(*query->SyncToken("ok"), "s42");
  EXPECT_EQ(*query->SyncToken("empty"), "");
  EXPECT_EQ(*query->SyncToken("absent"), "");
  for (const char* name : {"letters", "nos", "huge", "neg", "bare"}) {
    EXPECT_TRUE(NamesParameter(query->SyncToken(name).status(), name)) << name;
  }
  EXPECT_EQ(*query->Text("q", 10), "bo");
  EXPECT_EQ(*query->Text("absent", 10), "");
  EXPECT_TRUE(NamesParameter(query->Text("q", 1).status(), "q"));
  EXPECT_TRUE(NamesParameter(query->Text("ctl", 10).status(), "ctl"));
}

}  // namespace
}  // namespace messenger::gateway
