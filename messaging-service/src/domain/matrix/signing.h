// Ed25519 keys and JSON signing (Matrix spec appendices, "Signing JSON").
#pragma once

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// A server's ed25519 signing key. The secret is wiped on destruction.
class Ed25519Key {
 public:
  // `version` forms the key id "ed25519:<version>"; it must match [a-zA-Z0-9_]+.
  static absl::StatusOr<Ed25519Key> FromSeed(absl::string_view seed, absl::string_view version);
  static absl::StatusOr<Ed25519Key> Generate(Rng& rng, absl::string_view version);

  Ed25519Key(const Ed25519Key& other) = default;
  Ed25519Key& operator=(const Ed25519Key& other) = default;
  ~Ed25519Key();

  const std::string& key_id() const { return key_id_; }  // "ed25519:<version>"
  std::string public_key() const;                        // raw 32 bytes
  std::string public_key_base64() const;                 // unpadded standard base64
  std::string seed() const;                              // raw 32 bytes, for persistence

  // Raw 64-byte detached signature of `message`.
  std::string Sign(absl::string_view message) const;

 private:
  Ed25519Key() = default;

  std::string key_id_;
  std::array<unsigned char, 64> secret_key_{};  // libsodium layout: seed || public key
};

// OK when `signature` (raw) is a valid ed25519 signature of `message` under
// `public_key` (raw); Unauthenticated when not, InvalidArgument when sizes are wrong.
absl::Status VerifyEd25519(absl::string_view public_key, absl::string_view message,
                           absl::string_view signature);

// Signs `object` in place: the signature covers the canonical JSON of the
// object without `signatures` and `unsigned`, and is added as
// signatures[signing_name][key.key_id()]. Other signatures are preserved.
absl::Status SignJson(nlohmann::json& object, absl::string_view signing_name,
                      const Ed25519Key& key);

// Checks signatures[signing_name][key_id] of `object` against `public_key`
// (raw). NotFound when there is no such signature, Unauthenticated when it
// does not verify, InvalidArgument when malformed or the algorithm is not ed25519.
absl::Status VerifyJsonSignature(const nlohmann::json& object, absl::string_view signing_name,
                                 absl::string_view key_id, absl::string_view public_key);

}  // namespace messenger::matrix
