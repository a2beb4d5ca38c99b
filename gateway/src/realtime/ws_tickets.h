// Short-lived single-use tickets for opening a WebSocket: a browser cannot set
// the Authorization header of a handshake, and an access token in the URL
// would be logged. POST /v1/ws/ticket trades the bearer token for one; the
// handshake spends it (?ticket=).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/lru_cache.h"
#include "gateway/src/auth/bearer_auth.h"

namespace messenger::gateway {

class WsTickets {
 public:
  // Past `max_tickets` unspent tickets the oldest is forgotten (its
  // handshake then fails with 401 and the client asks for another).
  WsTickets(absl::Duration ttl, size_t max_tickets, const Clock& clock, Rng& rng);

  std::string Issue(const Principal& principal);
  // The principal of an unspent, unexpired ticket; spends it.
  absl::StatusOr<Principal> Redeem(std::string_view ticket);
  absl::Duration ttl() const { return ttl_; }

 private:
  struct Entry {
    Principal principal;
    absl::Time expires;
  };
  absl::Duration ttl_;
  const Clock& clock_;
  Rng& rng_;
  LruCache<std::string, Entry> tickets_;  // ticket hash -> holder
};

}  // namespace messenger::gateway
