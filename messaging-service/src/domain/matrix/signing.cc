#include "messaging-service/src/domain/matrix/signing.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"

namespace messenger::matrix {
namespace {

static_assert(crypto_sign_SEEDBYTES == kEd25519SeedSize);
static_assert(crypto_sign_PUBLICKEYBYTES == kEd25519PublicKeySize);
static_assert(crypto_sign_BYTES == kEd25519SignatureSize);
static_assert(crypto_sign_SECRETKEYBYTES == 64);

constexpr absl::string_view kEd25519Prefix = "ed25519:";

bool IsValidKeyVersion(absl::string_view version) {
  if (version.empty()) return false;
  for (const char c : version) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The object minus the keys the signature does not cover.
absl::StatusOr<std::string> SigningBytes(const nlohmann::json& object) {
  if (!object.is_object()) return absl::InvalidArgumentError("only JSON objects can be signed");
  nlohmann::json copy = object;
  copy.erase("signatures");
  copy.erase("unsigned");
  return CanonicalJson(copy);
}

}  // namespace

absl::StatusOr<Ed25519Key> Ed25519Key::FromSeed(absl::string_view seed, absl::string_view version) {
  if (seed.size() != kEd25519SeedSize) {
    return absl::InvalidArgumentError("ed25519 seed must be 32 bytes");
  }
  if (!IsValidKeyVersion(version)) {
    return absl::InvalidArgumentError("key version must match [a-zA-Z0-9_]+");
  }
  InitCrypto();
  Ed25519Key key;
  key.key_id_ = absl::StrCat(kEd25519Prefix, version);
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(public_key, key.secret_key_.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return key;
}

absl::StatusOr<Ed25519Key> Ed25519Key::Generate(Rng& rng, absl::string_view version) {
  std::string seed = rng.Bytes(kEd25519SeedSize);
  auto key = FromSeed(seed, version);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Ed25519Key::~Ed25519Key() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

std::string Ed25519Key::public_key() const {
  return std::string(reinterpret_cast<const char*>(secret_key_.data()) + kEd25519SeedSize,
                     kEd25519PublicKeySize);
}

std::string Ed25519Key::public_key_base64() const { return Base64Encode(public_key()); }

std::string Ed25519Key::seed() const {
  return std::string(reinterpret_cast<const char*>(secret_key_.data()), kEd25519SeedSize);
}

std::string Ed25519Key::Sign(absl::string_view message) const {
  std::string signature(kEd25519SignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return signature;
}

absl::Status VerifyEd25519(absl::string_view public_key, absl::string_view message,
                           absl::string_view signature) {
  if (public_key.size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError("ed25519 public key must be 32 bytes");
  }
  if (signature.size() != kEd25519SignatureSize) {
    return absl::InvalidArgumentError("ed25519 signature must be 64 bytes");
  }
  InitCrypto();
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(),
                                  reinterpret_cast<const unsigned char*>(public_key.data())) != 0) {
    return absl::UnauthenticatedError("ed25519 signature does not verify");
  }
  return absl::OkStatus();
}

absl::Status SignJson(nlohmann::json& object, absl::string_view signing_name,
                      const Ed25519Key& key) {
  ASSIGN_OR_RETURN(const std::string bytes, SigningBytes(object));
  if (object.contains("signatures") && !object["signatures"].is_object()) {
    return absl::InvalidArgumentError("`signatures` must be an object");
  }
  nlohmann::json& by_entity = object["signatures"][std::string(signing_name)];
  if (!by_entity.is_null() && !by_entity.is_object()) {
    return absl::InvalidArgumentError("signatures entry must be an object");
  }
  by_entity[key.key_id()] = Base64Encode(key.Sign(bytes));
  return absl::OkStatus();
}

absl::Status VerifyJsonSignature(const nlohmann::json& object, absl::string_view signing_name,
                                 absl::string_view key_id, absl::string_view public_key) {
  if (!absl::StartsWith(key_id, kEd25519Prefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported signing algorithm in key id ", key_id));
  }
  if (!object.is_object()) return absl::InvalidArgumentError("only JSON objects carry signatures");
  const auto signatures = object.find("signatures");
  if (signatures == object.end() || !signatures->is_object()) {
    return absl::NotFoundError("object has no signatures");
  }
  const auto by_entity = signatures->find(std::string(signing_name));
  if (by_entity == signatures->end() || !by_entity->is_object()) {
    return absl::NotFoundError(absl::StrCat("no signatures from ", signing_name));
  }
  const auto encoded = by_entity->find(std::string(key_id));
  if (encoded == by_entity->end()) {
    return absl::NotFoundError(absl::StrCat("no signature from ", signing_name, " by ", key_id));
  }
  if (!encoded->is_string()) return absl::InvalidArgumentError("signature must be a string");
  const std::optional<std::string> signature = DecodeBase64(encoded->get_ref<const std::string&>());
  if (!signature.has_value()) return absl::InvalidArgumentError("signature is not valid base64");
  ASSIGN_OR_RETURN(const std::string bytes, SigningBytes(object));
  return VerifyEd25519(public_key, bytes, *signature);
}

}  // namespace messenger::matrix
