// Storage of sessions and tokens (interface). Every method is one transaction;
// events passed in commit with the change (outbox).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "session-service/src/domain/session_rules.h"

namespace messenger::session {

struct IssuedToken {
  std::string hash;  // SHA-256 of the token, raw bytes
  absl::Time expires_at;
};

struct NewSession {
  std::string session_id;
  std::string user_id;
  std::string device_name;
  std::string device_id;
  absl::Time created_at;
  IssuedToken access;
  IssuedToken refresh;
};

struct SessionInfo {
  std::string session_id;
  std::string user_id;
  std::string device_name;
  absl::Time created_at;
  absl::Time last_seen_at;
  std::string device_id;
};

struct ValidToken {
  std::string user_id;
  std::string session_id;
  absl::Time expires_at;
  std::string device_id;
};

struct RefreshOutcome {
  RefreshVerdict verdict = RefreshVerdict::kExpired;
  std::string session_id;
  std::string user_id;
};

// Builds the session.revoked event for (session_id, user_id).
using RevokedEventFactory =
    std::function<absl::StatusOr<bus::Event>(const std::string& session_id, const std::string& user_id)>;

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Live sessions of the same user and device id are revoked first (a Matrix
  // login that reuses a device id replaces it), each with the event from
  // `replaced`.
  virtual absl::Status Create(const NewSession& session, const bus::Event& created,
                              const RevokedEventFactory& replaced) = 0;

  // UNAUTHENTICATED when the token is unknown, expired (kAccessTokenExpired
  // when its session is live) or its session revoked.
  // Refreshes last_seen_at when stale.
  virtual absl::StatusOr<ValidToken> Validate(const std::string& access_hash, absl::Time now) = 0;

  // Judges the refresh token under a row lock. kRotate: marks it used and
  // stores `access` and `refresh` for the same session. kReuse: revokes the
  // session and enqueues the event from `revoked`. Unknown token: nullopt.
  virtual absl::StatusOr<std::optional<RefreshOutcome>> Refresh(const std::string& refresh_hash,
                                                                const IssuedToken& access,
                                                                const IssuedToken& refresh,
                                                                absl::Time now,
                                                                const RevokedEventFactory& revoked) = 0;

  // NOT_FOUND unless the session is active and belongs to `user_id`.
  virtual absl::Status Revoke(const std::string& session_id, const std::string& user_id,
                              RevokeReason reason, absl::Time now, const bus::Event& revoked) = 0;

  // NOT_FOUND unless the session is active and belongs to `user_id`.
  virtual absl::Status Rename(const std::string& session_id, const std::string& user_id,
                              const std::string& device_name, absl::Time now) = 0;
  // Revokes every live session of `user_id` but `except_session_id`, each
  // with the event from `revoked`; returns their ids.
  virtual absl::StatusOr<std::vector<std::string>> RevokeAllExcept(
      const std::string& user_id, const std::string& except_session_id, RevokeReason reason,
      absl::Time now, const RevokedEventFactory& revoked) = 0;

  // Active sessions, newest first.
  virtual absl::StatusOr<std::vector<SessionInfo>> ListActive(const std::string& user_id,
                                                              absl::Time now) = 0;

  // Deletes tokens expired before `before`; returns how many.
  virtual absl::StatusOr<int64_t> DeleteExpiredTokens(absl::Time before) = 0;
};

}  // namespace messenger::session
