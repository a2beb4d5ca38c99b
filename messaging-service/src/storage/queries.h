// Named, $n-parameterised statements of the messaging store.
#pragma once

#include "common/bus/outbox.h"
#include "common/pg/pg.h"
#include "messaging-service/src/storage/stream_horizon_sql.h"

namespace messenger::messaging::queries {

#define MESSENGER_ROOM_COLUMNS                                                             \
  "room_id, room_version, kind, name, creator, direct_key, direct_read_only, created_at, " \
  "last_seq, depth, tip_event_id, state_group, last_event_at"

// Selected after the room columns: NULL or a JSON array of event ids.
#define MESSENGER_ROOM_SELECT MESSENGER_ROOM_COLUMNS ", array_to_json(fork_extremities)::text"

#define MESSENGER_MESSAGE_COLUMNS "event_id, room_id, seq, sender, pdu, origin_server_ts"

inline constexpr pg::Query kLockRoom{
    "msg_lock_room", "SELECT " MESSENGER_ROOM_SELECT " FROM rooms WHERE room_id = $1 FOR UPDATE"};
inline constexpr pg::Query kGetRoom{
    "msg_get_room", "SELECT " MESSENGER_ROOM_SELECT " FROM rooms WHERE room_id = $1"};
inline constexpr pg::Query kFindDirectRoom{
    "msg_find_direct_room", "SELECT " MESSENGER_ROOM_SELECT " FROM rooms WHERE direct_key = $1"};

// A room of the pair that glare left superseded ("<key>/<room>"), made by
// $2, with $3 joined: read through $3's memberships, not a scan of rooms.
inline constexpr pg::Query kFindSupersededDirectRoom{
    "msg_find_superseded_direct_room",
    "SELECT " MESSENGER_ROOM_SELECT " FROM rooms WHERE room_id IN "
    "(SELECT room_id FROM memberships WHERE user_id = $3 AND membership = 'join') "
    "AND direct_key = $1 || '/' || room_id AND creator = $2 ORDER BY room_id LIMIT 1"};
// Compare-and-set of a room's direct key: no row when it is not $2.
inline constexpr pg::Query kSwapDirectKey{
    "msg_swap_direct_key",
    "UPDATE rooms SET direct_key = $3 WHERE room_id = $1 AND direct_key = $2 RETURNING room_id"};

inline constexpr pg::Query kInsertRoom{
    "msg_insert_room", "INSERT INTO rooms (" MESSENGER_ROOM_COLUMNS
                       ") "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"};

inline constexpr pg::Query kUpdateRoom{
    "msg_update_room",
    "UPDATE rooms SET last_seq = $2, depth = $3, tip_event_id = $4, state_group = $5, "
    "last_event_at = $6, name = $7, last_message_event_id = coalesce($8, last_message_event_id), "
    "fork_extremities = $9::text[] WHERE room_id = $1"};

inline constexpr pg::Query kDeleteCurrentState{
    "msg_delete_current_state",
    "DELETE FROM current_state WHERE room_id = $1 AND type = $2 AND state_key = $3"};

// The hot path of a send: room counters, event, idempotency key and outbox row
// in one atomic statement. Nothing is written when the room is not at seq - 1.
inline constexpr pg::Query kAppendMessage{
    "msg_append_message",
    "WITH r AS (UPDATE rooms SET last_seq = $3, depth = $9, tip_event_id = $1, "
    "  last_event_at = $10, last_message_event_id = $1, fork_extremities = NULL "
    "  WHERE room_id = $2 AND last_seq = $3 - 1 RETURNING room_id, state_group), "
    "e AS (INSERT INTO events (event_id, room_id, seq, sender, type, "
    "  origin_server_ts, state_group, pdu) "
    "  SELECT $1, room_id, $3, $4, 'm.room.message', $5, state_group, $6 FROM r), "
    "s AS (INSERT INTO sent_messages (user_id, device_id, client_msg_id, event_id, request_hash) "
    "  SELECT $4, $7, $8, $1, $14 FROM r), "
    "o AS (" MESSENGER_OUTBOX_INSERT
    "SELECT $11, $12, $13 FROM r), "
    "f AS (INSERT INTO federation_outgoing (destination, room_id, event_id) "
    "  SELECT d, $2, $1 FROM r, unnest($15::text[]) AS d) "
    "SELECT count(*) FROM r"};

// kAppendMessage for many rooms at once (at most one message per room).
inline constexpr pg::Query kAppendMessages{
    "msg_append_messages",
    "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], "
    "  $4::uuid[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[], "
    "  $10::timestamptz[], $11::uuid[], $12::text[], $13::text[], $14::text[], "
    "  $15::text[]) AS v(event_id, "
    "  room_id, seq, sender, ts, pdu, device_id, client_msg_id, depth, at, outbox_id, "
    "  subject, payload, request_hash, destinations)), "
    "r AS (UPDATE rooms SET last_seq = v.seq, depth = v.depth, tip_event_id = v.event_id, "
    "  last_event_at = v.at, last_message_event_id = v.event_id, fork_extremities = NULL FROM v "
    "  WHERE rooms.room_id = v.room_id AND rooms.last_seq = v.seq - 1 "
    "  RETURNING rooms.state_group, v.event_id), "
    "e AS (INSERT INTO events (event_id, room_id, seq, sender, type, "
    "  origin_server_ts, state_group, pdu) SELECT v.event_id, v.room_id, v.seq, "
    "  v.sender, 'm.room.message', v.ts, r.state_group, v.pdu FROM v JOIN r USING (event_id)), "
    "s AS (INSERT INTO sent_messages (user_id, device_id, client_msg_id, event_id, request_hash) "
    "  SELECT v.sender, v.device_id, v.client_msg_id, v.event_id, v.request_hash "
    "  FROM v JOIN r USING (event_id)), "
    "o AS (" MESSENGER_OUTBOX_INSERT
    "  SELECT v.outbox_id, v.subject, v.payload FROM v JOIN r USING (event_id)), "
    "f AS (INSERT INTO federation_outgoing (destination, room_id, event_id) "
    "  SELECT d, v.room_id, v.event_id FROM v JOIN r USING (event_id), "
    "  unnest(v.destinations::text[]) AS d) "
    "SELECT event_id FROM r"};

inline constexpr pg::Query kCurrentStatePdus{
    "msg_current_state_pdus",
    "SELECT e.pdu FROM current_state c JOIN events e USING (event_id) WHERE c.room_id = $1"};

inline constexpr pg::Query kInsertEvent{
    "msg_insert_event",
    "INSERT INTO events (event_id, room_id, seq, sender, type, state_key, "
    "origin_server_ts, state_group, pdu) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};

// A group after $2 (NULL: a chain's first) and the size of its chain's
// snapshot (V055).
inline constexpr pg::Query kInsertStateGroup{
    "msg_insert_state_group",
    "INSERT INTO state_groups (room_id, prev_group, chain_len, snapshot_size) VALUES ($1, $2, "
    "CASE WHEN $2::bigint IS NULL THEN 0 ELSE "
    "(SELECT chain_len + 1 FROM state_groups WHERE group_id = $2) END, "
    "COALESCE((SELECT snapshot_size FROM state_groups WHERE group_id = $2), 0)) "
    "RETURNING group_id, chain_len, snapshot_size"};

// Snapshot group $1 of room $2: its current state with the changes ($3 types,
// $4 state keys, $5 event ids) on top, copied in the database; records its size.
inline constexpr pg::Query kSnapshotCurrentState{
    "msg_snapshot_current_state",
    "WITH c AS (SELECT s.type, s.state_key, s.event_id FROM current_state s "
    "  WHERE s.room_id = $2 AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) "
    "  AS u(t, k) WHERE u.t = s.type AND u.k = s.state_key) "
    "  UNION ALL SELECT * FROM unnest($3::text[], $4::text[], $5::text[])), "
    "ins AS (INSERT INTO state_group_entries (group_id, type, state_key, event_id) "
    "  SELECT $1, * FROM c RETURNING 1) "
    "UPDATE state_groups SET snapshot_size = (SELECT count(*) FROM ins) WHERE group_id = $1"};

inline constexpr pg::Query kSetSnapshotSize{
    "msg_set_snapshot_size", "UPDATE state_groups SET snapshot_size = $2 WHERE group_id = $1"};

inline constexpr pg::Query kInsertStateEntries{
    "msg_insert_state_entries",
    "INSERT INTO state_group_entries (group_id, type, state_key, event_id) "
    "SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])"};

inline constexpr pg::Query kPutCurrentState{
    "msg_put_current_state",
    "INSERT INTO current_state (room_id, type, state_key, event_id) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = $4"};

inline constexpr pg::Query kPutMembership{
    "msg_put_membership",
    "INSERT INTO memberships (room_id, user_id, membership, event_id) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (room_id, user_id) DO UPDATE SET membership = $3, event_id = $4"};

inline constexpr pg::Query kInsertSent{
    "msg_insert_sent",
    "INSERT INTO sent_messages (user_id, device_id, client_msg_id, event_id, request_hash) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"};

inline constexpr pg::Query kFindSent{
    "msg_find_sent",
    "SELECT e.event_id, e.room_id, e.seq, e.sender, e.pdu, e.origin_server_ts, s.request_hash "
    "FROM sent_messages s JOIN events e USING (event_id) "
    "WHERE s.user_id = $1 AND s.device_id = $2 AND s.client_msg_id = $3"};

inline constexpr pg::Query kAdvanceReceipt{
    "msg_advance_receipt",
    "INSERT INTO receipts (room_id, user_id, seq, updated_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (room_id, user_id) DO UPDATE "
    "SET seq = $3, updated_at = $4, stream_pos = nextval('stream_positions'), "
    "xid = pg_current_xact_id() WHERE receipts.seq < $3"};

inline constexpr pg::Query kInsertNotice{
    "msg_insert_notice",
    "INSERT INTO notices (user_id, kind, room_id, other_user) VALUES ($1, $2, $3, $4)"};

inline constexpr pg::Query kSetDirectReadOnly{
    "msg_set_direct_read_only",
    "WITH pair AS (UPDATE rooms SET direct_read_only = $2 WHERE direct_key = $1) "
    // The pair's superseded rooms ("<key>/<room>", glare), among its first user's.
    "UPDATE rooms SET direct_read_only = $2 WHERE starts_with(direct_key, $1 || '/') "
    "AND room_id IN (SELECT room_id FROM memberships WHERE membership = 'join' "
    "  AND user_id = split_part($1, ':', 1)::uuid)"};

inline constexpr pg::Query kAddUser{
    "msg_add_user",
    "INSERT INTO users (user_id, username) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING"};

inline constexpr pg::Query kLocalUsername{
    "msg_local_username", "SELECT username FROM users WHERE user_id = $1 AND NOT remote"};

inline constexpr pg::Query kUsernames{
    "msg_usernames", "SELECT user_id, username FROM users WHERE user_id = ANY($1::uuid[])"};

inline constexpr pg::Query kSigningKey{
    "msg_signing_key", "SELECT key_id, seed FROM server_keys ORDER BY created_at DESC LIMIT 1"};
inline constexpr pg::Query kSaveSigningKey{
    "msg_save_signing_key",
    "INSERT INTO server_keys (key_id, seed, created_at) VALUES ($1, $2, now()) "
    "ON CONFLICT DO NOTHING"};

// The sync stream's horizon and xmax now (stream_horizon_sql.h).
inline constexpr pg::Query kStreamHorizon{
    "msg_stream_horizon", "SELECT lo::text, hi::text FROM (" MESSENGER_STREAM_HORIZON ") h"};

inline constexpr pg::Query kJoinedMembers{
    "msg_joined_members",
    "SELECT user_id FROM memberships WHERE room_id = $1 AND membership = 'join' ORDER BY user_id"};
inline constexpr pg::Query kMembership{
    "msg_membership", "SELECT membership FROM memberships WHERE room_id = $1 AND user_id = $2"};

inline constexpr pg::Query kEventIdAt{
    "msg_event_id_at", "SELECT event_id FROM events WHERE room_id = $1 AND seq = $2"};

inline constexpr pg::Query kMessages{"msg_messages",
                                     "SELECT " MESSENGER_MESSAGE_COLUMNS
                                     " FROM events WHERE room_id = $1 AND type = 'm.room.message' "
                                     "AND ($2::bigint = 0 OR seq < $2) "
                                     "AND NOT EXISTS (SELECT 1 FROM relations r WHERE r.event_id = events.event_id) "
                                     "ORDER BY seq DESC LIMIT $3"};

inline constexpr pg::Query kConversations{
    "msg_conversations",
    "SELECT r.room_id, r.kind, r.name, r.direct_read_only, "
    "lm.event_id, lm.seq, lm.sender, lm.pdu, lm.origin_server_ts, "
    "(SELECT count(*) FROM events e WHERE e.room_id = r.room_id AND e.type = 'm.room.message' "
    "  AND e.seq > coalesce(rc.seq, 0) AND e.sender <> $1 "
    "  AND NOT EXISTS (SELECT 1 FROM relations rl WHERE rl.event_id = e.event_id)), "
    "(SELECT array_agg(mm.user_id::text ORDER BY mm.user_id) FROM memberships mm "
    "  WHERE mm.room_id = r.room_id AND mm.membership = 'join') "
    "FROM memberships m JOIN rooms r USING (room_id) "
    "LEFT JOIN receipts rc ON rc.room_id = r.room_id AND rc.user_id = $1 "
    "LEFT JOIN events lm ON lm.event_id = r.last_message_event_id "
    "WHERE m.user_id = $1 AND m.membership = 'join' "
    "ORDER BY r.last_event_at DESC LIMIT 500"};

// A user's sync feed: messages (with their edits, reactions and redactions)
// and read markers of joined rooms, and notices (the user's own and their
// joined rooms'), of user USER after key KEY ((xid, position)) and below
// BELOW, in key order, at most LIMIT. Messages and read markers are read in
// one of two ways (ROOMS), picked per reader by the store
// (pg_messaging_store.cc, SyncReading):
// - MESSENGER_SYNC_ROOMS_BY_ROOM: room by room, each room its first LIMIT
//   rows (events_by_room_xid, receipts_by_room_xid: V057), on the
//   statement's generic plan, which costs no planning per call. A probe per
//   joined room: for a reader in few rooms (100k messages in 500 groups, a
//   caught-up user in 5: 0.3 ms, 3.3 ms by key on the generic plan, which
//   does not know how far back the key is and reads every room's rows).
// - MESSENGER_SYNC_ROOMS_BY_KEY: by key over all rooms, joined with the
//   reader's memberships, on PostgreSQL's own plan choice: for a reader in
//   many rooms (500 rooms: 1.1 ms, 7.5 ms room by room; bench/sync_plan).
#define MESSENGER_SYNC_ROOMS_BY_ROOM(USER, KEY, LIMIT, BELOW)                              \
  "(SELECT e.xid, e.stream_pos, 'message' AS kind, e.room_id, e.event_id, e.seq, "        \
  "  e.sender::text AS who, e.pdu, e.origin_server_ts "                                    \
  "  FROM memberships m CROSS JOIN LATERAL (SELECT * FROM events e "                       \
  "    WHERE e.room_id = m.room_id AND (e.xid, e.stream_pos) > " KEY " "                    \
  "    AND e.xid < " BELOW " AND e.type IN ('m.room.message', 'm.reaction', 'm.room.redaction') " \
  "    ORDER BY e.xid, e.stream_pos LIMIT " LIMIT ") e "                                   \
  "  WHERE m.user_id = " USER " AND m.membership = 'join' "                               \
  "  ORDER BY e.xid, e.stream_pos LIMIT " LIMIT ") "                                      \
  "UNION ALL "                                                                             \
  "(SELECT c.xid, c.stream_pos, 'seen', c.room_id, NULL, c.seq, c.user_id::text, NULL, NULL " \
  "  FROM memberships m CROSS JOIN LATERAL (SELECT * FROM receipts c "                     \
  "    WHERE c.room_id = m.room_id AND (c.xid, c.stream_pos) > " KEY " "                    \
  "    AND c.xid < " BELOW " ORDER BY c.xid, c.stream_pos LIMIT " LIMIT ") c "            \
  "  WHERE m.user_id = " USER " AND m.membership = 'join' "                               \
  "  ORDER BY c.xid, c.stream_pos LIMIT " LIMIT ") "

#define MESSENGER_SYNC_ROOMS_BY_KEY(USER, KEY, LIMIT, BELOW)                               \
  "(SELECT e.xid, e.stream_pos, 'message' AS kind, e.room_id, e.event_id, e.seq, "        \
  "  e.sender::text AS who, e.pdu, e.origin_server_ts "                                    \
  "  FROM events e JOIN memberships m ON m.room_id = e.room_id "                           \
  "  AND m.user_id = " USER " AND m.membership = 'join' "                                 \
  "  WHERE (e.xid, e.stream_pos) > " KEY " AND e.xid < " BELOW " "                         \
  "  AND e.type IN ('m.room.message', 'm.reaction', 'm.room.redaction') "                  \
  "  ORDER BY e.xid, e.stream_pos LIMIT " LIMIT ") "                                      \
  "UNION ALL "                                                                             \
  "(SELECT c.xid, c.stream_pos, 'seen', c.room_id, NULL, c.seq, c.user_id::text, NULL, NULL " \
  "  FROM receipts c JOIN memberships m ON m.room_id = c.room_id AND m.user_id = " USER " " \
  "  AND m.membership = 'join' "                                                           \
  "  WHERE (c.xid, c.stream_pos) > " KEY " AND c.xid < " BELOW " "                         \
  "  ORDER BY c.xid, c.stream_pos LIMIT " LIMIT ") "

#define MESSENGER_SYNC_FEED(ROOMS, USER, KEY, LIMIT, BELOW)                                \
  ROOMS(USER, KEY, LIMIT, BELOW)                                                           \
  "UNION ALL "                                                                             \
  "(SELECT n.xid, n.stream_pos, n.kind, n.room_id, NULL, NULL, n.other_user::text, NULL, NULL " \
  "  FROM notices n WHERE n.user_id = " USER " "                                          \
  "  AND (n.xid, n.stream_pos) > " KEY " AND n.xid < " BELOW " "                           \
  "  ORDER BY n.xid, n.stream_pos LIMIT " LIMIT ") "                                      \
  "UNION ALL "                                                                             \
  "(SELECT n.xid, n.stream_pos, n.kind, n.room_id, NULL, NULL, n.other_user::text, NULL, NULL " \
  "  FROM room_notices n JOIN memberships m ON m.room_id = n.room_id "                     \
  "  AND m.user_id = " USER " AND m.membership = 'join' "                                 \
  "  WHERE (n.xid, n.stream_pos) > " KEY " AND n.xid < " BELOW " "                         \
  "  ORDER BY n.xid, n.stream_pos LIMIT " LIMIT ") "                                      \
  "ORDER BY 1, 2 LIMIT " LIMIT

#define MESSENGER_SYNC_ROW_COLUMNS \
  "r.xid::text, r.stream_pos, r.kind, r.room_id, r.event_id, r.seq, r.who, r.pdu, r.origin_server_ts"

// User $1's feed after key ($2 xid, $3 position), at most $4 rows, below both
// $5 and the horizon of this statement's snapshot, which is returned with the
// rows (one row of NULLs when there are none). Rows below the horizon never
// change.
#define MESSENGER_SYNC_ROWS(ROOMS)                                                         \
  "WITH h AS (" MESSENGER_STREAM_HORIZON "), "                                              \
  "b AS (SELECT CASE WHEN lo < $5::xid8 THEN lo ELSE $5::xid8 END AS below FROM h), "      \
  "r AS (" MESSENGER_SYNC_FEED(ROOMS, "$1", "($2::xid8, $3::bigint)", "$4",                \
                               "(SELECT below FROM b)") ") "                                \
  "SELECT h.lo::text, h.hi::text, " MESSENGER_SYNC_ROW_COLUMNS " FROM h LEFT JOIN r ON true " \
  "ORDER BY r.xid, r.stream_pos"

// The same for many users in one snapshot: users $1, keys ($2 xids, $3
// positions), at most $4 rows each, below the horizon. Each row carries the
// 1-based index of its request (a request without rows: one row of NULLs).
#define MESSENGER_SYNC_ROWS_MANY(ROOMS)                                                    \
  "WITH h AS (" MESSENGER_STREAM_HORIZON "), "                                              \
  "q AS (SELECT * FROM unnest($1::uuid[], $2::xid8[], $3::bigint[]) WITH ORDINALITY "      \
  "  AS q(u, x, p, i)) "                                                                   \
  "SELECT h.lo::text, h.hi::text, q.i, " MESSENGER_SYNC_ROW_COLUMNS                         \
  " FROM h CROSS JOIN q LEFT JOIN LATERAL (" MESSENGER_SYNC_FEED(ROOMS, "q.u", "(q.x, q.p)", \
                                                                 "$4", "h.lo") ") r ON true " \
  "ORDER BY q.i, r.xid, r.stream_pos"

inline constexpr pg::Query kSyncRows{"msg_sync_rows",
                                     MESSENGER_SYNC_ROWS(MESSENGER_SYNC_ROOMS_BY_ROOM)};
inline constexpr pg::Query kSyncRowsMany{"msg_sync_rows_many",
                                         MESSENGER_SYNC_ROWS_MANY(MESSENGER_SYNC_ROOMS_BY_ROOM)};
inline constexpr pg::Query kSyncRowsByKey{"msg_sync_rows_by_key",
                                          MESSENGER_SYNC_ROWS(MESSENGER_SYNC_ROOMS_BY_KEY)};
inline constexpr pg::Query kSyncRowsManyByKey{
    "msg_sync_rows_many_by_key", MESSENGER_SYNC_ROWS_MANY(MESSENGER_SYNC_ROOMS_BY_KEY)};

// How many rooms each of users $1 has joined (the store's choice of reading).
inline constexpr pg::Query kJoinedRoomCounts{
    "msg_joined_room_counts",
    "SELECT (SELECT count(*) FROM memberships m WHERE m.user_id = u.id "
    "AND m.membership = 'join') FROM unnest($1::uuid[]) WITH ORDINALITY u(id, i) ORDER BY u.i"};

#undef MESSENGER_SYNC_ROWS_MANY
#undef MESSENGER_SYNC_ROWS
#undef MESSENGER_SYNC_FEED
#undef MESSENGER_SYNC_ROOMS_BY_KEY
#undef MESSENGER_SYNC_ROOMS_BY_ROOM
#undef MESSENGER_SYNC_ROW_COLUMNS

// A soft-failed event of another server (V063) has a state group too.
inline constexpr pg::Query kEventStateGroup{
    "msg_event_state_group",
    "SELECT state_group FROM events WHERE event_id = $1 "
    "UNION ALL SELECT state_group FROM federation_soft_failed_events WHERE event_id = $1"};
inline constexpr pg::Query kStateGroupChain{
    "msg_state_group_chain",
    "WITH RECURSIVE chain(group_id, prev_group, depth) AS ("
    "  SELECT group_id, prev_group, 0 FROM state_groups WHERE group_id = $1 "
    "  UNION ALL SELECT g.group_id, g.prev_group, c.depth + 1 FROM state_groups g "
    "  JOIN chain c ON g.group_id = c.prev_group) "
    "SELECT DISTINCT ON (e.type, e.state_key) e.type, e.state_key, e.event_id "
    "FROM chain c JOIN state_group_entries e ON e.group_id = c.group_id "
    "ORDER BY e.type, e.state_key, c.depth"};

#undef MESSENGER_ROOM_COLUMNS
#undef MESSENGER_ROOM_SELECT
#undef MESSENGER_MESSAGE_COLUMNS

// Relations (edits, reactions) and redactions (V031).
inline constexpr pg::Query kInsertRelation{
    "msg_insert_relation",
    "INSERT INTO relations (event_id, room_id, relates_to, rel_type, key, sender, seq) "
    "SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::uuid, $7::bigint "
    "WHERE NOT EXISTS (SELECT 1 FROM redactions WHERE redacts = $3)"};
// Another server's relation: a duplicate reaction is not an error there.
inline constexpr pg::Query kInsertRemoteRelation{
    "msg_insert_remote_relation",
    "INSERT INTO relations (event_id, room_id, relates_to, rel_type, key, sender, seq) "
    "SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::uuid, $7::bigint "
    "WHERE NOT EXISTS (SELECT 1 FROM redactions WHERE redacts = $3) ON CONFLICT DO NOTHING"};
// What a remote relation or redaction names: its room, sender's Matrix id
// and type, whether it is a relation itself or deleted.
inline constexpr pg::Query kRelatedTarget{
    "msg_related_target",
    "SELECT e.room_id, e.pdu::jsonb ->> 'sender', e.type, r.event_id IS NOT NULL, "
    "d.redacts IS NOT NULL FROM events e LEFT JOIN relations r ON r.event_id = e.event_id "
    "LEFT JOIN redactions d ON d.redacts = e.event_id WHERE e.event_id = $1"};
inline constexpr pg::Query kInsertRedaction{
    "msg_insert_redaction",
    "INSERT INTO redactions (redacts, event_id, room_id, origin_server_ts) VALUES ($1, $2, $3, $4)"};
// A message and its edits: redacted together.
inline constexpr pg::Query kPdusToRedact{
    "msg_pdus_to_redact",
    "SELECT event_id, pdu FROM events WHERE event_id = $1 UNION ALL "
    "SELECT e.event_id, e.pdu FROM relations r JOIN events e USING (event_id) "
    "WHERE r.relates_to = $1 AND r.rel_type = 'm.replace'"};
// The redacted PDU $2 of event $1 in place of the original; when $1 is its
// room's current m.room.name, the room's name (the /v1 list's) goes too.
inline constexpr pg::Query kReplaceRedacted{
    "msg_replace_redacted",
    "WITH r AS (UPDATE relations SET redacted = true, key = NULL WHERE event_id = $1), "
    "e AS (UPDATE events SET pdu = $2 WHERE event_id = $1 RETURNING room_id, type) "
    "UPDATE rooms SET name = NULL FROM e JOIN current_state s ON s.room_id = e.room_id "
    "  AND s.type = e.type AND s.state_key = '' AND s.event_id = $1 "
    "WHERE e.type = 'm.room.name' AND rooms.room_id = e.room_id"};
inline constexpr pg::Query kFindTarget{
    "msg_find_target",
    "SELECT e.room_id, e.sender, e.type, e.seq, r.event_id IS NOT NULL, d.redacts IS NOT NULL "
    "FROM events e LEFT JOIN relations r ON r.event_id = e.event_id "
    "LEFT JOIN redactions d ON d.redacts = e.event_id WHERE e.event_id = $1"};
inline constexpr pg::Query kFindReaction{
    "msg_find_reaction",
    "SELECT event_id FROM relations WHERE relates_to = $1 AND key = $2 AND sender = $3 "
    "AND rel_type = 'm.annotation' AND NOT redacted"};
inline constexpr pg::Query kPowerLevelsPdu{
    "msg_power_levels_pdu",
    "SELECT e.pdu FROM current_state c JOIN events e USING (event_id) "
    "WHERE c.room_id = $1 AND c.type = 'm.room.power_levels' AND c.state_key = ''"};
// What the relations add to messages $1 for viewer $2: each one's latest
// edit, its deletion, and its reaction counts per key.
inline constexpr pg::Query kMessageNotes{
    "msg_message_notes",
    "SELECT 'edit', r.relates_to, e.pdu, e.origin_server_ts, 0::bigint, NULL::text FROM "
    "  (SELECT DISTINCT ON (relates_to) relates_to, event_id FROM relations "
    "   WHERE relates_to = ANY($1::text[]) AND rel_type = 'm.replace' AND NOT redacted "
    "   ORDER BY relates_to, seq DESC) r JOIN events e USING (event_id) "
    "UNION ALL SELECT 'deleted', redacts, NULL, origin_server_ts, 0, NULL FROM redactions "
    "  WHERE redacts = ANY($1::text[]) "
    "UNION ALL SELECT 'reaction', relates_to, key, NULL, count(*), NULL "
    "  FROM relations WHERE relates_to = ANY($1::text[]) AND rel_type = 'm.annotation' "
    "  AND NOT redacted GROUP BY relates_to, key "
    // Which of the viewers $2 reacted: one statement serves many polls.
    "UNION ALL SELECT 'mine', relates_to, key, NULL, 0, sender::text "
    "  FROM relations WHERE relates_to = ANY($1::text[]) AND rel_type = 'm.annotation' "
    "  AND NOT redacted AND sender = ANY($2::uuid[]) "
    "ORDER BY 1, 2, 3"};
// The relation and redaction events among $1: the change each one made
// (edited, reaction, deleted) and the message it changed.
inline constexpr pg::Query kRelatedEvents{
    "msg_related_events",
    "SELECT r.event_id, CASE r.rel_type WHEN 'm.replace' THEN 'edited' ELSE 'reaction' END, "
    "  t.event_id, t.room_id, t.seq, t.sender, t.pdu, t.origin_server_ts "
    "FROM relations r JOIN events t ON t.event_id = r.relates_to "
    "WHERE r.event_id = ANY($1::text[]) "
    "UNION ALL SELECT d.event_id, CASE x.rel_type WHEN 'm.annotation' THEN 'reaction' "
    "  WHEN 'm.replace' THEN 'edited' ELSE 'deleted' END, "
    "  t.event_id, t.room_id, t.seq, t.sender, t.pdu, t.origin_server_ts "
    "FROM redactions d LEFT JOIN relations x ON x.event_id = d.redacts "
    "JOIN events t ON t.event_id = coalesce(x.relates_to, d.redacts) "
    "WHERE d.event_id = ANY($1::text[])"};
// Who has seen a message: the joined members whose read marker is at or past
// it. Row 0 always comes (the message's seq, or none for no such message);
// the readers follow, earliest first.
inline constexpr pg::Query kMessageReceipts{
    "msg_message_receipts",
    "WITH msg AS (SELECT seq FROM events WHERE room_id = $1 AND event_id = $2 "
    "             AND type = 'm.room.message') "
    "SELECT user_id, updated_at, seq FROM ("
    " SELECT 0 AS k, NULL::uuid AS user_id, NULL::timestamptz AS updated_at, "
    "        (SELECT seq FROM msg) AS seq "
    " UNION ALL "
    " SELECT 1, rc.user_id, rc.updated_at, rc.seq FROM receipts rc "
    " JOIN memberships m ON m.room_id = rc.room_id AND m.user_id = rc.user_id "
    "   AND m.membership = 'join' "
    " WHERE rc.room_id = $1 AND rc.seq >= (SELECT seq FROM msg)"
    ") x ORDER BY k, updated_at, user_id"};
// Matrix client API: the user's joined rooms.
inline constexpr pg::Query kJoinedRoomIds{
    "msg_joined_room_ids",
    "SELECT room_id FROM memberships WHERE user_id = $1 AND membership = 'join' ORDER BY room_id"};
// Groups: one notice of the room, read by every member joined (V040).
inline constexpr pg::Query kInsertRoomNotices{
    "msg_insert_room_notices",
    "INSERT INTO room_notices (room_id, kind, other_user) VALUES ($1, $2, $3::uuid)"};

inline constexpr pg::Query kFindMembership{
    "msg_find_membership",
    "SELECT m.membership, e.seq FROM memberships m JOIN events e ON e.event_id = m.event_id "
    "WHERE m.room_id = $1 AND m.user_id = $2"};

// Groups left: the name and the last message before the leave event.
inline constexpr pg::Query kLeftConversations{
    "msg_left_conversations",
    "SELECT r.room_id, "
    "(SELECT n.pdu::jsonb->'content'->>'name' FROM events n WHERE n.room_id = r.room_id "
    "  AND n.type = 'm.room.name' AND n.seq < le.seq ORDER BY n.seq DESC LIMIT 1), "
    "lm.event_id, r.room_id, lm.seq, lm.sender, lm.pdu, lm.origin_server_ts "
    "FROM memberships m JOIN rooms r USING (room_id) JOIN events le ON le.event_id = m.event_id "
    "LEFT JOIN LATERAL (SELECT e.event_id, e.seq, e.sender, e.pdu, e.origin_server_ts "
    "  FROM events e WHERE e.room_id = r.room_id AND e.type = 'm.room.message' "
    "  AND e.seq < le.seq ORDER BY e.seq DESC LIMIT 1) lm ON true "
    "WHERE m.user_id = $1 AND m.membership = 'leave' AND r.kind = 'group' "
    "ORDER BY le.origin_server_ts DESC LIMIT 100"};

// Outgoing federation (issue 16): one row per destination.
inline constexpr pg::Query kEnqueueOutgoingPdu{
    "msg_enqueue_outgoing_pdu",
    "INSERT INTO federation_outgoing (destination, room_id, event_id) "
    "SELECT d, $1, $2 FROM unnest($3::text[]) AS d"};

inline constexpr pg::Query kProfileOf{
    "msg_profile_of", "SELECT displayname, avatar_url FROM users WHERE user_id = $1"};

}  // namespace messenger::messaging::queries
