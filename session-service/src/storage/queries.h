// Named, $n-parameterised statements of the session store.
#pragma once

#include "common/pg/pg.h"

namespace messenger::session::queries {

inline constexpr pg::Query kInsertSession{
    "session_insert",
    "INSERT INTO sessions (session_id, user_id, device_name, created_at, last_seen_at, "
    "refresh_expires_at, device_id) VALUES ($1, $2, $3, $4, $4, $5, $6)"};

// Live sessions of a user's device id, which a new session with it replaces.
inline constexpr pg::Query kRevokeDevice{
    "session_revoke_device",
    "UPDATE sessions SET revoked_at = $3, revoke_reason = $4 "
    "WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL RETURNING session_id"};

inline constexpr pg::Query kRevokeAllExcept{
    "session_revoke_all_except",
    "UPDATE sessions SET revoked_at = $3, revoke_reason = $4 "
    "WHERE user_id = $1 AND session_id::text <> $2 AND revoked_at IS NULL "
    "AND refresh_expires_at > $3 RETURNING session_id"};

inline constexpr pg::Query kRenameSession{
    "session_rename",
    "UPDATE sessions SET device_name = $3 "
    "WHERE session_id = $1 AND user_id = $2 AND revoked_at IS NULL AND refresh_expires_at > $4"};

inline constexpr pg::Query kInsertToken{
    "session_insert_token",
    "INSERT INTO tokens (token_hash, session_id, kind, expires_at) VALUES ($1, $2, $3, $4)"};

inline constexpr pg::Query kLookupToken{
    "session_lookup_token",
    "SELECT t.kind, t.expires_at, t.used_at, s.revoked_at, s.session_id, s.user_id, "
    "s.last_seen_at, s.device_id FROM tokens t JOIN sessions s USING (session_id) "
    "WHERE t.token_hash = $1"};

inline constexpr pg::Query kLockToken{
    "session_lock_token",
    "SELECT t.kind, t.expires_at, t.used_at, s.revoked_at, s.session_id, s.user_id "
    "FROM tokens t JOIN sessions s USING (session_id) WHERE t.token_hash = $1 "
    "FOR UPDATE OF t, s"};

inline constexpr pg::Query kMarkTokenUsed{
    "session_mark_token_used", "UPDATE tokens SET used_at = $2 WHERE token_hash = $1"};

inline constexpr pg::Query kExtendSession{
    "session_extend",
    "UPDATE sessions SET refresh_expires_at = $2, last_seen_at = $3 WHERE session_id = $1"};

inline constexpr pg::Query kTouchLastSeen{
    "session_touch",
    "UPDATE sessions SET last_seen_at = $2 WHERE session_id = $1 AND last_seen_at < $2"};

inline constexpr pg::Query kRevokeSession{
    "session_revoke",
    "UPDATE sessions SET revoked_at = $3, revoke_reason = $4 "
    "WHERE session_id = $1 AND user_id = $2 AND revoked_at IS NULL AND refresh_expires_at > $3"};

inline constexpr pg::Query kListActive{
    "session_list_active",
    "SELECT session_id, device_name, created_at, last_seen_at, device_id FROM sessions "
    "WHERE user_id = $1 AND revoked_at IS NULL AND refresh_expires_at > $2 "
    "ORDER BY created_at DESC"};

inline constexpr pg::Query kDeleteExpiredTokens{
    "session_delete_expired_tokens", "DELETE FROM tokens WHERE expires_at < $1"};

}  // namespace messenger::session::queries
