#include <gtest/gtest.h>

#include "common/crypto.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/redaction.h"
#include "messaging-service/test/matrix_spec_vectors.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

Json Parse(const char* text) {
  auto parsed = ParseJson(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.value_or(Json());
}

TEST(EventSigningSpecVectors, MinimalEvent) {
  Json event = Parse(kMinimalEvent);
  ASSERT_TRUE(HashAndSignEvent(event, "domain", SpecKey()).ok());
  EXPECT_EQ(event, Parse(kMinimalEventSigned));
  EXPECT_EQ(*CanonicalJson(event), *CanonicalJson(Parse(kMinimalEventSigned)));
}

TEST(EventSigningSpecVectors, RedactableMessageEvent) {
  Json event = Parse(kMessageEvent);
  ASSERT_TRUE(HashAndSignEvent(event, "domain", SpecKey()).ok());
  EXPECT_EQ(event, Parse(kMessageEventSigned));
}

// The id HashAndSignEvent returns is the reference hash of what it signed.
TEST(EventSigningSpecVectors, SigningReturnsTheEventId) {
  for (const char* unsigned_event : {kMinimalEvent, kMessageEvent}) {
    Json event = Parse(unsigned_event);
    auto id = HashAndSignEvent(event, "domain", SpecKey());
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, *ComputeEventId(event));
  }
  Json without_unsigned = Parse(kMessageEvent);  // the no-copy path of built events
  without_unsigned.erase("unsigned");
  without_unsigned.erase("signatures");
  without_unsigned.erase("hashes");
  auto id = HashAndSignEvent(without_unsigned, "domain", SpecKey());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, *ComputeEventId(without_unsigned));
  EXPECT_EQ(without_unsigned["hashes"], Parse(kMessageEventSigned)["hashes"]);
  EXPECT_EQ(without_unsigned["signatures"], Parse(kMessageEventSigned)["signatures"]);
}

TEST(EventSigningSpecVectors, ContentHashesMatchTheVectors) {
  EXPECT_EQ(Base64Encode(*ContentHash(Parse(kMinimalEvent))),
            "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos");
  EXPECT_EQ(Base64Encode(*ContentHash(Parse(kMessageEvent))),
            "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g");
  // The hash ignores existing hashes, signatures and unsigned data.
  EXPECT_EQ(*ContentHash(Parse(kMessageEventSigned)), *ContentHash(Parse(kMessageEvent)));
}

TEST(EventSigningSpecVectors, SignedVectorsVerify) {
  const std::string public_key = SpecKey().public_key();
  for (const char* text : {kMinimalEventSigned, kMessageEventSigned}) {
    const Json event = Parse(text);
    EXPECT_TRUE(VerifyEventSignature(event, "domain", "ed25519:1", public_key).ok());
    EXPECT_TRUE(VerifyContentHash(event).ok());
  }
}

// Reference hashes of the signed vectors are not in the spec; these values
// were computed independently with python-signedjson/canonicaljson using the
// v1-v10 redaction rules (see /work/shared/matrix-spec/test-vectors.md).
TEST(ReferenceHash, OfSignedVectors) {
  EXPECT_EQ(Base64Encode(*ReferenceHash(Parse(kMinimalEventSigned))),
            "8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc");
  EXPECT_EQ(Base64Encode(*ReferenceHash(Parse(kMessageEventSigned))),
            "oFAil2fHTGY66j9PIsC3hnc+/6r2SQGxCzd1/FUgtOE");
  // Event ids use the URL-safe alphabet.
  EXPECT_EQ(*ComputeEventId(Parse(kMessageEventSigned)),
            "$oFAil2fHTGY66j9PIsC3hnc-_6r2SQGxCzd1_FUgtOE");
  EXPECT_EQ(*ComputeEventId(Parse(kMinimalEventSigned)),
            "$8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc");
}

TEST(ReferenceHash, IsSha256OfCanonicalRedactedEventWithoutSignatures) {
  const Json event = Parse(kMessageEventSigned);
  Json redacted = *RedactEvent(event);
  redacted.erase("signatures");
  EXPECT_EQ(
      *CanonicalJson(redacted),
      R"({"content":{},"event_id":"$0:domain","hashes":{"sha256":"onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"},)"
      R"("origin":"domain","origin_server_ts":1000000,"room_id":"!r:domain","sender":"@u:domain",)"
      R"("type":"m.room.message"})");
  EXPECT_EQ(*ReferenceHash(event), Sha256(*CanonicalJson(redacted)));
}

TEST(EventId, StableUnderUnsignedSignaturesAndRedaction) {
  const Json event = Parse(kMessageEventSigned);
  const std::string id = *ComputeEventId(event);
  EXPECT_TRUE(IsValidEventId(id)) << id;

  Json changed_unsigned = event;
  changed_unsigned["unsigned"] = {{"age", 42}};
  EXPECT_EQ(*ComputeEventId(changed_unsigned), id);

  Json more_signatures = event;
  more_signatures["signatures"]["other.org"] = {{"ed25519:k", "sig"}};
  EXPECT_EQ(*ComputeEventId(more_signatures), id);

  // A redacted copy has the same id: the id is over the redacted form.
  EXPECT_EQ(*ComputeEventId(*RedactEvent(event)), id);

  // Non-essential keys count through the content hash only: editing the body
  // without rehashing leaves the id alone, but rehashing changes it.
  Json edited = event;
  edited["content"]["body"] = "edited";
  EXPECT_EQ(*ComputeEventId(edited), id);
  ASSERT_TRUE(HashAndSignEvent(edited, "domain", SpecKey()).ok());
  EXPECT_NE(*ComputeEventId(edited), id);

  Json other_ts = event;
  other_ts["origin_server_ts"] = 1000001;
  EXPECT_NE(*ComputeEventId(other_ts), id);
}

TEST(EventSignature, SurvivesRedactionButNotTampering) {
  const Ed25519Key key = SpecKey();
  const Json event = Parse(kMessageEventSigned);
  const Json redacted = *RedactEvent(event);
  EXPECT_TRUE(VerifyEventSignature(redacted, "domain", "ed25519:1", key.public_key()).ok());
  // The redacted copy fails the hash check: receivers then keep it redacted.
  EXPECT_EQ(VerifyContentHash(redacted).code(), absl::StatusCode::kDataLoss);

  Json edited_body = event;
  edited_body["content"]["body"] = "forged";
  EXPECT_TRUE(VerifyEventSignature(edited_body, "domain", "ed25519:1", key.public_key()).ok());
  EXPECT_EQ(VerifyContentHash(edited_body).code(), absl::StatusCode::kDataLoss);

  Json forged_sender = event;
  forged_sender["sender"] = "@mallory:domain";
  EXPECT_EQ(VerifyEventSignature(forged_sender, "domain", "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kUnauthenticated);

  Json forged_hash = event;
  forged_hash["hashes"]["sha256"] = Base64Encode(std::string(32, 'x'));
  EXPECT_EQ(VerifyEventSignature(forged_hash, "domain", "ed25519:1", key.public_key()).code(),
            absl::StatusCode::kUnauthenticated);

  Json no_hash = event;
  no_hash.erase("hashes");
  EXPECT_EQ(VerifyContentHash(no_hash).code(), absl::StatusCode::kInvalidArgument);
}

TEST(EventSigning, RejectsNonCanonicalEvents) {
  Json event = Parse(kMinimalEvent);
  event["content"]["n"] = 0.5;
  EXPECT_EQ(HashAndSignEvent(event, "domain", SpecKey()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeEventId(Json::array()).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace messenger::matrix
