// The notary key query (/_matrix/key/v2/query): other servers' key
// documents, from our cache or fetched, countersigned by us.
#pragma once

#include "absl/status/statusor.h"
#include "messaging-service/src/federation/local_keys.h"
#include "messaging-service/src/federation/remote_keys.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {

// Servers one query may name (each may need a fetch).
inline constexpr size_t kMaxNotaryServers = 20;

class Notary {
 public:
  Notary(RemoteKeys& remote, const LocalKeys& local, const Clock& clock)
      : remote_(remote), local_(local), clock_(clock) {}

  // `query` is the POST body {"server_keys": {name: {key_id: {minimum_valid_until_ts}}}}.
  // Answers {"server_keys": [documents]}: servers that cannot be reached
  // and have nothing kept are left out. InvalidArgument for a malformed query.
  absl::StatusOr<nlohmann::json> Query(const nlohmann::json& query);

 private:
  RemoteKeys& remote_;
  const LocalKeys& local_;
  const Clock& clock_;
};

}  // namespace messenger::federation
