// Federation request authentication: the `Authorization: X-Matrix ...` header
// (server-server API, "Request Authentication"). Pure: the caller supplies
// the origin's public key.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// The parameters of one X-Matrix header.
struct XMatrixAuth {
  std::string origin;
  std::optional<std::string> destination;  // optional before spec v1.3
  std::string key_id;                      // "ed25519:<version>"
  std::string signature;                   // base64, as sent
};

// What a signature covers. `uri` is the request target as sent: path and
// query, still percent-encoded ("/_matrix/federation/v1/query/profile?...").
struct FederationRequest {
  std::string method;
  std::string uri;
  std::string origin;
  std::string destination;
  std::optional<nlohmann::json> content;  // the JSON body, when there is one
};

// Parses `X-Matrix origin="a",destination="b",key="ed25519:1",sig="..."`
// (quoted or token values, any order, scheme and names case-insensitive).
// InvalidArgument when the scheme is not X-Matrix or origin/key/sig is
// missing, duplicated or malformed.
absl::StatusOr<XMatrixAuth> ParseXMatrix(absl::string_view header);

// The header value signing `request` as request.origin with `key`.
absl::StatusOr<std::string> SignRequest(const FederationRequest& request, const Ed25519Key& key);

// Checks `auth` against a request received by `our_server_name`: the
// destination, when present, must be us, and the signature by `public_key`
// (raw) must cover {method, uri, origin, destination, content}.
// Unauthenticated on any mismatch, InvalidArgument for a malformed signature.
absl::Status VerifyRequest(const XMatrixAuth& auth, absl::string_view method, absl::string_view uri,
                           absl::string_view our_server_name,
                           const std::optional<nlohmann::json>& content,
                           absl::string_view public_key);

}  // namespace messenger::matrix
