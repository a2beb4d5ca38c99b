// The end-to-end encryption relay's request checks (pure).
#include "messaging-service/src/domain/e2ee_requests.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace messenger::messaging {
namespace {

using nlohmann::json;

const E2eeCaller kAlice{"uuid-a", "@alice:hs", "ADEV", "s1"};

json AliceKeys() {
  return {{"user_id", "@alice:hs"},
          {"device_id", "ADEV"},
          {"algorithms", {"m.olm.v1.curve25519-aes-sha2"}},
          {"keys", {{"curve25519:ADEV", "c"}, {"ed25519:ADEV", "e"}}},
          {"signatures", {{"@alice:hs", {{"ed25519:ADEV", "s"}}}}}};
}

TEST(E2eeRequestsTest, UploadKeepsKeysAsSentAndSplitsTheirIds) {
  json body = {
      {"device_keys", AliceKeys()},
      {"one_time_keys", {{"signed_curve25519:AAA", {{"key", "k"}}}, {"curve25519:B", "x"}}},
      {"fallback_keys", {{"signed_curve25519:F", {{"key", "f"}, {"fallback", true}}}}}};
  auto upload = ParseKeyUpload(body.dump(), kAlice, {});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(json::parse(*upload->device_keys), AliceKeys());
  EXPECT_EQ(upload->one_time_keys,
            (std::vector<UploadedKey>{{"curve25519", "B", "\"x\""},
                                      {"signed_curve25519", "AAA", R"({"key":"k"})"}}));
  ASSERT_EQ(upload->fallback_keys.size(), 1u);
  EXPECT_EQ(upload->fallback_keys[0].key_id, "F");
  EXPECT_TRUE(ParseKeyUpload("", kAlice, {}).ok());
}

TEST(E2eeRequestsTest, UploadRefusesOthersKeysBadShapesAndTooMany) {
  for (const char* field : {"user_id", "device_id"}) {
    json keys = AliceKeys();
    keys[field] = "@mallory:hs";
    EXPECT_EQ(ParseKeyUpload(json{{"device_keys", keys}}.dump(), kAlice, {}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << field;
  }
  for (const char* field : {"algorithms", "keys", "signatures"}) {
    json keys = AliceKeys();
    keys.erase(field);
    EXPECT_EQ(ParseKeyUpload(json{{"device_keys", keys}}.dump(), kAlice, {}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << field;
  }
  for (const char* body :
       {"[]", "{\"one_time_keys\":[]}", "{\"one_time_keys\":{\":x\":\"k\"}}",
        "{\"one_time_keys\":{\"a:\":\"k\"}}", "{\"fallback_keys\":{\"a:b\":1}}", "not json"}) {
    EXPECT_EQ(ParseKeyUpload(body, kAlice, {}).status().code(), absl::StatusCode::kInvalidArgument)
        << body;
  }
  E2eeLimits limits;
  limits.max_keys_per_upload = 1;
  json two = {{"one_time_keys", {{"a:1", "k"}}}, {"fallback_keys", {{"a:2", "k"}}}};
  EXPECT_EQ(ParseKeyUpload(two.dump(), kAlice, limits).status().code(),
            absl::StatusCode::kOutOfRange);
  json big = {{"one_time_keys", {{"a:1", std::string(kMaxKeyBytes, 'k')}}}};
  EXPECT_EQ(ParseKeyUpload(big.dump(), kAlice, {}).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(E2eeRequestsTest, QueryClaimAndSendToDeviceAreBoundedByDevicesNamed) {
  E2eeLimits limits;
  limits.max_devices_per_request = 2;
  auto query = ParseKeyQuery(R"({"device_keys":{"@a:hs":[],"@b:hs":["D"]}})", limits);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ((*query)["@b:hs"], std::vector<std::string>{"D"});
  EXPECT_EQ(ParseKeyQuery(R"({"device_keys":{"@a:hs":["D","E","F"]}})", limits).status().code(),
            absl::StatusCode::kOutOfRange);
  auto claim = ParseKeyClaim(R"({"one_time_keys":{"@a:hs":{"D":"alg"}}})", limits);
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ((*claim)[0].algorithm, "alg");
  EXPECT_EQ(ParseKeyClaim(R"({"one_time_keys":{"@a:hs":{"D":"x","E":"x","F":"x"}}})", limits)
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  auto sent = ParseSendToDevice(R"({"messages":{"@a:hs":{"*":{"n":1}}}})", limits);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ((*sent)[0].device_id, kAllDevices);
  EXPECT_EQ(ParseSendToDevice(R"({"messages":{"@a:hs":{"D":[1]}}})", limits).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(json::parse(ToDeviceEvent("m.t", "@b:hs", R"({"n":1})")),
            (json{{"type", "m.t"}, {"sender", "@b:hs"}, {"content", {{"n", 1}}}}));
}

TEST(E2eeRequestsTest, LocalpartsOfThisServerOnly) {
  EXPECT_EQ(LocalpartOf("@alice:hs", "hs"), "alice");
  EXPECT_EQ(LocalpartOf("@alice:other", "hs"), std::nullopt);
  EXPECT_EQ(LocalpartOf("alice:hs", "hs"), std::nullopt);
  EXPECT_EQ(LocalpartOf("@:hs", "hs"), std::nullopt);
  EXPECT_EQ(MatrixUserIdOf("alice", "hs"), "@alice:hs");
}

}  // namespace
}  // namespace messenger::messaging
