#include "messaging-service/src/domain/matrix_sync_token.h"

#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix_filter.h"

namespace messenger::messaging {
namespace {

TEST(MatrixSyncToken, RoundTripsStreamTypingAndSections) {
  MatrixSyncToken token;
  token.stream = (int64_t{1} << 62) + 12345;
  token.typing = 7;
  token.sections = {{"to_device", 3}, {"account_data", 0}};
  absl::StatusOr<std::string> text = EncodeMatrixSyncToken(token);
  ASSERT_TRUE(text.ok());
  absl::StatusOr<MatrixSyncToken> back = DecodeMatrixSyncToken(*text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->stream, token.stream);
  EXPECT_EQ(back->typing, 7u);
  EXPECT_EQ(back->sections, token.sections);
}

TEST(MatrixSyncToken, RefusesWhatItDidNotGiveOut) {
  for (const char* bad : {"", "m", "s5", "m1", "m1.x", "m-1.2", "m1.2.a", "m1.2.A-3", "m1.2.a-",
                          "m1.2.a-1.a-2", "r5", "m1.2.a-99999999999999999999"}) {
    EXPECT_FALSE(DecodeMatrixSyncToken(bad).ok()) << bad;
  }
  MatrixSyncToken token;
  token.sections["Bad.Name"] = 1;
  EXPECT_FALSE(EncodeMatrixSyncToken(token).ok());
}

TEST(MatrixSyncToken, RoomTokens) {
  EXPECT_EQ(EncodeRoomToken(42), "r42");
  EXPECT_EQ(*DecodeRoomToken("r42"), 42);
  for (const char* bad : {"", "r", "r0", "r-1", "m1.2", "r1x"}) {
    EXPECT_FALSE(DecodeRoomToken(bad).ok()) << bad;
  }
}

TEST(MatrixFilter, HonoursTimelineLimitTypesRoomsAndLazyMembers) {
  auto filter = ParseSyncFilter(nlohmann::json::parse(R"({
    "room": {"rooms": ["!a:x"], "not_rooms": ["!b:x"],
             "timeline": {"limit": 3, "types": ["m.room.*"], "not_types": ["m.room.member"]},
             "state": {"lazy_load_members": true, "limit": 50}}})"));
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->timeline_limit, 3);
  EXPECT_TRUE(filter->lazy_load_members);
  EXPECT_TRUE(filter->WantsRoom("!a:x"));
  EXPECT_FALSE(filter->WantsRoom("!b:x"));
  EXPECT_FALSE(filter->WantsRoom("!c:x"));
  EXPECT_TRUE(filter->timeline.Matches("m.room.message"));
  EXPECT_FALSE(filter->timeline.Matches("m.room.member"));
  EXPECT_FALSE(filter->timeline.Matches("m.reaction"));
  EXPECT_EQ(*filter->timeline.LikeTypes(), std::vector<std::string>{"m.room.%"});
  EXPECT_EQ(filter->timeline.LikeNotTypes(), std::vector<std::string>{"m.room.member"});
}

TEST(MatrixFilter, WrongTypesAreRefused) {
  for (const char* bad :
       {R"([])", R"({"room": 1})", R"({"room": {"timeline": {"limit": "3"}}})",
        R"({"room": {"timeline": {"limit": 0}}})", R"({"room": {"rooms": "!a:x"}})",
        R"({"room": {"timeline": {"types": [1]}}})",
        R"({"room": {"state": {"lazy_load_members": "yes"}}})"}) {
    EXPECT_FALSE(ParseSyncFilter(nlohmann::json::parse(bad)).ok()) << bad;
  }
  // A LIKE pattern matches only what the filter means.
  EventTypes types{std::vector<std::string>{"a_b%"}, {}};
  EXPECT_EQ(*types.LikeTypes(), std::vector<std::string>{"a\\_b\\%"});
}

}  // namespace
}  // namespace messenger::messaging
