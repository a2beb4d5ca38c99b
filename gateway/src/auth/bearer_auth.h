// Bearer token authentication: ValidateSession with a short cache. Entries of
// a session go when session.revoked arrives (or the gateway revoked it itself);
// revoked sessions are remembered for the cache TTL so that a validation that
// was in flight cannot bring one back.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "messenger/session/v1/session.grpc.pb.h"

namespace messenger::gateway {

struct Principal {
  std::string user_id;
  std::string session_id;
};

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
             size_t max_entries = 100'000)
      : validator_(validator), ttl_(cache_ttl), clock_(clock), max_entries_(max_entries) {}

  // From an "Authorization: Bearer <token>" header value; UNAUTHENTICATED when
  // missing, malformed, unknown, expired or revoked.
  absl::StatusOr<Principal> Authenticate(std::string_view authorization);
  void InvalidateSession(const std::string& session_id);
  // A session.revoked event payload (the api.md envelope).
  void OnSessionRevokedEvent(std::string_view payload);

  size_t cached() const;

 private:
  struct Entry {
    Principal principal;
    absl::Time expires;
  };
  void PruneLocked(absl::Time now);

  SessionValidator& validator_;
  absl::Duration ttl_;
  const Clock& clock_;
  size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_token_hash_;
  std::unordered_map<std::string, std::unordered_set<std::string>> by_session_;
  std::unordered_map<std::string, absl::Time> revoked_;  // session id -> forget after
};

}  // namespace messenger::gateway
