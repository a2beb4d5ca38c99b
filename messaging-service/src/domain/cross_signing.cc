#include "messaging-service/src/domain/cross_signing.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/signing.h"

namespace messenger::messaging {
namespace {

using nlohmann::json;

constexpr size_t kMaxCrossSigningKeyBytes = 4096;

absl::Status Bad(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

}  // namespace

absl::StatusOr<CrossSigningKey> ParseCrossSigningKey(const json& object, const std::string& user_id,
                                                     const std::string& usage) {
  const std::string what = absl::StrCat("the ", usage, " key");
  if (!object.is_object()) return Bad(absl::StrCat(what, " must be an object"));
  if (object.dump().size() > kMaxCrossSigningKeyBytes) {
    return Bad(absl::StrCat(what, " is over ", kMaxCrossSigningKeyBytes, " bytes"));
  }
  auto user = object.find("user_id");
  if (user == object.end() || !user->is_string() || user->get<std::string>() != user_id) {
    return Bad(absl::StrCat(what, "'s user_id must be the caller"));
  }
  auto usages = object.find("usage");
  if (usages == object.end() || *usages != json::array({std::string(usage)})) {
    return Bad(absl::StrCat(what, "'s usage must be [\"", usage, "\"]"));
  }
  auto keys = object.find("keys");
  if (keys == object.end() || !keys->is_object() || keys->size() != 1) {
    return Bad(absl::StrCat(what, " must hold exactly one key"));
  }
  const std::string& key_id = keys->begin().key();
  const json& value = keys->begin().value();
  if (!value.is_string() || key_id != absl::StrCat("ed25519:", value.get<std::string>())) {
    return Bad(absl::StrCat(what, " must be \"ed25519:<key>\": \"<key>\""));
  }
  std::string public_key = value.get<std::string>();
  std::optional<std::string> raw = matrix::DecodeBase64(public_key);
  if (!raw.has_value() || raw->size() != matrix::kEd25519PublicKeySize) {
    return Bad(absl::StrCat(what, " is not an ed25519 public key"));
  }
  auto signatures = object.find("signatures");
  if (signatures != object.end() && !signatures->is_object()) {
    return Bad(absl::StrCat(what, "'s signatures must be an object"));
  }
  return CrossSigningKey{std::move(public_key), object};
}

absl::StatusOr<SigningKeysUpload> ParseSigningKeysUpload(std::string_view body,
                                                         const std::string& user_id) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return Bad("the body must be a JSON object");
  SigningKeysUpload upload;
  auto read = [&](const char* field, const char* usage,
                  std::optional<CrossSigningKey>& out) -> absl::Status {
    auto it = parsed.find(field);
    if (it == parsed.end() || it->is_null()) return absl::OkStatus();
    ASSIGN_OR_RETURN(out, ParseCrossSigningKey(*it, user_id, usage));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(read("master_key", kMasterUsage, upload.master));
  RETURN_IF_ERROR(read("self_signing_key", kSelfSigningUsage, upload.self_signing));
  RETURN_IF_ERROR(read("user_signing_key", kUserSigningUsage, upload.user_signing));
  if (!upload.master && !upload.self_signing && !upload.user_signing) {
    return Bad("no master_key, self_signing_key or user_signing_key");
  }
  return upload;
}

absl::Status CheckSignedBy(const json& object, const std::string& signer,
                           const std::string& key_name, const std::string& public_key) {
  std::optional<std::string> raw = matrix::DecodeBase64(public_key);
  if (!raw.has_value()) return absl::UnauthenticatedError("the signing key is not base64");
  const std::string key_id = absl::StrCat("ed25519:", key_name);
  absl::Status verified = matrix::VerifyJsonSignature(object, signer, key_id, *raw);
  if (verified.ok()) return verified;
  return absl::UnauthenticatedError(
      absl::StrCat("no valid signature by ", signer, " ", key_id, ": ", verified.message()));
}

json SignedPart(const json& object) {
  json out = object;
  if (out.is_object()) {
    out.erase("signatures");
    out.erase("unsigned");
  }
  return out;
}

std::optional<std::string> DeviceEd25519Key(const json& device_keys,
                                            const std::string& device_id) {
  if (!device_keys.is_object()) return std::nullopt;
  auto keys = device_keys.find("keys");
  if (keys == device_keys.end() || !keys->is_object()) return std::nullopt;
  auto key = keys->find(absl::StrCat("ed25519:", device_id));
  if (key == keys->end() || !key->is_string()) return std::nullopt;
  return key->get<std::string>();
}

}  // namespace messenger::messaging
