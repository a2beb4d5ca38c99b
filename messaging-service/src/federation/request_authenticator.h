// Checks the X-Matrix signature of an incoming federation request against
// the origin's published keys, and the origin against the allowed domains.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "messaging-service/src/federation/remote_keys.h"

namespace messenger::federation {

struct InboundRequest {
  std::string method;
  std::string uri;                         // path and query as received, still percent-encoded
  std::vector<std::string> authorization;  // every Authorization header
  std::string body;
};

class RequestAuthenticator {
 public:
  RequestAuthenticator(RemoteKeys& keys, std::string server_name, std::set<std::string> whitelist)
      : keys_(keys), server_name_(std::move(server_name)), whitelist_(std::move(whitelist)) {}

  // The origin server. Unauthenticated without a valid X-Matrix signature
  // for us (missing, malformed, wrong destination, unknown key, bad
  // signature), PermissionDenied for an origin outside the whitelist,
  // InvalidArgument when the body is not JSON.
  absl::StatusOr<std::string> Authenticate(const InboundRequest& request);

 private:
  RemoteKeys& keys_;
  std::string server_name_;
  std::set<std::string> whitelist_;
};

}  // namespace messenger::federation
