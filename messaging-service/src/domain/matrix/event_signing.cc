#include "messaging-service/src/domain/matrix/event_signing.h"

#include "common/crypto.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/redaction.h"

namespace messenger::matrix {

absl::StatusOr<std::string> ContentHash(const nlohmann::json& event) {
  if (!event.is_object()) return absl::InvalidArgumentError("event must be a JSON object");
  nlohmann::json copy = event;
  copy.erase("unsigned");
  copy.erase("signatures");
  copy.erase("hashes");
  ASSIGN_OR_RETURN(const std::string bytes, CanonicalJson(copy));
  return Sha256(bytes);
}

absl::StatusOr<std::string> ReferenceHash(const nlohmann::json& event) {
  ASSIGN_OR_RETURN(nlohmann::json redacted, RedactEvent(event));
  redacted.erase("signatures");
  redacted.erase("unsigned");
  ASSIGN_OR_RETURN(const std::string bytes, CanonicalJson(redacted));
  return Sha256(bytes);
}

absl::StatusOr<std::string> ComputeEventId(const nlohmann::json& event) {
  ASSIGN_OR_RETURN(const std::string hash, ReferenceHash(event));
  return "$" + Base64UrlEncode(hash);
}

absl::StatusOr<std::string> HashAndSignEvent(nlohmann::json& event, absl::string_view server_name,
                                             const Ed25519Key& key) {
  if (!event.is_object()) return absl::InvalidArgumentError("event must be a JSON object");
  std::string hash;
  if (event.contains("unsigned") || event.contains("signatures") || event.contains("hashes")) {
    ASSIGN_OR_RETURN(hash, ContentHash(event));
  } else {  // a freshly built event is its own hash input: no copy
    ASSIGN_OR_RETURN(const std::string bytes, CanonicalJson(event));
    hash = Sha256(bytes);
  }
  const std::string signer(server_name);
  if (const auto signatures = event.find("signatures");
      signatures != event.end() &&
      (!signatures->is_object() ||
       (signatures->contains(signer) && !(*signatures)[signer].is_object()))) {
    return absl::InvalidArgumentError("malformed event `signatures`");
  }
  event["hashes"] = {{"sha256", Base64Encode(hash)}};
  ASSIGN_OR_RETURN(nlohmann::json redacted, RedactEvent(event));
  redacted.erase("signatures");
  redacted.erase("unsigned");
  // What the signature covers (SignJson's bytes) and what the reference hash
  // covers (ReferenceHash's bytes) are the same canonical redacted event.
  ASSIGN_OR_RETURN(const std::string bytes, CanonicalJson(redacted));
  event["signatures"][signer][key.key_id()] = Base64Encode(key.Sign(bytes));
  return "$" + Base64UrlEncode(Sha256(bytes));
}

absl::Status VerifyEventSignature(const nlohmann::json& event, absl::string_view server_name,
                                  absl::string_view key_id, absl::string_view public_key) {
  ASSIGN_OR_RETURN(const nlohmann::json redacted, RedactEvent(event));
  return VerifyJsonSignature(redacted, server_name, key_id, public_key);
}

absl::Status VerifyContentHash(const nlohmann::json& event) {
  if (!event.is_object()) return absl::InvalidArgumentError("event must be a JSON object");
  const auto hashes = event.find("hashes");
  if (hashes == event.end() || !hashes->is_object() || !hashes->contains("sha256") ||
      !(*hashes)["sha256"].is_string()) {
    return absl::InvalidArgumentError("event has no hashes.sha256");
  }
  const std::optional<std::string> expected =
      DecodeBase64((*hashes)["sha256"].get_ref<const std::string&>());
  if (!expected.has_value()) return absl::InvalidArgumentError("hashes.sha256 is not base64");
  ASSIGN_OR_RETURN(const std::string actual, ContentHash(event));
  if (*expected != actual) return absl::DataLossError("content hash does not match the event");
  return absl::OkStatus();
}

}  // namespace messenger::matrix
