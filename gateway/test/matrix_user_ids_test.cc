#include "gateway/src/matrix/user_ids.h"

#include <gtest/gtest.h>

#include "gateway/src/matrix/matrix_errors.h"
#include "gateway/src/matrix/matrix_json.h"

namespace messenger::gateway::matrix {
namespace {

TEST(MatrixUserIds, LocalpartOfThisServer) {
  EXPECT_EQ(*LocalpartOf("@alice:example.org", "example.org"), "alice");
  EXPECT_EQ(ErrcodeOf(LocalpartOf("@alice:other.org", "example.org").status()), kNotFound);
  EXPECT_EQ(ErrcodeOf(LocalpartOf("alice", "example.org").status()), kInvalidParam);
  EXPECT_EQ(ErrcodeOf(LocalpartOf("@:example.org", "example.org").status()), kInvalidParam);
  EXPECT_EQ(ErrcodeOf(LocalpartOf(std::string(300, 'a'), "example.org").status()), kInvalidParam);
}

TEST(MatrixUserIds, LoginTakesUserIdsAndLocalparts) {
  EXPECT_EQ(*LoginUsername("Alice", "localhost"), "alice");
  EXPECT_EQ(*LoginUsername("@Alice:localhost", "localhost"), "alice");
  EXPECT_EQ(ErrcodeOf(LoginUsername("@alice:elsewhere", "localhost").status()), kForbidden);
  EXPECT_EQ(ErrcodeOf(LoginUsername("", "localhost").status()), kInvalidParam);
}

TEST(MatrixBody, NotJsonBadJsonMissingParam) {
  EXPECT_EQ(ErrcodeOf(MatrixBody::Parse("{nope").status()), kNotJson);
  EXPECT_EQ(ErrcodeOf(MatrixBody::Parse("[1]").status()), kBadJson);
  absl::StatusOr<MatrixBody> body = MatrixBody::Parse(R"({"a": 1, "b": "x", "c": true})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(ErrcodeOf(body->RequiredString("a").status()), kBadJson);
  EXPECT_EQ(ErrcodeOf(body->RequiredString("z").status()), kMissingParam);
  EXPECT_EQ(*body->RequiredString("b"), "x");
  EXPECT_EQ(*body->OptionalBool("c", false), true);
  EXPECT_EQ(ErrcodeOf(body->OptionalBool("b", false).status()), kBadJson);
  EXPECT_EQ(*MatrixBody::Parse("")->OptionalString("b"), std::nullopt);
}

}  // namespace
}  // namespace messenger::gateway::matrix
