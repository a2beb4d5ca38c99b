// Cross-signing (spec "Cross-signing"): the master, self-signing and
// user-signing keys of keys/device_signing/upload checked, and ed25519
// signatures of key objects (keys/signatures/upload) verified. Pure, no IO.
//
// Errors: INVALID_ARGUMENT for a malformed key (M_BAD_JSON), UNAUTHENTICATED
// for a signature that is missing or does not verify (M_INVALID_SIGNATURE).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

inline constexpr char kMasterUsage[] = "master";
inline constexpr char kSelfSigningUsage[] = "self_signing";
inline constexpr char kUserSigningUsage[] = "user_signing";

struct CrossSigningKey {
  std::string public_key;  // unpadded base64, also the key id's suffix
  nlohmann::json object;   // the whole CrossSigningKey as uploaded
};

// A CrossSigningKey of `user_id` with `usage`: exactly one ed25519 key
// whose id "ed25519:<key>" names its value.
absl::StatusOr<CrossSigningKey> ParseCrossSigningKey(const nlohmann::json& object,
                                                     const std::string& user_id,
                                                     const std::string& usage);

struct SigningKeysUpload {
  std::optional<CrossSigningKey> master;
  std::optional<CrossSigningKey> self_signing;
  std::optional<CrossSigningKey> user_signing;
};

// The body of keys/device_signing/upload for `user_id` (`auth` is the
// gateway's). Signatures are checked by CheckSignedBy, once the master key
// (uploaded or stored) is known.
absl::StatusOr<SigningKeysUpload> ParseSigningKeysUpload(std::string_view body,
                                                         const std::string& user_id);

// OK when `object` carries signatures[signer]["ed25519:<key_name>"] that
// verifies under `public_key` (unpadded base64) over the canonical JSON of
// the object without `signatures` and `unsigned`.
absl::Status CheckSignedBy(const nlohmann::json& object, const std::string& signer,
                           const std::string& key_name, const std::string& public_key);

// `object` without `signatures` and `unsigned`: what a signature covers, so
// two copies that differ only in signatures compare equal.
nlohmann::json SignedPart(const nlohmann::json& object);

// The ed25519 public key of device keys (keys["ed25519:<device_id>"]).
std::optional<std::string> DeviceEd25519Key(const nlohmann::json& device_keys,
                                            const std::string& device_id);

}  // namespace messenger::messaging
