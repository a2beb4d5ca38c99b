#include "session-service/src/service/session_manager.h"

#include "common/status.h"
#include "messenger/events/v1/events.pb.h"
#include "session-service/src/events/session_events.h"

namespace messenger::session {
namespace {

constexpr char kInvalidToken[] = "invalid or expired token";
// Longer inputs cannot be our tokens; refuse before hashing.
constexpr size_t kMaxTokenLength = 128;

}  // namespace

RevokedEventFactory SessionManager::RevokedEvents(RevokeReason reason, absl::Time now) {
  return [this, reason, now](const std::string& session_id, const std::string& user_id) {
    return SessionRevokedEvent(session_id, user_id, reason, now, clock_, rng_);
  };
}

IssuedToken SessionManager::Issue(std::string& token_out, absl::Duration ttl, absl::Time now) {
  token_out = RandomToken(rng_, 32);
  return {Sha256(token_out), now + ttl};
}

absl::StatusOr<TokenPair> SessionManager::Create(const std::string& user_id,
                                                 std::string_view device_name,
                                                 std::string_view device_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user_id must be a UUID");
  ASSIGN_OR_RETURN(std::string device, NormalizeDeviceName(device_name));
  if (!device_id.empty()) RETURN_IF_ERROR(ValidateDeviceId(device_id));
  const absl::Time now = clock_.Now();
  TokenPair pair;
  NewSession session{NewUuid(rng_),
                     user_id,
                     device,
                     device_id.empty() ? NewDeviceId(rng_) : std::string(device_id),
                     now,
                     Issue(pair.access_token, policy_.access_ttl, now),
                     Issue(pair.refresh_token, policy_.refresh_ttl, now)};
  ASSIGN_OR_RETURN(bus::Event created,
                   SessionCreatedEvent(session.session_id, user_id, device, now, clock_, rng_));
  RETURN_IF_ERROR(store_.Create(session, created, RevokedEvents(RevokeReason::kRevoked, now)));
  pair.device_id = session.device_id;
  pair.issued_at = now;
  pair.access_expires_at = session.access.expires_at;
  pair.refresh_expires_at = session.refresh.expires_at;
  pair.session_id = session.session_id;
  pair.user_id = user_id;
  return pair;
}

absl::StatusOr<ValidToken> SessionManager::Validate(std::string_view access_token) {
  if (access_token.empty() || access_token.size() > kMaxTokenLength) {
    return absl::UnauthenticatedError(kInvalidToken);
  }
  return store_.Validate(Sha256(access_token), clock_.Now());
}

absl::StatusOr<TokenPair> SessionManager::Refresh(std::string_view refresh_token) {
  if (refresh_token.empty() || refresh_token.size() > kMaxTokenLength) {
    return absl::UnauthenticatedError(kInvalidToken);
  }
  const absl::Time now = clock_.Now();
  TokenPair pair;
  IssuedToken access = Issue(pair.access_token, policy_.access_ttl, now);
  IssuedToken refresh = Issue(pair.refresh_token, policy_.refresh_ttl, now);
  ASSIGN_OR_RETURN(std::optional<RefreshOutcome> outcome,
                   store_.Refresh(Sha256(refresh_token), access, refresh, now,
                                  RevokedEvents(RevokeReason::kRefreshReuse, now)));
  if (!outcome) return absl::UnauthenticatedError(kInvalidToken);
  switch (outcome->verdict) {
    case RefreshVerdict::kRotate:
      break;
    case RefreshVerdict::kReuse:
      return absl::UnauthenticatedError("refresh token already used; the session is revoked");
    default:
      return absl::UnauthenticatedError(kInvalidToken);
  }
  pair.issued_at = now;
  pair.access_expires_at = access.expires_at;
  pair.refresh_expires_at = refresh.expires_at;
  pair.session_id = outcome->session_id;
  pair.user_id = outcome->user_id;
  return pair;
}

absl::Status SessionManager::Revoke(const std::string& session_id, const std::string& user_id,
                                    RevokeReason reason) {
  if (!IsUuid(session_id) || !IsUuid(user_id)) return absl::NotFoundError("no such session");
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(bus::Event revoked,
                   SessionRevokedEvent(session_id, user_id, reason, now, clock_, rng_));
  return store_.Revoke(session_id, user_id, reason, now, revoked);
}

absl::StatusOr<std::vector<SessionInfo>> SessionManager::List(const std::string& user_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user_id must be a UUID");
  return store_.ListActive(user_id, clock_.Now());
}

absl::Status SessionManager::Rename(const std::string& session_id, const std::string& user_id,
                                    std::string_view device_name) {
  if (!IsUuid(session_id) || !IsUuid(user_id)) return absl::NotFoundError("no such session");
  ASSIGN_OR_RETURN(std::string device, NormalizeDeviceName(device_name));
  return store_.Rename(session_id, user_id, device, clock_.Now());
}

absl::StatusOr<std::vector<std::string>> SessionManager::RevokeAllExcept(
    const std::string& user_id, const std::string& except_session_id, RevokeReason reason) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user_id must be a UUID");
  const absl::Time now = clock_.Now();
  return store_.RevokeAllExcept(user_id, except_session_id, reason, now,
                                RevokedEvents(reason, now));
}

absl::Status SessionManager::OnUserDeactivated(const bus::Event& event) {
  events::v1::UserDeactivated data;
  RETURN_IF_ERROR(event.DataTo(data));
  return RevokeAllExcept(data.user_id(), "", RevokeReason::kDeactivated).status();
}

}  // namespace messenger::session
