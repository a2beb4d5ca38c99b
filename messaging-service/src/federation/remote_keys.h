// Other servers' keys: fetched from /_matrix/key/v2/server, checked, kept in
// a bounded memory cache and in the database until they may no longer be used.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/lru_cache.h"
#include "messaging-service/src/domain/matrix/pdu_checks.h"
#include "messaging-service/src/domain/matrix/server_keys.h"
#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/federation/federation_store.h"
#include "messaging-service/src/federation/local_keys.h"

namespace messenger::federation {

class RemoteKeys : public matrix::ServerKeySource {
 public:
  RemoteKeys(FederationStore& store, FederationClient& client, const LocalKeys& local,
             const Clock& clock, size_t cache_entries)
      : store_(store),
        client_(client),
        local_(local),
        clock_(clock),
        cache_("federation_server_keys", cache_entries) {}

  // The key document of `server_name`, usable at least until
  // `minimum_valid_until` when the server gives such keys (fetched again
  // when the kept one expires earlier). Our own name answers our document.
  // Unavailable when the server cannot be reached and nothing usable is kept.
  absl::StatusOr<matrix::ServerKeys> Get(const std::string& server_name,
                                         absl::Time minimum_valid_until);
  // The public key `key_id` of `server_name` for checking a request made
  // now; fetches once more when the kept document lacks it. Unauthenticated
  // when the server has no such key.
  absl::StatusOr<std::string> VerifyKey(const std::string& server_name, const std::string& key_id);
  // The key that signed an event sent at `at`: a current key whose document
  // was valid then, or an old key that expired after it.
  absl::StatusOr<std::string> PublicKeyAt(const std::string& server_name, const std::string& key_id,
                                          absl::Time at) override;

 private:
  struct Entry {
    matrix::ServerKeys keys;
    absl::Time fetched_at;
    absl::Time usable_until;
  };
  absl::StatusOr<Entry> Fetch(const std::string& server_name);
  absl::StatusOr<std::optional<Entry>> Kept(const std::string& server_name);

  FederationStore& store_;
  FederationClient& client_;
  const LocalKeys& local_;
  const Clock& clock_;
  LruCache<std::string, Entry> cache_;
};

}  // namespace messenger::federation
