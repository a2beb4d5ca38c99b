#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/request_auth.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

constexpr char kOrigin[] = "origin.hs.example.com";
constexpr char kDestination[] = "destination.hs.example.com";
constexpr char kProfileUri[] =
    "/_matrix/federation/v1/query/profile?user_id=%40alice%3Adestination.hs.example.com"
    "&field=displayname";
// Signatures computed by matrix.org's python3-signedjson (sign_json) with the
// spec's test key (appendices, "Signing JSON"), so the signed object's shape
// is checked by an independent implementation.
constexpr char kProfileSig[] =
    "PdMi2vq3dKj+Rig+IWEyhuDfuJkQmTR6Cguya3vy9oeEQS/jFo0+QgkX3g33wh0gNvTk+31P96BTkTb1WJToAw";
constexpr char kSendSig[] =
    "M/n5jMrP4fRvsTX3SyU1704SuQWwxTNr1Y2WmNWahDYtaWlA1qq9kT36qoOGK3DC6nWXY9HAnAJWn4BeZzorBg";

Ed25519Key SpecKey() {
  return *Ed25519Key::FromSeed(*DecodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"), "1");
}

Json SendContent() {
  return Json::parse(R"({"pdus":[],"edus":[{"edu_type":"m.typing","content":{
      "room_id":"!r:origin.hs.example.com","user_id":"@a:origin.hs.example.com","typing":true}}]})");
}

TEST(XMatrixTest, ParsesTheSpecExample) {
  // Server-server API, "Request Authentication", the example header.
  auto auth = ParseXMatrix(
      R"(X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF...")");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->origin, kOrigin);
  EXPECT_EQ(auth->destination, kDestination);
  EXPECT_EQ(auth->key_id, "ed25519:key1");
  EXPECT_EQ(auth->signature, "ABCDEF...");
}

TEST(XMatrixTest, ParsesTokensAnyOrderAndSpaces) {
  auto auth =
      ParseXMatrix("x-matrix  Key=ed25519:1, sig=\"a\\\"b\" ,origin=o.example , extra=\"x\"");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->origin, "o.example");
  EXPECT_FALSE(auth->destination.has_value());
  EXPECT_EQ(auth->key_id, "ed25519:1");
  EXPECT_EQ(auth->signature, "a\"b");
}

TEST(XMatrixTest, RejectsMalformedHeaders) {
  for (const char* bad :
       {"", "Bearer abc", "X-Matrix", "X-Matrix origin=\"a.b\",key=\"ed25519:1\"",
        "X-Matrix origin=\"a.b\",sig=\"x\"", "X-Matrix key=\"ed25519:1\",sig=\"x\"",
        "X-Matrix origin=\"a.b\",origin=\"c.d\",key=\"ed25519:1\",sig=\"x\"",
        "X-Matrix origin=\"bad host!\",key=\"ed25519:1\",sig=\"x\"",
        "X-Matrix origin=\"a.b\",key=\"rsa:1\",sig=\"x\"",
        "X-Matrix origin=\"a.b,key=\"ed25519:1\",sig=\"x\"",
        "X-Matrix origin=\"a.b\" key=\"ed25519:1\",sig=\"x\""}) {
    EXPECT_FALSE(ParseXMatrix(bad).ok()) << bad;
  }
}

TEST(XMatrixTest, SignsAsSignedjsonDoes) {
  const Ed25519Key key = SpecKey();
  auto header = SignRequest({"GET", kProfileUri, kOrigin, kDestination, std::nullopt}, key);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(*header, std::string("X-Matrix origin=\"origin.hs.example.com\",destination=\""
                                 "destination.hs.example.com\",key=\"ed25519:1\",sig=\"") +
                         kProfileSig + "\"");
  auto with_body = SignRequest(
      {"PUT", "/_matrix/federation/v1/send/1234", kOrigin, kDestination, SendContent()}, key);
  ASSERT_TRUE(with_body.ok());
  auto parsed = ParseXMatrix(*with_body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->signature, kSendSig);
}

TEST(XMatrixTest, VerifiesSignedjsonSignatures) {
  const std::string pub = SpecKey().public_key();
  XMatrixAuth auth{kOrigin, std::string(kDestination), "ed25519:1", kProfileSig};
  EXPECT_TRUE(VerifyRequest(auth, "GET", kProfileUri, kDestination, std::nullopt, pub).ok());
  auth.signature = kSendSig;
  EXPECT_TRUE(VerifyRequest(auth, "PUT", "/_matrix/federation/v1/send/1234", kDestination,
                            SendContent(), pub)
                  .ok());
  // Without a destination parameter (servers before v1.3) the receiver signs
  // for itself.
  auth.destination.reset();
  EXPECT_TRUE(VerifyRequest(auth, "PUT", "/_matrix/federation/v1/send/1234", kDestination,
                            SendContent(), pub)
                  .ok());
}

// Every covered field altered: refused with Unauthenticated.
TEST(XMatrixTest, EveryMutationIsRefused) {
  const Ed25519Key key = SpecKey();
  const std::string pub = key.public_key();
  const XMatrixAuth good{kOrigin, std::string(kDestination), "ed25519:1", kSendSig};
  const std::string uri = "/_matrix/federation/v1/send/1234";
  ASSERT_TRUE(VerifyRequest(good, "PUT", uri, kDestination, SendContent(), pub).ok());
  auto refused = [&](const XMatrixAuth& auth, const std::string& method, const std::string& u,
                     const std::string& us, const std::optional<Json>& content,
                     const std::string& public_key) {
    const absl::Status s = VerifyRequest(auth, method, u, us, content, public_key);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  };
  refused(good, "POST", uri, kDestination, SendContent(), pub);          // method
  refused(good, "PUT", uri + "5", kDestination, SendContent(), pub);     // uri
  refused(good, "PUT", uri + "?a=b", kDestination, SendContent(), pub);  // query
  refused(good, "PUT", uri, "other.example.com", SendContent(), pub);    // we are not it
  Json content = SendContent();
  content["edus"][0]["content"]["typing"] = false;
  refused(good, "PUT", uri, kDestination, content, pub);       // body
  refused(good, "PUT", uri, kDestination, std::nullopt, pub);  // body dropped
  XMatrixAuth other_origin = good;
  other_origin.origin = "evil.example.com";
  refused(other_origin, "PUT", uri, kDestination, SendContent(), pub);  // origin
  XMatrixAuth other_destination = good;
  other_destination.destination = "elsewhere.example.com";
  refused(other_destination, "PUT", uri, kDestination, SendContent(), pub);  // destination
  XMatrixAuth other_key = good;
  other_key.key_id = "ed25519:2";
  // The key id is not covered by the signature, but the caller looks the
  // public key up by it: another key does not verify.
  auto second = Ed25519Key::FromSeed(std::string(32, 'k'), "2");
  refused(other_key, "PUT", uri, kDestination, SendContent(), second->public_key());
  XMatrixAuth bad_sig = good;
  bad_sig.signature[5] = bad_sig.signature[5] == 'A' ? 'B' : 'A';
  refused(bad_sig, "PUT", uri, kDestination, SendContent(), pub);  // signature
  bad_sig.signature = "not base64!";
  refused(bad_sig, "PUT", uri, kDestination, SendContent(), pub);
}

}  // namespace
}  // namespace messenger::matrix
