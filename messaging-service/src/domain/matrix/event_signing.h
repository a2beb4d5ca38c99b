// Event hashes, signatures and ids (server-server API, "Signing Events").
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// Raw SHA-256 over the canonical event without `unsigned`, `signatures` and
// `hashes`: covers the full, unredacted event.
absl::StatusOr<std::string> ContentHash(const nlohmann::json& event);

// Raw SHA-256 over the canonical redacted event without `signatures` and
// `unsigned`: covers only the essential keys (and the content hash).
absl::StatusOr<std::string> ReferenceHash(const nlohmann::json& event);

// The event id of room versions 4 and later: "$" + URL-safe unpadded base64
// of the reference hash.
absl::StatusOr<std::string> ComputeEventId(const nlohmann::json& event);

// Sets hashes.sha256 to the content hash, signs the redacted event as
// `server_name` and adds the signature to `event`. Returns the event id: the
// signed bytes are exactly what the reference hash covers.
absl::StatusOr<std::string> HashAndSignEvent(nlohmann::json& event, absl::string_view server_name,
                                             const Ed25519Key& key);

// Verifies the signature of `server_name` with `key_id` over the redacted
// event; succeeds for both the full event and a redacted copy.
absl::Status VerifyEventSignature(const nlohmann::json& event, absl::string_view server_name,
                                  absl::string_view key_id, absl::string_view public_key);

// OK when hashes.sha256 matches the content; DataLoss when it does not (the
// receiver must then use the redacted event), InvalidArgument when absent.
absl::Status VerifyContentHash(const nlohmann::json& event);

}  // namespace messenger::matrix
