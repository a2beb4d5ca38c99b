#include "auth-service/src/storage/pg_account_store.h"

#include "auth-service/src/storage/queries.h"
#include "common/status.h"

namespace messenger::auth {
namespace {

std::optional<FailureRecord> FailuresFrom(const pg::Result& r) {
  if (r.rows() == 0) return std::nullopt;
  return FailureRecord{r.GetTime(0, 0), static_cast<int>(r.GetInt64(0, 1)), r.GetOptionalTime(0, 2)};
}

}  // namespace

absl::Status PgAccountStore::CreateUser(const UserRecord& user, const VerificationToken& token,
                                        const bus::Event& created) {
  absl::Status status = pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.Exec(queries::kInsertUser, {user.user_id, user.username, user.email,
                                                   user.password_hash, user.created_at})
                        .status());
    if (!user.email.empty()) {
      RETURN_IF_ERROR(tx.Exec(queries::kInsertVerification,
                              {pg::Param::Bytes(token.hash), user.user_id, token.expires_at})
                          .status());
    }
    return outbox_.Enqueue(tx, created);
  });
  if (pg::IsUniqueViolation(status, "users_username_key")) {
    return absl::AlreadyExistsError("username is taken");
  }
  if (pg::IsUniqueViolation(status, "users_email_key")) {
    return absl::AlreadyExistsError("email is already registered");
  }
  return status;
}

absl::StatusOr<std::optional<UserRecord>> PgAccountStore::FindOne(const pg::Query& query,
                                                                  const std::string& key) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(query, {key}));
  if (r.rows() == 0) return std::nullopt;
  return UserRecord{r.GetString(0, 0),       r.GetString(0, 1), r.GetString(0, 2),
                    r.GetString(0, 3),       r.GetTime(0, 4),   r.GetOptionalTime(0, 5),
                    r.GetOptionalTime(0, 6), r.GetOptionalTime(0, 7)};
}

absl::StatusOr<std::optional<UserRecord>> PgAccountStore::FindById(const std::string& user_id) {
  return FindOne(queries::kUserById, user_id);
}

absl::StatusOr<std::optional<UserRecord>> PgAccountStore::FindByUsername(
    const std::string& username) {
  return FindOne(queries::kUserByUsername, username);
}

absl::StatusOr<std::optional<UserRecord>> PgAccountStore::FindByEmail(const std::string& email) {
  return FindOne(queries::kUserByEmail, email);
}

absl::StatusOr<std::optional<VerifiedEmail>> PgAccountStore::ConsumeVerification(
    const std::string& token_hash, absl::Time now, const VerifiedEventFactory& verified) {
  std::optional<VerifiedEmail> result;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    result.reset();
    ASSIGN_OR_RETURN(pg::Result r,
                     tx.Exec(queries::kLockVerification, {pg::Param::Bytes(token_hash)}));
    if (r.rows() == 0 || !r.IsNull(0, 2) || now >= r.GetTime(0, 1)) return absl::OkStatus();
    VerifiedEmail out{r.GetString(0, 0), r.GetString(0, 3), r.IsNull(0, 4)};
    RETURN_IF_ERROR(tx.Exec(queries::kUseVerification, {pg::Param::Bytes(token_hash), now}).status());
    if (out.newly_verified) {
      RETURN_IF_ERROR(tx.Exec(queries::kMarkVerified, {out.user_id, now}).status());
      ASSIGN_OR_RETURN(bus::Event event, verified(out));
      RETURN_IF_ERROR(outbox_.Enqueue(tx, event));
    }
    result = out;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<bool> PgAccountStore::ReplaceVerification(const std::string& user_id,
                                                         const VerificationToken& token,
                                                         absl::Time now,
                                                         absl::Duration min_interval) {
  bool replaced = false;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    replaced = false;
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kLockUserForResend, {user_id}));
    if (r.rows() == 0 || !r.IsNull(0, 0)) return absl::OkStatus();  // gone or verified
    std::optional<absl::Time> last = r.GetOptionalTime(0, 1);
    if (last && now - *last < min_interval) return absl::OkStatus();
    RETURN_IF_ERROR(tx.Exec(queries::kRetireVerifications, {user_id, now}).status());
    RETURN_IF_ERROR(tx.Exec(queries::kInsertVerification,
                            {pg::Param::Bytes(token.hash), user_id, token.expires_at})
                        .status());
    RETURN_IF_ERROR(tx.Exec(queries::kTouchVerificationSent, {user_id, now}).status());
    replaced = true;
    return absl::OkStatus();
  }));
  return replaced;
}

absl::StatusOr<AttemptReservation> PgAccountStore::ReserveLoginAttempt(
    const std::string& user_id, absl::Time now, const LockoutPolicy& policy) {
  AttemptReservation reservation;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result user, tx.Exec(queries::kLockUserForAttempt, {user_id}));
    if (user.rows() == 0) return absl::NotFoundError("no such user");
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kGetFailures, {user_id}));
    reservation = ReserveAttempt(FailuresFrom(r), now, policy);
    if (!reservation.allowed) return absl::OkStatus();
    const FailureRecord& next = reservation.record;
    return tx
        .Exec(queries::kUpsertFailures, {user_id, next.window_start, next.failures, next.locked_until})
        .status();
  }));
  return reservation;
}

absl::Status PgAccountStore::SetPasswordHash(const std::string& user_id,
                                             const std::string& password_hash) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kSetPassword, {user_id, password_hash}));
  if (r.affected() == 0) return absl::NotFoundError("no such user");
  return absl::OkStatus();
}

absl::Status PgAccountStore::ClearFailures(const std::string& user_id) {
  return pool_.Exec(queries::kClearFailures, {user_id}).status();
}

absl::StatusOr<bool> PgAccountStore::Deactivate(const std::string& user_id, absl::Time at,
                                                const bus::Event& deactivated) {
  bool newly = false;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kLockUserForDeactivation, {user_id}));
    if (r.rows() == 0) return absl::NotFoundError("no such user");
    newly = r.IsNull(0, 0);
    if (!newly) return absl::OkStatus();
    RETURN_IF_ERROR(tx.Exec(queries::kDeactivate, {user_id, at}).status());
    return outbox_.Enqueue(tx, deactivated);
  }));
  return newly;
}

}  // namespace messenger::auth
