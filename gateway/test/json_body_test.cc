#include "gateway/src/json_body.h"

#include <gtest/gtest.h>

namespace messenger::gateway {
namespace {

TEST(JsonBody, ReadsFields) {
  auto body = JsonBody::Parse(R"({"a": "x", "n": 5, "list": ["p", "q"], "nil": null})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body->RequiredString("a"), "x");
  EXPECT_EQ(*body->RequiredInt("n"), 5);
  EXPECT_EQ(body->RequiredStringArray("list", 10)->size(), 2u);
  EXPECT_FALSE(body->OptionalString("nil")->has_value());
  EXPECT_FALSE(body->OptionalString("absent")->has_value());
}

TEST(JsonBody, ErrorsNameTheField) {
  auto body = JsonBody::Parse(R"({"a": 1, "n": "5", "f": 1.5, "list": [1]})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->RequiredString("a").status().message(), "field 'a' must be a string");
  EXPECT_EQ(body->RequiredString("missing").status().message(), "field 'missing' is required");
  EXPECT_EQ(body->RequiredInt("n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(body->RequiredInt("f").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(body->RequiredStringArray("list", 10).ok());
  EXPECT_FALSE(body->OptionalString("a").ok());
}

TEST(JsonBody, RejectsNonObjects) {
  EXPECT_EQ(JsonBody::Parse("{").status().message(), "request body is not valid JSON");
  EXPECT_EQ(JsonBody::Parse("[1]").status().message(), "request body must be a JSON object");
  EXPECT_EQ(JsonBody::Parse("\"x\"").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(JsonBody::Parse("").ok());
  EXPECT_TRUE(JsonBody::Parse(" \n").ok());
}

TEST(JsonBody, StringsMustBeUtf8) {
  // Raw invalid bytes and escapes that decode to no valid text (a lone surrogate).
  for (const char* body : {"{\"bio\": \"a\xff\"}", "{\"bio\": \"\\ud800\"}",
                           "{\"\xc3\x28\": 1}"}) {
    const absl::Status status = JsonBody::Parse(body).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << body;
  }
  auto ok = JsonBody::Parse("{\"bio\": \"caf\u00e9 \\u00e9\"}");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok->RequiredString("bio"), "caf\u00e9 \u00e9");
}

}  // namespace
}  // namespace messenger::gateway
