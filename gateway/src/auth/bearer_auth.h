// Bearer token authentication: ValidateSession with a short, bounded cache. An
// entry lives for the cache TTL but never past the token's own expiry. Entries
// of a session go when session.revoked arrives (or the gateway revoked it
// itself); revoked sessions are remembered for the cache TTL so that a
// validation that was in flight cannot bring one back. A gateway that may have
// missed revocations (its NATS connection came back) drops the whole cache.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/lru_cache.h"
#include "messenger/session/v1/session.grpc.pb.h"

namespace messenger::gateway {

struct Principal {
  std::string user_id;
  std::string session_id;
  // When the access token stops being valid (the session service says).
  absl::Time expires_at = absl::InfiniteFuture();
  std::string device_id;  // the session's Matrix device id
};

// Authenticate's message for an expired access token of a live session (the
// session service's, see session.proto): Matrix answers it with soft_logout.
inline constexpr char kExpiredTokenMessage[] = "access token expired";

class SessionValidator {
 public:
  virtual ~SessionValidator() = default;
  virtual absl::StatusOr<Principal> Validate(std::string_view access_token) = 0;
};

class GrpcSessionValidator final : public SessionValidator {
 public:
  GrpcSessionValidator(session::v1::SessionService::StubInterface& stub, absl::Duration timeout)
      : stub_(stub), timeout_(timeout) {}
  absl::StatusOr<Principal> Validate(std::string_view access_token) override;

 private:
  session::v1::SessionService::StubInterface& stub_;
  absl::Duration timeout_;
};

class BearerAuth {
 public:
  BearerAuth(SessionValidator& validator, absl::Duration cache_ttl, const Clock& clock,
             size_t max_entries = 100'000);

  // From an "Authorization: Bearer <token>" header value; UNAUTHENTICATED when
  // missing, malformed, unknown, expired (kExpiredTokenMessage) or revoked.
  absl::StatusOr<Principal> Authenticate(std::string_view authorization);
  // The same for a bare token (Matrix also takes it from the query).
  absl::StatusOr<Principal> AuthenticateToken(std::string_view token);
  void InvalidateSession(const std::string& session_id);
  // A session.revoked event payload (the api.md envelope).
  void OnSessionRevokedEvent(std::string_view payload);
  // Forgets every validated token (revocations may have been missed).
  void DropAll();
  // Runs with the session id on every InvalidateSession (set before serving).
  void OnInvalidated(std::function<void(const std::string& session_id)> listener) {
    on_invalidated_ = std::move(listener);
  }
  // False when the session was revoked within the cache TTL.
  bool StillValid(const std::string& session_id);

  size_t cached() const;

 private:
  struct Entry {
    Principal principal;
    absl::Time expires;
  };

  SessionValidator& validator_;
  absl::Duration ttl_;
  const Clock& clock_;
  LruCache<std::string, Entry> tokens_;              // token hash -> principal
  LruCache<std::string, absl::Time> revoked_;        // session id -> forget after
  std::function<void(const std::string&)> on_invalidated_;
};

}  // namespace messenger::gateway
