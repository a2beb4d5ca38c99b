#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/server_keys.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

constexpr char kSpecSeed[] = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";

Ed25519Key SpecKey() { return *Ed25519Key::FromSeed(*DecodeBase64(kSpecSeed), "1"); }
Ed25519Key OtherKey(const char* version) {
  return *Ed25519Key::FromSeed(std::string(32, version[0]), version);
}

const absl::Time kValidUntil = absl::FromUnixMillis(1'800'000'000'000);

TEST(SigningKeyFileTest, ReadsSynapseFormat) {
  auto key = ParseSigningKeyFile(std::string("\ned25519 a_bcDE ") + kSpecSeed + "\n");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->key_id(), "ed25519:a_bcDE");
  EXPECT_EQ(key->public_key_base64(), SpecKey().public_key_base64());
  for (const char* bad : {"", "ed25519 a_1", "rsa a_1 AAAA", "ed25519 a-1 AAAA", "ed25519 a_1 !!!!",
                          "ed25519 a_1 AAAA"}) {
    EXPECT_FALSE(ParseSigningKeyFile(bad).ok()) << bad;
  }
}

TEST(ServerKeysTest, BuildsASelfSignedDocument) {
  auto doc = BuildServerKeys("domain", {SpecKey()},
                             {{"ed25519:0ld", OtherKey("0").public_key(), 1'700'000'000'000}},
                             kValidUntil);
  ASSERT_TRUE(doc.ok()) << doc.status();
  // The public key of the spec's test seed (test-vectors.md, section 5).
  EXPECT_EQ((*doc)["verify_keys"]["ed25519:1"]["key"],
            "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI");
  EXPECT_EQ((*doc)["valid_until_ts"], 1'800'000'000'000);
  EXPECT_EQ((*doc)["old_verify_keys"]["ed25519:0ld"]["expired_ts"], 1'700'000'000'000);
  EXPECT_TRUE((*doc)["signatures"]["domain"].contains("ed25519:1"));
  auto checked = CheckServerKeys(*doc, "domain");
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->verify_keys.at("ed25519:1"), SpecKey().public_key());
  EXPECT_EQ(checked->old_verify_keys.at("ed25519:0ld").expired_ts, 1'700'000'000'000);
  EXPECT_EQ(checked->UsableUntil(absl::FromUnixMillis(1'799'999'000'000)), kValidUntil);
  // Never more than a week ahead, whatever the server says.
  EXPECT_EQ(checked->UsableUntil(absl::FromUnixMillis(0)),
            absl::FromUnixMillis(0) + kMaxKeyValidity);
}

TEST(ServerKeysTest, EveryCurrentKeySigns) {
  auto doc = BuildServerKeys("domain", {SpecKey(), OtherKey("b")}, {}, kValidUntil);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["signatures"]["domain"].size(), 2u);
  EXPECT_TRUE(CheckServerKeys(*doc, "domain").ok());
  Json one_missing = *doc;
  one_missing["signatures"]["domain"].erase("ed25519:b");
  EXPECT_EQ(CheckServerKeys(one_missing, "domain").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(ServerKeysTest, RefusesTamperedOrMalformedDocuments) {
  const Json doc = *BuildServerKeys("domain", {SpecKey()}, {}, kValidUntil);
  EXPECT_FALSE(CheckServerKeys(doc, "other.domain").ok());  // claims another server
  auto mutated = [&](auto change) {
    Json copy = doc;
    change(copy);
    return CheckServerKeys(copy, "domain").status();
  };
  EXPECT_EQ(mutated([](Json& d) { d["valid_until_ts"] = 1'900'000'000'000; }).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(mutated([](Json& d) {
              d["verify_keys"]["ed25519:1"]["key"] = OtherKey("x").public_key_base64();
            }).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(mutated([](Json& d) { d["signatures"] = Json::object(); }).code(),
            absl::StatusCode::kUnauthenticated);
  for (const char* field : {"server_name", "valid_until_ts", "verify_keys", "signatures"}) {
    EXPECT_EQ(mutated([&](Json& d) { d.erase(field); }).code(), absl::StatusCode::kInvalidArgument)
        << field;
  }
  EXPECT_FALSE(mutated([](Json& d) { d["verify_keys"]["ed25519:1"]["key"] = "short"; }).ok());
  EXPECT_FALSE(mutated([](Json& d) { d["valid_until_ts"] = "soon"; }).ok());
  EXPECT_FALSE(mutated([](Json& d) {
                 d["old_verify_keys"] = {{"ed25519:o", {{"key", "x"}}}};
               }).ok());
  EXPECT_FALSE(CheckServerKeys(Json::array(), "domain").ok());
}

}  // namespace
}  // namespace messenger::matrix
