#include "messaging-service/src/domain/matrix/server_keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/base64.h"

namespace messenger::matrix {
namespace {

absl::StatusOr<std::string> PublicKeyField(const nlohmann::json& entry, absl::string_view key_id) {
  if (!entry.is_object())
    return absl::InvalidArgumentError(absl::StrCat(key_id, ": not an object"));
  const auto key = entry.find("key");
  if (key == entry.end() || !key->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(key_id, ": `key` must be a string"));
  }
  std::optional<std::string> raw = DecodeBase64(key->get_ref<const std::string&>());
  if (!raw || raw->size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(key_id, ": not a base64 ed25519 key"));
  }
  return *raw;
}

}  // namespace

absl::StatusOr<Ed25519Key> ParseSigningKeyFile(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() != 3 || parts[0] != "ed25519") {
      return absl::InvalidArgumentError(
          "signing key file: expected \"ed25519 <version> <base64 seed>\"");
    }
    std::optional<std::string> seed = DecodeBase64(parts[2]);
    if (!seed) return absl::InvalidArgumentError("signing key file: seed is not base64");
    return Ed25519Key::FromSeed(*seed, parts[1]);
  }
  return absl::InvalidArgumentError("signing key file: no key");
}

absl::StatusOr<nlohmann::json> BuildServerKeys(absl::string_view server_name,
                                               const std::vector<Ed25519Key>& current,
                                               const std::vector<OldVerifyKey>& old,
                                               absl::Time valid_until) {
  if (current.empty()) return absl::FailedPreconditionError("no current signing key");
  nlohmann::json doc = {{"server_name", std::string(server_name)},
                        {"valid_until_ts", absl::ToUnixMillis(valid_until)},
                        {"verify_keys", nlohmann::json::object()},
                        {"old_verify_keys", nlohmann::json::object()}};
  for (const Ed25519Key& key : current) {
    doc["verify_keys"][key.key_id()] = {{"key", key.public_key_base64()}};
  }
  for (const OldVerifyKey& key : old) {
    if (doc["verify_keys"].contains(key.key_id)) continue;
    doc["old_verify_keys"][key.key_id] = {{"key", Base64Encode(key.public_key)},
                                          {"expired_ts", key.expired_ts}};
  }
  for (const Ed25519Key& key : current) RETURN_IF_ERROR(SignJson(doc, server_name, key));
  return doc;
}

absl::Time ServerKeys::UsableUntil(absl::Time fetched_at) const {
  return std::min(absl::FromUnixMillis(valid_until_ts), fetched_at + kMaxKeyValidity);
}

absl::StatusOr<ServerKeys> CheckServerKeys(const nlohmann::json& document,
                                           absl::string_view server_name) {
  if (!document.is_object()) return absl::InvalidArgumentError("key document is not an object");
  ServerKeys keys;
  const auto name = document.find("server_name");
  if (name == document.end() || !name->is_string()) {
    return absl::InvalidArgumentError("key document: `server_name` must be a string");
  }
  keys.server_name = name->get<std::string>();
  if (keys.server_name != server_name) {
    return absl::InvalidArgumentError(
        absl::StrCat("key document is for ", keys.server_name, ", not ", server_name));
  }
  const auto valid = document.find("valid_until_ts");
  if (valid == document.end() || !valid->is_number_integer()) {
    return absl::InvalidArgumentError("key document: `valid_until_ts` must be an integer");
  }
  keys.valid_until_ts = valid->get<int64_t>();
  const auto verify = document.find("verify_keys");
  if (verify == document.end() || !verify->is_object()) {
    return absl::InvalidArgumentError("key document: `verify_keys` must be an object");
  }
  if (!document.contains("signatures") || !document["signatures"].is_object()) {
    return absl::InvalidArgumentError("key document: `signatures` must be an object");
  }
  for (const auto& [key_id, entry] : verify->items()) {
    ASSIGN_OR_RETURN(keys.verify_keys[key_id], PublicKeyField(entry, key_id));
  }
  if (const auto old = document.find("old_verify_keys"); old != document.end()) {
    if (!old->is_object()) {
      return absl::InvalidArgumentError("key document: `old_verify_keys` must be an object");
    }
    for (const auto& [key_id, entry] : old->items()) {
      OldVerifyKey o{key_id, "", 0};
      ASSIGN_OR_RETURN(o.public_key, PublicKeyField(entry, key_id));
      const auto expired = entry.find("expired_ts");
      if (expired == entry.end() || !expired->is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat(key_id, ": `expired_ts` must be an integer"));
      }
      o.expired_ts = expired->get<int64_t>();
      keys.old_verify_keys[key_id] = std::move(o);
    }
  }
  // Only ed25519 keys are understood; the document must prove it holds each.
  size_t checked = 0;
  for (const auto& [key_id, public_key] : keys.verify_keys) {
    if (key_id.rfind("ed25519:", 0) != 0) continue;
    absl::Status s = VerifyJsonSignature(document, server_name, key_id, public_key);
    if (!s.ok()) {
      return absl::UnauthenticatedError(absl::StrCat("key document of ", server_name,
                                                     " not signed by ", key_id, ": ", s.message()));
    }
    ++checked;
  }
  if (checked == 0) return absl::InvalidArgumentError("key document has no ed25519 verify key");
  keys.document = document;
  return keys;
}

}  // namespace messenger::matrix
