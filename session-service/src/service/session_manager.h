// Session use cases: issue, validate, rotate and revoke tokens. Storage and
// time are injected; no IO of its own.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "session-service/src/storage/session_store.h"

namespace messenger::session {

struct SessionPolicy {
  absl::Duration access_ttl = absl::Minutes(15);
  absl::Duration refresh_ttl = absl::Hours(24 * 30);
};

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  absl::Time issued_at;
  absl::Time access_expires_at;
  absl::Time refresh_expires_at;
  std::string session_id;
  std::string user_id;
  std::string device_id;  // set by Create
};

class SessionManager {
 public:
  SessionManager(SessionStore& store, SessionPolicy policy, const Clock& clock, Rng& rng)
      : store_(store), policy_(policy), clock_(clock), rng_(rng) {}

  // `device_id` "" gets a generated one; a live session of the user with the
  // same device id is replaced.
  absl::StatusOr<TokenPair> Create(const std::string& user_id, std::string_view device_name,
                                   std::string_view device_id = "");
  absl::StatusOr<ValidToken> Validate(std::string_view access_token);
  // UNAUTHENTICATED for unknown, expired, revoked or reused tokens; a reuse
  // also revokes the session.
  absl::StatusOr<TokenPair> Refresh(std::string_view refresh_token);
  absl::Status Revoke(const std::string& session_id, const std::string& user_id,
                      RevokeReason reason);
  absl::StatusOr<std::vector<SessionInfo>> List(const std::string& user_id);
  absl::Status Rename(const std::string& session_id, const std::string& user_id,
                      std::string_view device_name);
  // Revokes the user's live sessions but `except_session_id` ("" = all).
  absl::StatusOr<std::vector<std::string>> RevokeAllExcept(const std::string& user_id,
                                                           const std::string& except_session_id,
                                                           RevokeReason reason);
  // user.deactivated: every session left is revoked (reason deactivated) in
  // one transaction with their events; a redelivery finds none left.
  absl::Status OnUserDeactivated(const bus::Event& event);

 private:
  IssuedToken Issue(std::string& token_out, absl::Duration ttl, absl::Time now);
  // session.revoked events for sessions revoked at `now`.
  RevokedEventFactory RevokedEvents(RevokeReason reason, absl::Time now);

  SessionStore& store_;
  SessionPolicy policy_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace messenger::session
