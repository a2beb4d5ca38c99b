// Requests to other homeservers: discovery, then one HTTP exchange, signed
// with our key (X-Matrix) unless it is a key fetch.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/src/federation/http_fetcher.h"
#include "messaging-service/src/federation/server_resolver.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {

// Percent-encoding of a path segment or query value (unreserved characters
// stay).
std::string QueryEscape(absl::string_view value);

// What another server's non-200 answer means to our caller: 404 NotFound,
// 400 InvalidArgument, 401/403 PermissionDenied, anything else Unavailable.
absl::Status RemoteError(const HttpReply& reply, absl::string_view what);

// A 200 answer's JSON object; anything else is that server's error
// (RemoteError), an exchange that failed UNAVAILABLE.
absl::StatusOr<nlohmann::json> JsonAnswer(const absl::StatusOr<HttpReply>& reply,
                                          const std::string& what);

class FederationClient {
 public:
  FederationClient(ServerResolver& resolver, HttpFetcher& fetcher, std::string origin,
                   const matrix::Ed25519Key& key)
      : resolver_(resolver), fetcher_(fetcher), origin_(std::move(origin)), key_(key) {}

  // `uri` is the request target, path and query percent-encoded.
  absl::StatusOr<HttpReply> Request(const std::string& method, const std::string& destination,
                                    const std::string& uri,
                                    const std::optional<nlohmann::json>& content, bool sign);

 private:
  ServerResolver& resolver_;
  HttpFetcher& fetcher_;
  std::string origin_;
  const matrix::Ed25519Key& key_;
};

}  // namespace messenger::federation
