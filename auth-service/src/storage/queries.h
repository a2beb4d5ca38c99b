// Named, $n-parameterised statements of the account store.
#pragma once

#include "common/pg/pg.h"

namespace messenger::auth::queries {

#define MESSENGER_AUTH_USER_COLUMNS \
  "user_id, username, coalesce(email, ''), password_hash, created_at, email_verified_at, " \
  "verification_sent_at, deactivated_at"

inline constexpr pg::Query kInsertUser{
    "auth_insert_user",
    "INSERT INTO users (user_id, username, email, password_hash, created_at, "
    "verification_sent_at) VALUES ($1, $2, NULLIF($3, ''), $4, $5, "
    "CASE WHEN $3 = '' THEN NULL ELSE $5::timestamptz END)"};

inline constexpr pg::Query kSetPassword{
    "auth_set_password", "UPDATE users SET password_hash = $2 WHERE user_id = $1"};

inline constexpr pg::Query kInsertVerification{
    "auth_insert_verification",
    "INSERT INTO email_verifications (token_hash, user_id, expires_at) VALUES ($1, $2, $3)"};

inline constexpr pg::Query kUserById{
    "auth_user_by_id", "SELECT " MESSENGER_AUTH_USER_COLUMNS " FROM users WHERE user_id = $1"};

inline constexpr pg::Query kUserByUsername{
    "auth_user_by_username",
    "SELECT " MESSENGER_AUTH_USER_COLUMNS " FROM users WHERE lower(username) = lower($1)"};

inline constexpr pg::Query kUserByEmail{
    "auth_user_by_email",
    "SELECT " MESSENGER_AUTH_USER_COLUMNS " FROM users WHERE lower(email) = lower($1)"};

inline constexpr pg::Query kLockVerification{
    "auth_lock_verification",
    "SELECT v.user_id, v.expires_at, v.used_at, u.email, u.email_verified_at "
    "FROM email_verifications v JOIN users u USING (user_id) WHERE v.token_hash = $1 "
    "FOR UPDATE OF v, u"};

inline constexpr pg::Query kUseVerification{
    "auth_use_verification", "UPDATE email_verifications SET used_at = $2 WHERE token_hash = $1"};

inline constexpr pg::Query kMarkVerified{
    "auth_mark_verified", "UPDATE users SET email_verified_at = $2 WHERE user_id = $1"};

inline constexpr pg::Query kLockUserForResend{
    "auth_lock_user_for_resend",
    "SELECT email_verified_at, verification_sent_at FROM users WHERE user_id = $1 FOR UPDATE"};

inline constexpr pg::Query kRetireVerifications{
    "auth_retire_verifications",
    "UPDATE email_verifications SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL"};

inline constexpr pg::Query kTouchVerificationSent{
    "auth_touch_verification_sent", "UPDATE users SET verification_sent_at = $2 WHERE user_id = $1"};

// The users row always exists: its lock serialises the attempts of an account,
// even the first ones, when there is no failures row to lock yet.
inline constexpr pg::Query kLockUserForAttempt{
    "auth_lock_user_for_attempt", "SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE"};

// A statement of its own after the lock: in READ COMMITTED it sees what the
// attempt that held the lock before committed (a join in the locking
// statement would read the failures as of before the wait).
inline constexpr pg::Query kGetFailures{
    "auth_get_failures",
    "SELECT window_start, failures, locked_until FROM login_failures WHERE user_id = $1"};

inline constexpr pg::Query kUpsertFailures{
    "auth_upsert_failures",
    "INSERT INTO login_failures (user_id, window_start, failures, locked_until) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET window_start = $2, "
    "failures = $3, locked_until = $4"};

inline constexpr pg::Query kClearFailures{
    "auth_clear_failures", "DELETE FROM login_failures WHERE user_id = $1"};

inline constexpr pg::Query kLockUserForDeactivation{
    "auth_lock_user_for_deactivation",
    "SELECT deactivated_at FROM users WHERE user_id = $1 FOR UPDATE"};

inline constexpr pg::Query kDeactivate{
    "auth_deactivate", "UPDATE users SET deactivated_at = $2 WHERE user_id = $1"};

#undef MESSENGER_AUTH_USER_COLUMNS

}  // namespace messenger::auth::queries
