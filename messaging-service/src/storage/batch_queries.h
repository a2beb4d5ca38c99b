// Statements that write a batch of one room's events with one round trip per
// table (issue 15): arrays in, unnest ... WITH ORDINALITY keeps their order.
#pragma once

#include "common/bus/outbox.h"
#include "common/pg/pg.h"

namespace messenger::messaging::queries {

// One state group per entry ($3 types, $4 state keys, $5 event ids) of room
// $1, each on top of the one before, the first on $2 (NULL: none). The last
// is a snapshot root (no prev, no entries: filled from current_state by the
// caller) when its chain reaches greatest($6, snapshot size / $7), the bound
// of NewStateGroup. Group ids in order, and whether each is that snapshot.
inline constexpr pg::Query kInsertStateGroupChain{
    "msg_insert_state_group_chain",
    "WITH base AS (SELECT chain_len, snapshot_size FROM state_groups WHERE group_id = $2), "
    "g AS (SELECT u.ord, u.t, u.k, u.e, "
    "  nextval(pg_get_serial_sequence('state_groups', 'group_id')) AS id "
    "  FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(t, k, e, ord) "
    "  ORDER BY u.ord), "
    "c AS (SELECT g.*, lag(g.id) OVER (ORDER BY g.ord) AS prev, "
    "  COALESCE((SELECT chain_len FROM base), -1) + g.ord AS len, "
    "  COALESCE((SELECT snapshot_size FROM base), 0) AS size FROM g), "
    "s AS (SELECT c.*, (c.ord = cardinality($3::text[]) "
    "  AND c.len >= greatest($6::bigint, c.size / $7::bigint)) AS snap FROM c), "
    "ins AS (INSERT INTO state_groups (group_id, room_id, prev_group, chain_len, snapshot_size) "
    "  SELECT id, $1, CASE WHEN snap THEN NULL ELSE COALESCE(prev, $2::bigint) END, "
    "  CASE WHEN snap THEN 0 ELSE len END, size FROM s), "
    "ent AS (INSERT INTO state_group_entries (group_id, type, state_key, event_id) "
    "  SELECT id, t, k, e FROM s WHERE NOT snap) "
    "SELECT id, snap FROM s ORDER BY ord"};

inline constexpr pg::Query kInsertEvents{
    "msg_insert_events",
    "INSERT INTO events (event_id, room_id, seq, sender, type, state_key, "
    "origin_server_ts, state_group, pdu) "
    "SELECT u.event_id, u.room_id, u.seq, u.sender, u.type, u.state_key, u.ts, u.sg, u.pdu "
    "FROM unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], "
    "  $7::bigint[], $8::bigint[], $9::text[]) WITH ORDINALITY "
    "  AS u(event_id, room_id, seq, sender, type, state_key, ts, sg, pdu, ord) "
    "ORDER BY u.ord"};

// Entries with distinct keys (ON CONFLICT touches a row once per statement).
inline constexpr pg::Query kPutCurrentStates{
    "msg_put_current_states",
    "INSERT INTO current_state (room_id, type, state_key, event_id) "
    "SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[]) "
    "ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = EXCLUDED.event_id"};

// Distinct users, as above.
inline constexpr pg::Query kPutMemberships{
    "msg_put_memberships",
    "INSERT INTO memberships (room_id, user_id, membership, event_id) "
    "SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[]) "
    "ON CONFLICT (room_id, user_id) DO UPDATE "
    "SET membership = EXCLUDED.membership, event_id = EXCLUDED.event_id"};

// ($2 event id, $3 destination) pairs of room $1.
inline constexpr pg::Query kEnqueueOutgoingPdus{
    "msg_enqueue_outgoing_pdus",
    "INSERT INTO federation_outgoing (destination, room_id, event_id) "
    "SELECT u.d, $1, u.e FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(e, d, ord) "
    "ORDER BY u.ord"};

inline constexpr pg::Query kProfilesOf{
    "msg_profiles_of",
    "SELECT user_id, displayname, avatar_url FROM users WHERE user_id = ANY($1::uuid[]) "
    "AND (displayname IS NOT NULL OR avatar_url IS NOT NULL)"};

inline constexpr pg::Query kEnqueueAll{
    "msg_enqueue_all", MESSENGER_OUTBOX_INSERT
    "SELECT u.id, u.subject, u.payload FROM unnest($1::uuid[], $2::text[], $3::text[]) "
    "WITH ORDINALITY AS u(id, subject, payload, ord) ORDER BY u.ord"};

inline constexpr pg::Query kInsertNotices{
    "msg_insert_notices",
    "INSERT INTO notices (user_id, kind, room_id, other_user) "
    "SELECT u.user_id, $2, $3, $4::uuid FROM unnest($1::uuid[]) WITH ORDINALITY "
    "AS u(user_id, ord) ORDER BY u.ord"};

inline constexpr pg::Query kInsertRoomNoticesAbout{
    "msg_insert_room_notices_about",
    "INSERT INTO room_notices (room_id, kind, other_user) "
    "SELECT $1, $2, u.other FROM unnest($3::uuid[]) WITH ORDINALITY AS u(other, ord) "
    "ORDER BY u.ord"};

inline constexpr pg::Query kMembershipsOf{
    "msg_memberships_of",
    "SELECT user_id, membership FROM memberships WHERE room_id = $1 "
    "AND user_id = ANY($2::uuid[])"};

}  // namespace messenger::messaging::queries
