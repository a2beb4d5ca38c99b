// SQL of cross-signing (PgE2eeStore, V062). Lists travel as JSON arrays.
#pragma once

#include "common/pg/pg.h"

namespace messenger::messaging::cross_signing_queries {

inline constexpr pg::Query kKeys{
    "xsign_keys",
    "SELECT user_id, usage, key_json FROM e2ee_cross_signing_keys "
    "WHERE user_id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)"};
inline constexpr pg::Query kUpsertKey{
    "xsign_upsert_key",
    "INSERT INTO e2ee_cross_signing_keys (user_id, usage, key_json) VALUES ($1, $2, $3) "
    "ON CONFLICT (user_id, usage) DO UPDATE SET key_json = EXCLUDED.key_json"};
inline constexpr pg::Query kUpsertSignature{
    "xsign_upsert_signature",
    "INSERT INTO e2ee_key_signatures (target_user, target_key, signer, signer_key_id, signature) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (target_user, target_key, signer, signer_key_id) "
    "DO UPDATE SET signature = EXCLUDED.signature"};
inline constexpr pg::Query kSignatures{
    "xsign_signatures",
    "SELECT target_user, target_key, signer, signer_key_id, signature FROM e2ee_key_signatures "
    "WHERE target_user IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid) "
    "ORDER BY target_user, target_key, signer, signer_key_id"};
// m.signing_key_update ($2: its content) for every server of a user joined
// in a room with $1 (remote usernames are "@local:server").
inline constexpr pg::Query kQueueSigningKeyUpdate{
    "xsign_queue_signing_key_update",
    "INSERT INTO federation_outgoing (destination, room_id, edu) "
    "SELECT DISTINCT substr(r.username, strpos(r.username, ':') + 1), ''::text, "
    " jsonb_build_object('edu_type', 'm.signing_key_update', 'content', $2::jsonb)::text "
    "FROM memberships o JOIN memberships v ON v.room_id = o.room_id "
    "JOIN users r ON r.user_id = v.user_id "
    "WHERE o.user_id = $1 AND o.membership = 'join' AND v.membership = 'join' "
    "AND strpos(r.username, ':') > 0"};

}  // namespace messenger::messaging::cross_signing_queries
