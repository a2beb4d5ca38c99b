// SQL of the end-to-end encryption relay (PgE2eeStore). Lists travel as
// JSON arrays ($n::jsonb), which need no quoting of their own.
#pragma once

#include "common/pg/pg.h"

namespace messenger::messaging::e2ee_queries {

// Users sharing a room with $1: rooms $1 has joined, members joined or
// invited (a joined member encrypts for invitees too).
#define E2EE_SHARES_ROOM(viewer, other)                                              \
  "EXISTS (SELECT 1 FROM memberships v JOIN memberships o ON o.room_id = v.room_id " \
  "WHERE v.user_id = " viewer " AND v.membership = 'join' AND o.user_id = " other    \
  " AND o.membership IN ('join', 'invite'))"

inline constexpr pg::Query kUpsertDevice{
    "e2ee_upsert_device",
    "INSERT INTO e2ee_devices (user_id, device_id, session_id) VALUES ($1, $2, $3) "
    "ON CONFLICT (user_id, device_id) DO UPDATE SET session_id = EXCLUDED.session_id "
    "RETURNING device_keys"};
inline constexpr pg::Query kSetDeviceKeys{
    "e2ee_set_device_keys",
    "UPDATE e2ee_devices SET device_keys = $3 WHERE user_id = $1 AND device_id = $2"};
inline constexpr pg::Query kInsertOneTimeKey{
    "e2ee_insert_otk",
    "INSERT INTO e2ee_one_time_keys (user_id, device_id, algorithm, key_id, key_json) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"};
inline constexpr pg::Query kUpsertFallbackKey{
    "e2ee_upsert_fallback",
    "INSERT INTO e2ee_fallback_keys (user_id, device_id, algorithm, key_id, key_json, used) "
    "VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (user_id, device_id, algorithm) DO UPDATE "
    "SET key_id = EXCLUDED.key_id, key_json = EXCLUDED.key_json, used = false"};
inline constexpr pg::Query kOneTimeCounts{
    "e2ee_otk_counts",
    "SELECT algorithm, count(*) FROM e2ee_one_time_keys WHERE user_id = $1 AND device_id = $2 "
    "GROUP BY algorithm"};
// A sync's key counts in one statement: one-time keys by algorithm, then the
// algorithms of unused fallback keys (count 0).
inline constexpr pg::Query kKeyCounts{
    "e2ee_key_counts",
    "SELECT 'otk' AS kind, algorithm, count(*) FROM e2ee_one_time_keys "
    "WHERE user_id = $1 AND device_id = $2 GROUP BY algorithm "
    "UNION ALL SELECT 'fallback', algorithm, 0 FROM e2ee_fallback_keys "
    "WHERE user_id = $1 AND device_id = $2 AND NOT used ORDER BY 1, 2"};
// Positions in commit order: the row lock is held until the writer commits.
inline constexpr pg::Query kNextDeviceListPos{
    "e2ee_next_dl_pos",
    "UPDATE e2ee_device_list_stream SET pos = pos + 1 WHERE id = 1 RETURNING pos"};
inline constexpr pg::Query kMarkDeviceListChange{
    "e2ee_mark_dl_change",
    "INSERT INTO e2ee_device_list_changes (user_id, pos) VALUES ($1, $2) "
    "ON CONFLICT (user_id) DO UPDATE SET pos = EXCLUDED.pos"};
// Who sees a device-list change of $1: itself and the users sharing a room.
inline constexpr pg::Query kWatchers{
    "e2ee_watchers",
    "SELECT $1::uuid UNION SELECT v.user_id FROM memberships o "
    "JOIN memberships v ON v.room_id = o.room_id "
    "WHERE o.user_id = $1 AND o.membership = 'join' AND v.membership = 'join'"};
inline constexpr pg::Query kUserIds{
    "e2ee_user_ids",
    "SELECT username, user_id FROM users "
    "WHERE username IN (SELECT jsonb_array_elements_text($1::jsonb))"};
inline constexpr pg::Query kVisible{
    "e2ee_visible",
    "SELECT u::uuid FROM jsonb_array_elements_text($2::jsonb) AS u "
    "WHERE u::uuid = $1::uuid OR " E2EE_SHARES_ROOM("$1::uuid", "u::uuid")};
inline constexpr pg::Query kDeviceKeys{
    "e2ee_device_keys",
    "SELECT user_id, device_id, device_keys FROM e2ee_devices "
    "WHERE user_id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid) "
    "AND device_keys IS NOT NULL"};
// SKIP LOCKED: concurrent claimers take different keys.
inline constexpr pg::Query kClaimOneTimeKey{
    "e2ee_claim_otk",
    "DELETE FROM e2ee_one_time_keys WHERE (user_id, device_id, algorithm, key_id) = "
    "(SELECT user_id, device_id, algorithm, key_id FROM e2ee_one_time_keys "
    " WHERE user_id = $1 AND device_id = $2 AND algorithm = $3 "
    " ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING key_id, key_json"};
inline constexpr pg::Query kClaimFallbackKey{
    "e2ee_claim_fallback",
    "UPDATE e2ee_fallback_keys SET used = true "
    "WHERE user_id = $1 AND device_id = $2 AND algorithm = $3 RETURNING key_id, key_json"};
// One snapshot: the stream position and the changes up to it.
inline constexpr pg::Query kChangedSince{
    "e2ee_changed_since",
    "SELECT s.pos, u.username FROM e2ee_device_list_stream s "
    "LEFT JOIN e2ee_device_list_changes c ON c.pos > $2 AND c.pos <= s.pos "
    " AND (c.user_id = $1::uuid OR " E2EE_SHARES_ROOM("$1::uuid", "c.user_id") ") "
    "LEFT JOIN users u ON u.user_id = c.user_id "
    "WHERE s.id = 1 ORDER BY c.pos"};
inline constexpr pg::Query kInsertTxn{
    "e2ee_insert_txn",
    "INSERT INTO e2ee_to_device_txns (sender, sender_device, txn_id, sent_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"};
inline constexpr pg::Query kDevicesOf{
    "e2ee_devices_of", "SELECT device_id FROM e2ee_devices WHERE user_id = $1 ORDER BY device_id"};
// Positions in commit order per device (the counter row's lock); the count
// of waiting messages is read under the same lock.
inline constexpr pg::Query kNextInboxPos{
    "e2ee_next_inbox_pos",
    "INSERT INTO e2ee_inbox_counters (user_id, device_id, last_pos) VALUES ($1, $2, 1) "
    "ON CONFLICT (user_id, device_id) DO UPDATE SET last_pos = e2ee_inbox_counters.last_pos + 1 "
    "RETURNING last_pos"};
inline constexpr pg::Query kInboxSize{
    "e2ee_inbox_size", "SELECT count(*) FROM e2ee_to_device WHERE user_id = $1 AND device_id = $2"};
inline constexpr pg::Query kInsertToDevice{
    "e2ee_insert_to_device",
    "INSERT INTO e2ee_to_device (user_id, device_id, pos, event) VALUES ($1, $2, $3, $4)"};
// m.device_list_update of $1's device $2 for every server of a user joined
// in a room with $1 (remote usernames are "@local:server").
inline constexpr pg::Query kQueueDeviceListUpdate{
    "e2ee_queue_device_list_update",
    "INSERT INTO federation_outgoing (destination, room_id, edu) "
    "SELECT DISTINCT substr(r.username, strpos(r.username, ':') + 1), ''::text, "
    " jsonb_build_object('edu_type', 'm.device_list_update', 'content', jsonb_build_object("
    "  'user_id', '@' || me.username || ':' || $3::text, 'device_id', $2::text, "
    "  'stream_id', $4::bigint, 'prev_id', '[]'::jsonb, 'deleted', $5::boolean))::text "
    "FROM memberships o JOIN memberships v ON v.room_id = o.room_id "
    "JOIN users r ON r.user_id = v.user_id JOIN users me ON me.user_id = o.user_id "
    "WHERE o.user_id = $1 AND o.membership = 'join' AND v.membership = 'join' "
    "AND strpos(r.username, ':') > 0"};
inline constexpr pg::Query kJoinedAnywhere{
    "e2ee_joined_anywhere",
    "SELECT 1 FROM memberships WHERE user_id = $1 AND membership = 'join' LIMIT 1"};
// A sync's to-device read: what the device acknowledged ($3, the position
// its token carries; 0: nothing yet) goes, what follows is read. One
// statement (the CTE's delete runs whether or not it is read).
inline constexpr pg::Query kTakeToDevice{
    "e2ee_take_to_device",
    "WITH acked AS (DELETE FROM e2ee_to_device WHERE user_id = $1 AND device_id = $2 "
    "AND pos <= $3 AND $3 > 0) "
    "SELECT pos, event FROM e2ee_to_device WHERE user_id = $1 AND device_id = $2 AND pos > $3 "
    "ORDER BY pos LIMIT $4"};
inline constexpr pg::Query kRemoveSessionDevices{
    "e2ee_remove_session_devices",
    "DELETE FROM e2ee_devices WHERE session_id = $1 RETURNING user_id, device_id"};
inline constexpr pg::Query kRemoveOneTimeKeys{
    "e2ee_remove_otks", "DELETE FROM e2ee_one_time_keys WHERE user_id = $1 AND device_id = $2"};
inline constexpr pg::Query kRemoveFallbackKeys{
    "e2ee_remove_fallback", "DELETE FROM e2ee_fallback_keys WHERE user_id = $1 AND device_id = $2"};
inline constexpr pg::Query kRemoveInbox{
    "e2ee_remove_inbox", "DELETE FROM e2ee_to_device WHERE user_id = $1 AND device_id = $2"};
inline constexpr pg::Query kForgetTxns{"e2ee_forget_txns",
                                       "DELETE FROM e2ee_to_device_txns WHERE sent_at < $1"};

#undef E2EE_SHARES_ROOM

}  // namespace messenger::messaging::e2ee_queries
