#include "session-service/src/storage/pg_session_store.h"

#include "common/status.h"
#include "session-service/src/storage/queries.h"

namespace messenger::session {
namespace {

constexpr char kInvalidToken[] = "invalid or expired token";

TokenState StateFrom(const pg::Result& r) {
  TokenState state;
  state.kind = r.GetInt64(0, 0) == 2 ? TokenKind::kRefresh : TokenKind::kAccess;
  state.expires_at = r.GetTime(0, 1);
  state.used_at = r.GetOptionalTime(0, 2);
  state.session_revoked_at = r.GetOptionalTime(0, 3);
  return state;
}

absl::Status InsertToken(pg::Tx& tx, const IssuedToken& token, const std::string& session_id,
                         TokenKind kind) {
  return tx
      .Exec(queries::kInsertToken, {pg::Param::Bytes(token.hash), session_id,
                                    static_cast<int>(kind), token.expires_at})
      .status();
}

// Enqueues the session.revoked event of every session id in `rows` (column 0).
absl::Status EnqueueRevoked(pg::Tx& tx, const bus::Outbox& outbox, const pg::Result& rows,
                            const std::string& user_id, const RevokedEventFactory& revoked,
                            std::vector<std::string>* ids = nullptr) {
  for (int i = 0; i < rows.rows(); ++i) {
    const std::string session_id = rows.GetString(i, 0);
    ASSIGN_OR_RETURN(bus::Event event, revoked(session_id, user_id));
    RETURN_IF_ERROR(outbox.Enqueue(tx, event));
    if (ids != nullptr) ids->push_back(session_id);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PgSessionStore::Create(const NewSession& s, const bus::Event& created,
                                    const RevokedEventFactory& replaced) {
  return pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result old,
                     tx.Exec(queries::kRevokeDevice,
                             {s.user_id, s.device_id, s.created_at,
                              std::string(RevokeReasonName(RevokeReason::kRevoked))}));
    RETURN_IF_ERROR(EnqueueRevoked(tx, outbox_, old, s.user_id, replaced));
    RETURN_IF_ERROR(tx.Exec(queries::kInsertSession, {s.session_id, s.user_id, s.device_name,
                                                      s.created_at, s.refresh.expires_at,
                                                      s.device_id})
                        .status());
    RETURN_IF_ERROR(InsertToken(tx, s.access, s.session_id, TokenKind::kAccess));
    RETURN_IF_ERROR(InsertToken(tx, s.refresh, s.session_id, TokenKind::kRefresh));
    return outbox_.Enqueue(tx, created);
  });
}

absl::StatusOr<ValidToken> PgSessionStore::Validate(const std::string& access_hash,
                                                    absl::Time now) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kLookupToken, {pg::Param::Bytes(access_hash)}));
  if (r.rows() == 0) return absl::UnauthenticatedError(kInvalidToken);
  switch (JudgeAccess(StateFrom(r), now)) {
    case AccessVerdict::kValid: break;
    case AccessVerdict::kExpired: return absl::UnauthenticatedError(kAccessTokenExpired);
    default: return absl::UnauthenticatedError(kInvalidToken);
  }
  ValidToken valid{r.GetString(0, 5), r.GetString(0, 4), r.GetTime(0, 1), r.GetString(0, 7)};
  if (LastSeenIsStale(r.GetTime(0, 6), now)) {
    RETURN_IF_ERROR(pool_.Exec(queries::kTouchLastSeen, {valid.session_id, now}).status());
  }
  return valid;
}

absl::StatusOr<std::optional<RefreshOutcome>> PgSessionStore::Refresh(
    const std::string& refresh_hash, const IssuedToken& access, const IssuedToken& refresh,
    absl::Time now, const RevokedEventFactory& revoked) {
  std::optional<RefreshOutcome> outcome;
  absl::Status status = pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    outcome.reset();
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kLockToken, {pg::Param::Bytes(refresh_hash)}));
    if (r.rows() == 0) return absl::OkStatus();
    RefreshOutcome out{JudgeRefresh(StateFrom(r), now), r.GetString(0, 4), r.GetString(0, 5)};
    if (out.verdict == RefreshVerdict::kRotate) {
      RETURN_IF_ERROR(tx.Exec(queries::kMarkTokenUsed, {pg::Param::Bytes(refresh_hash), now}).status());
      RETURN_IF_ERROR(InsertToken(tx, access, out.session_id, TokenKind::kAccess));
      RETURN_IF_ERROR(InsertToken(tx, refresh, out.session_id, TokenKind::kRefresh));
      RETURN_IF_ERROR(
          tx.Exec(queries::kExtendSession, {out.session_id, refresh.expires_at, now}).status());
    } else if (out.verdict == RefreshVerdict::kReuse) {
      ASSIGN_OR_RETURN(bus::Event event, revoked(out.session_id, out.user_id));
      ASSIGN_OR_RETURN(pg::Result revoked_rows,
                       tx.Exec(queries::kRevokeSession,
                               {out.session_id, out.user_id, now,
                                std::string(RevokeReasonName(RevokeReason::kRefreshReuse))}));
      if (revoked_rows.affected() == 1) RETURN_IF_ERROR(outbox_.Enqueue(tx, event));
    }
    outcome = out;
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(status);
  return outcome;
}

absl::Status PgSessionStore::Revoke(const std::string& session_id, const std::string& user_id,
                                    RevokeReason reason, absl::Time now,
                                    const bus::Event& revoked) {
  return pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kRevokeSession,
                                           {session_id, user_id, now,
                                            std::string(RevokeReasonName(reason))}));
    if (r.affected() == 0) return absl::NotFoundError("no such session");
    return outbox_.Enqueue(tx, revoked);
  });
}

absl::Status PgSessionStore::Rename(const std::string& session_id, const std::string& user_id,
                                    const std::string& device_name, absl::Time now) {
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(queries::kRenameSession, {session_id, user_id, device_name, now}));
  if (r.affected() == 0) return absl::NotFoundError("no such session");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PgSessionStore::RevokeAllExcept(
    const std::string& user_id, const std::string& except_session_id, RevokeReason reason,
    absl::Time now, const RevokedEventFactory& revoked) {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ids.clear();
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kRevokeAllExcept,
                                           {user_id, except_session_id, now,
                                            std::string(RevokeReasonName(reason))}));
    return EnqueueRevoked(tx, outbox_, r, user_id, revoked, &ids);
  }));
  return ids;
}

absl::StatusOr<std::vector<SessionInfo>> PgSessionStore::ListActive(const std::string& user_id,
                                                                    absl::Time now) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kListActive, {user_id, now}));
  std::vector<SessionInfo> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.GetString(i, 0), user_id, r.GetString(i, 1), r.GetTime(i, 2), r.GetTime(i, 3),
                   r.GetString(i, 4)});
  }
  return out;
}

absl::StatusOr<int64_t> PgSessionStore::DeleteExpiredTokens(absl::Time before) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kDeleteExpiredTokens, {before}));
  return r.affected();
}

}  // namespace messenger::session
