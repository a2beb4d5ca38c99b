// Server key documents (server-server API, "Retrieving server keys"): our
// own `/_matrix/key/v2/server` answer, and the checks on another server's.
// Pure: time and keys come from the caller.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// Keys used beyond this are treated as expired even when a server says
// otherwise (the spec's cap on valid_until_ts).
inline constexpr absl::Duration kMaxKeyValidity = absl::Hours(24 * 7);

// A key this server signed with before a rotation.
struct OldVerifyKey {
  std::string key_id;
  std::string public_key;  // raw 32 bytes
  int64_t expired_ts = 0;  // ms since the epoch
};

// Reads a Synapse signing key file: lines "ed25519 <version> <base64 seed>";
// the first key is the one that signs. InvalidArgument on anything else.
absl::StatusOr<Ed25519Key> ParseSigningKeyFile(absl::string_view text);

// Our key document, signed by every key in `current`.
absl::StatusOr<nlohmann::json> BuildServerKeys(absl::string_view server_name,
                                               const std::vector<Ed25519Key>& current,
                                               const std::vector<OldVerifyKey>& old,
                                               absl::Time valid_until);

// A checked key document of some server.
struct ServerKeys {
  std::string server_name;
  int64_t valid_until_ts = 0;
  std::map<std::string, std::string> verify_keys;  // key id -> raw public key
  std::map<std::string, OldVerifyKey> old_verify_keys;
  nlohmann::json document;  // as received, with its signatures

  // Until when these keys may be used: valid_until_ts, at most 7 days after
  // `fetched_at`.
  absl::Time UsableUntil(absl::Time fetched_at) const;
};

// Checks a key document claimed by `server_name`: the schema of the spec,
// the server name, and a valid self-signature by every key in verify_keys.
// InvalidArgument for a malformed document, Unauthenticated for a bad or
// missing signature.
absl::StatusOr<ServerKeys> CheckServerKeys(const nlohmann::json& document,
                                           absl::string_view server_name);

}  // namespace messenger::matrix
