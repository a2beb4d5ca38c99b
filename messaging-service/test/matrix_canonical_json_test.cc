#include <gtest/gtest.h>

#include <string>

#include "messaging-service/src/domain/matrix/canonical_json.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

std::string Canonical(absl::string_view text) {
  auto parsed = ParseJson(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return "<parse error>";
  auto canonical = CanonicalJson(*parsed);
  EXPECT_TRUE(canonical.ok()) << canonical.status();
  return canonical.ok() ? *canonical : "<encode error>";
}

// Every example of the spec (appendices, "Canonical JSON", Examples).
TEST(CanonicalJsonSpecVectors, EmptyObject) { EXPECT_EQ(Canonical("{}"), "{}"); }

TEST(CanonicalJsonSpecVectors, WhitespaceRemoved) {
  EXPECT_EQ(Canonical("{\n    \"one\": 1,\n    \"two\": \"Two\"\n}"), R"({"one":1,"two":"Two"})");
}

TEST(CanonicalJsonSpecVectors, KeysSorted) {
  EXPECT_EQ(Canonical("{\n    \"b\": \"2\",\n    \"a\": \"1\"\n}"), R"({"a":"1","b":"2"})");
  EXPECT_EQ(Canonical(R"({"b":"2","a":"1"})"), R"({"a":"1","b":"2"})");
}

TEST(CanonicalJsonSpecVectors, NestedObjects) {
  const char* input = R"({
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
})";
  EXPECT_EQ(Canonical(input),
            R"({"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe",)"
            R"("three_pids":[{"address":"john.doe@example.org","medium":"email"},)"
            R"({"address":"123456789","medium":"msisdn"}]},"success":true}})");
}

TEST(CanonicalJsonSpecVectors, Unicode) {
  EXPECT_EQ(Canonical("{\n    \"a\": \"日本語\"\n}"), "{\"a\":\"日本語\"}");
  EXPECT_EQ(Canonical("{\n    \"本\": 2,\n    \"日\": 1\n}"), "{\"日\":1,\"本\":2}");
  EXPECT_EQ(Canonical("{\n    \"a\": \"\\u65E5\"\n}"), "{\"a\":\"日\"}");
}

TEST(CanonicalJsonSpecVectors, Null) {
  EXPECT_EQ(Canonical("{\n    \"a\": null\n}"), R"({"a":null})");
}

TEST(CanonicalJsonSpecVectors, NegativeZeroAndExponent) {
  EXPECT_EQ(Canonical("{\n    \"a\": -0,\n    \"b\": 1e10\n}"), R"({"a":0,"b":10000000000})");
}

TEST(CanonicalJson, SortsKeysByCodePointNotUtf16) {
  // U+E000 < U+1F600 by code point, though UTF-16 (D83D...) would order them
  // the other way round; "Z" < "a" < "é" bytewise.
  Json value = {{"\xF0\x9F\x98\x80", 1}, {"\xEE\x80\x80", 2}, {"a", 3}, {"Z", 4}, {"\xC3\xA9", 5}};
  EXPECT_EQ(*CanonicalJson(value),
            "{\"Z\":4,\"a\":3,\"\xC3\xA9\":5,\"\xEE\x80\x80\":2,\"\xF0\x9F\x98\x80\":1}");
}

TEST(CanonicalJson, EscapesOnlyWhatTheGrammarRequires) {
  const std::string controls = std::string("\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f", 9);
  Json value = {{"s", controls + "\"\\/\x7f" + "é\xE2\x80\xA8"}};
  EXPECT_EQ(*CanonicalJson(value),
            "{\"s\":\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\\\"\\\\/\x7f"
            "é\xE2\x80\xA8\"}");
}

TEST(CanonicalJson, EscapesKeysToo) {
  EXPECT_EQ(*CanonicalJson(Json{{"a\nb", true}}), "{\"a\\nb\":true}");
}

TEST(CanonicalJson, ScalarsAndArrays) {
  EXPECT_EQ(*CanonicalJson(Json::parse(R"([true,false,null,-5,"x",[],{}])")),
            R"([true,false,null,-5,"x",[],{}])");
  EXPECT_EQ(*CanonicalJson(Json("plain")), "\"plain\"");
}

TEST(CanonicalJson, IntegerRangeBoundaries) {
  EXPECT_EQ(*CanonicalJson(Json(kMaxSafeInteger)), "9007199254740991");
  EXPECT_EQ(*CanonicalJson(Json(kMinSafeInteger)), "-9007199254740991");
  EXPECT_EQ(*CanonicalJson(Json(uint64_t{9007199254740991})), "9007199254740991");
  EXPECT_EQ(CanonicalJson(Json(kMaxSafeInteger + 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalJson(Json(kMinSafeInteger - 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalJson(Json(uint64_t{1} << 63)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CanonicalJson, RejectsFloatsEvenIntegralOnes) {
  EXPECT_EQ(CanonicalJson(Json{{"a", 1.5}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalJson(Json(1.0)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CanonicalJson, RejectsInvalidUtf8) {
  EXPECT_EQ(CanonicalJson(Json("\xC3")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalJson(Json{{"\xFF", 1}}).status().code(), absl::StatusCode::kInvalidArgument);
  // A UTF-8 encoded surrogate.
  EXPECT_EQ(CanonicalJson(Json("\xED\xA0\x80")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CanonicalJson, RejectsExcessiveNesting) {
  Json deep = Json::array();
  for (int i = 0; i < kMaxJsonDepth + 5; ++i) deep = Json::array({deep});
  EXPECT_EQ(CanonicalJson(deep).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseJson, NumbersBecomeIntegersOrAreRejected) {
  EXPECT_EQ(ParseJson("12e-1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Canonical("[-0.0, 2.0, 1E3, 120e-1]"), "[0,2,1000,12]");
  EXPECT_EQ(ParseJson("1.5").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("9007199254740992").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("-9007199254740992").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("1e16").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("1e400").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("18446744073709551616").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Canonical("9007199254740991"), "9007199254740991");
}

TEST(ParseJson, RejectsMalformedAndDuplicateKeys) {
  EXPECT_EQ(ParseJson("{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("{\"a\":1} x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson(R"({"a":1,"a":2})").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson(R"({"o":{"a":1,"a":2}})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJson("\"\xFF\"").status().code(), absl::StatusCode::kInvalidArgument);
  // The same key in sibling and nested objects is fine.
  EXPECT_EQ(Canonical(R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})"),
            R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})");
}

TEST(ParseJson, EscapedInputIsDecodedThenMinimallyReEscaped) {
  EXPECT_EQ(Canonical(R"(["\u0041\/\u00e9\ud83d\ude00\u001F"])"),
            "[\"A/\xC3\xA9\xF0\x9F\x98\x80\\u001f\"]");
}

}  // namespace
}  // namespace messenger::matrix
