#include <gtest/gtest.h>

#include "common/crypto.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/signing.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

// Spec appendices, "Cryptographic Test Vectors".
constexpr char kSeedBase64[] = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
constexpr char kServerName[] = "domain";

Ed25519Key SpecKey() {
  auto seed = DecodeBase64(kSeedBase64);
  EXPECT_TRUE(seed.has_value());
  auto key = Ed25519Key::FromSeed(seed.value_or(""), "1");
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

Json Parse(const char* text) { return *ParseJson(text); }

// Spec appendices, "Unpadded Base64" examples.
TEST(UnpaddedBase64SpecVectors, Encode) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg");
  EXPECT_EQ(Base64Encode("fo"), "Zm8");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(UnpaddedBase64SpecVectors, DecodeRoundTrips) {
  for (const char* raw : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(DecodeBase64(Base64Encode(raw)), raw);
  }
}

TEST(DecodeBase64, AcceptsPaddingAndTrailingBits) {
  EXPECT_EQ(*DecodeBase64("Zm9vYg"), "foob");
  EXPECT_EQ(*DecodeBase64("Zm9vYg=="), "foob");
  EXPECT_EQ(*DecodeBase64("Zm9vYmE="), "fooba");
  EXPECT_EQ(*DecodeBase64("Zm9vYh"), "foob");        // non-zero trailing bits are ignored
  EXPECT_EQ(DecodeBase64("Zm9vYg="), std::nullopt);  // incomplete padding
  EXPECT_EQ(DecodeBase64("Zm9vY"), std::nullopt);    // impossible length
  EXPECT_EQ(DecodeBase64("Zm9v*g"), std::nullopt);
  EXPECT_EQ(DecodeBase64("-_-_"), std::nullopt);  // URL-safe chars in standard mode
  EXPECT_EQ(*DecodeBase64("-_-_", /*url_safe=*/true), "\xfb\xff\xbf");
  // The spec seed has trailing bits set, which the strict common decoder refuses.
  EXPECT_FALSE(Base64Decode(kSeedBase64).has_value());
  EXPECT_EQ(DecodeBase64(kSeedBase64)->size(), kEd25519SeedSize);
  // The URL-safe alphabet swaps + and / for - and _.
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
}

TEST(Ed25519Key, DerivesTheSpecPublicKeyAndKeyId) {
  Ed25519Key key = SpecKey();
  EXPECT_EQ(key.key_id(), "ed25519:1");
  // Derived from the spec seed (cross-checked with python-signedjson).
  EXPECT_EQ(key.public_key_base64(), "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI");
  EXPECT_EQ(key.public_key().size(), kEd25519PublicKeySize);
  // Re-encoding yields the canonical form (trailing bits cleared: 1 -> 0).
  EXPECT_EQ(Base64Encode(key.seed()), "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0");
}

TEST(Ed25519Key, RejectsBadSeedsAndVersions) {
  EXPECT_EQ(Ed25519Key::FromSeed("short", "1").status().code(), absl::StatusCode::kInvalidArgument);
  const std::string seed(32, 'x');
  EXPECT_EQ(Ed25519Key::FromSeed(seed, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Key::FromSeed(seed, "a:b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Key::FromSeed(seed, "a_B9")->key_id(), "ed25519:a_B9");
}

TEST(Ed25519Key, GeneratedKeysDiffer) {
  auto a = Ed25519Key::Generate(SecureRng::Instance(), "a");
  auto b = Ed25519Key::Generate(SecureRng::Instance(), "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->public_key(), b->public_key());
  EXPECT_TRUE(VerifyEd25519(a->public_key(), "msg", a->Sign("msg")).ok());
  EXPECT_EQ(VerifyEd25519(b->public_key(), "msg", a->Sign("msg")).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(SignJsonSpecVectors, EmptyObject) {
  Json object = Json::object();
  ASSERT_TRUE(SignJson(object, kServerName, SpecKey()).ok());
  EXPECT_EQ(object, Parse(R"({
    "signatures": {
        "domain": {
            "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
        }
    }
})"));
}

TEST(SignJsonSpecVectors, ObjectWithData) {
  Json object = Parse(R"({"one": 1, "two": "Two"})");
  ASSERT_TRUE(SignJson(object, kServerName, SpecKey()).ok());
  EXPECT_EQ(object, Parse(R"({
    "one": 1,
    "signatures": {
        "domain": {
            "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
        }
    },
    "two": "Two"
})"));
}

TEST(SignJson, IgnoresUnsignedAndKeepsOtherSignatures) {
  Json object = Parse(R"({"one": 1, "two": "Two", "unsigned": {"age_ts": 5},
                          "signatures": {"other": {"ed25519:x": "abc"}}})");
  ASSERT_TRUE(SignJson(object, kServerName, SpecKey()).ok());
  // Same signature as without `unsigned` and foreign signatures.
  EXPECT_EQ(
      object["signatures"]["domain"]["ed25519:1"],
      "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw");
  EXPECT_EQ(object["signatures"]["other"]["ed25519:x"], "abc");
  EXPECT_EQ(object["unsigned"]["age_ts"], 5);
}

TEST(SignJson, RejectsNonObjectsAndFloats) {
  Json array = Json::array();
  EXPECT_EQ(SignJson(array, kServerName, SpecKey()).code(), absl::StatusCode::kInvalidArgument);
  Json with_float = {{"a", 0.5}};
  EXPECT_EQ(SignJson(with_float, kServerName, SpecKey()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(VerifyJsonSignature, RoundTripAndTamperDetection) {
  const Ed25519Key key = SpecKey();
  Json object = Parse(R"({"one": 1, "two": "Two"})");
  ASSERT_TRUE(SignJson(object, kServerName, key).ok());
  EXPECT_TRUE(VerifyJsonSignature(object, kServerName, "ed25519:1", key.public_key()).ok());

  // Unsigned data may change in transit.
  Json with_unsigned = object;
  with_unsigned["unsigned"] = {{"age", 10}};
  EXPECT_TRUE(VerifyJsonSignature(with_unsigned, kServerName, "ed25519:1", key.public_key()).ok());

  Json tampered = object;
  tampered["two"] = "Three";
  EXPECT_EQ(VerifyJsonSignature(tampered, kServerName, "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kUnauthenticated);

  Json added = object;
  added["three"] = 3;
  EXPECT_EQ(VerifyJsonSignature(added, kServerName, "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kUnauthenticated);

  auto other = Ed25519Key::FromSeed(std::string(32, '\x01'), "1");
  EXPECT_EQ(VerifyJsonSignature(object, kServerName, "ed25519:1", other->public_key()).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(VerifyJsonSignature, MissingOrMalformedSignatures) {
  const Ed25519Key key = SpecKey();
  Json object = Parse(R"({"one": 1})");
  EXPECT_EQ(VerifyJsonSignature(object, kServerName, "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(SignJson(object, kServerName, key).ok());
  EXPECT_EQ(VerifyJsonSignature(object, "elsewhere", "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(VerifyJsonSignature(object, kServerName, "ed25519:2", key.public_key()).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(VerifyJsonSignature(object, kServerName, "curve25519:1", key.public_key()).code(),
            absl::StatusCode::kInvalidArgument);
  Json bad = object;
  bad["signatures"]["domain"]["ed25519:1"] = "!!!";
  EXPECT_EQ(VerifyJsonSignature(bad, kServerName, "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kInvalidArgument);
  bad["signatures"]["domain"]["ed25519:1"] = "AAAA";  // decodes, but not 64 bytes
  EXPECT_EQ(VerifyJsonSignature(bad, kServerName, "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kInvalidArgument);
  // A padded signature is accepted too ("SHOULD accept input with or without padding").
  Json padded = object;
  padded["signatures"]["domain"]["ed25519:1"] =
      object["signatures"]["domain"]["ed25519:1"].get<std::string>() + "==";
  EXPECT_TRUE(VerifyJsonSignature(padded, kServerName, "ed25519:1", key.public_key()).ok());
}

}  // namespace
}  // namespace messenger::matrix
