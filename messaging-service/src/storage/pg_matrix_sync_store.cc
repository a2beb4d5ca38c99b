#include "messaging-service/src/storage/pg_matrix_sync_store.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "common/status.h"
#include "messaging-service/src/storage/generic_plan.h"
#include "messaging-service/src/storage/stream_horizon_sql.h"

namespace messenger::messaging {
namespace {

// Rows of the stream (events, receipts: each) a changed-rooms read takes by
// key before it asks room by room instead.
constexpr int64_t kChangedRoomsKeyRows = 256;

// Lists go in as JSON arrays (json_array_elements_text), one parameter each.
#define MESSENGER_EVENT_COLUMNS                                                             \
  "e.event_id, e.room_id, e.seq, e.type, e.state_key, e.sender::text, e.pdu, e.xid::text, " \
  "e.stream_pos"

constexpr pg::Query kHorizon{"mxs_horizon",
                             "SELECT lo::text FROM (" MESSENGER_STREAM_HORIZON ") h"};
constexpr pg::Query kUserRooms{
    "mxs_user_rooms",
    "SELECT m.room_id, m.membership, m.event_id, e.seq, e.xid::text, e.stream_pos "
    "FROM memberships m JOIN events e ON e.event_id = m.event_id "
    "WHERE m.user_id = $1::uuid "
    "AND ($2::json IS NULL OR m.room_id IN (SELECT json_array_elements_text($2::json)))"};
constexpr pg::Query kChangedRooms{
    "mxs_changed_rooms",
    "SELECT DISTINCT e.room_id FROM events e JOIN memberships m ON m.room_id = e.room_id "
    "AND m.user_id = $1::uuid WHERE (e.xid, e.stream_pos) > ($2::xid8, $3::bigint) "
    "AND e.xid < $4::xid8 "
    "UNION SELECT DISTINCT c.room_id FROM receipts c JOIN memberships m "
    "ON m.room_id = c.room_id AND m.user_id = $1::uuid AND m.membership = 'join' "
    "WHERE (c.xid, c.stream_pos) > ($2::xid8, $3::bigint) AND c.xid < $4::xid8"};
// The same rooms read by key: the stream's rows after the token in order,
// at most $5 of events and of receipts, each kept when the user is in its
// room. A wake's token is recent: a few rows, where room by room (above)
// probes every room of the user (a reader in 500 rooms: 3-7 ms a call on the
// Matrix wake bench). The ORDER BY ... LIMIT keeps the plan on the key's
// index whatever the parameters. `truncated` (every row carries it; one
// row of NULL rooms when none): a limit was reached, ask room by room.
constexpr pg::Query kChangedRoomsByKey{
    "mxs_changed_rooms_by_key",
    "WITH n AS MATERIALIZED (SELECT e.room_id FROM events e "
    "  WHERE (e.xid, e.stream_pos) > ($2::xid8, $3::bigint) AND e.xid < $4::xid8 "
    "  ORDER BY e.xid, e.stream_pos LIMIT $5), "
    "c AS MATERIALIZED (SELECT r.room_id FROM receipts r "
    "  WHERE (r.xid, r.stream_pos) > ($2::xid8, $3::bigint) AND r.xid < $4::xid8 "
    "  ORDER BY r.xid, r.stream_pos LIMIT $5), "
    "t AS (SELECT (SELECT count(*) FROM n) >= $5 OR (SELECT count(*) FROM c) >= $5 AS truncated) "
    "SELECT t.truncated, x.room_id FROM t LEFT JOIN ("
    "  SELECT n.room_id FROM n WHERE EXISTS (SELECT 1 FROM memberships m "
    "    WHERE m.room_id = n.room_id AND m.user_id = $1::uuid) "
    "  UNION SELECT c.room_id FROM c WHERE EXISTS (SELECT 1 FROM memberships m "
    "    WHERE m.room_id = c.room_id AND m.user_id = $1::uuid AND m.membership = 'join')"
    ") x ON NOT t.truncated"};
constexpr pg::Query kEvents{
    "mxs_events",
    "SELECT " MESSENGER_EVENT_COLUMNS
    " FROM events e WHERE e.room_id = $1 AND (e.xid, e.stream_pos) > ($2::xid8, $3::bigint) "
    "AND e.xid < $4::xid8 AND e.seq > $5::bigint AND ($6::bigint = 0 OR e.seq < $6::bigint) "
    "AND ($7::json IS NULL OR e.type LIKE ANY (SELECT json_array_elements_text($7::json))) "
    "AND NOT (e.type LIKE ANY (SELECT json_array_elements_text($8::json))) "
    "ORDER BY CASE WHEN $9::bool THEN e.seq ELSE -e.seq END LIMIT $10"};
constexpr pg::Query kEvent{
    "mxs_event", "SELECT " MESSENGER_EVENT_COLUMNS " FROM events e WHERE e.event_id = $1"};
constexpr pg::Query kCurrentState{"mxs_current_state",
                                  "SELECT " MESSENGER_EVENT_COLUMNS
                                  " FROM current_state c JOIN events e ON e.event_id = c.event_id "
                                  "WHERE c.room_id IN (SELECT json_array_elements_text($1::json))"};
constexpr pg::Query kStateSince{
    "mxs_state_since",
    "SELECT " MESSENGER_EVENT_COLUMNS
    " FROM events e JOIN current_state c ON c.event_id = e.event_id "
    "WHERE e.room_id IN (SELECT json_array_elements_text($1::json)) "
    "AND e.state_key IS NOT NULL "
    "AND (e.xid, e.stream_pos) > ($2::xid8, $3::bigint) AND e.xid < $4::xid8"};
constexpr pg::Query kRemoteInviteStates{
    "mxs_remote_invite_states",
    "SELECT f.room_id, f.invite_state FROM federation_invites f JOIN memberships m "
    "ON m.room_id = f.room_id AND m.user_id = f.user_id AND m.event_id = f.event_id "
    "WHERE f.user_id = $1::uuid AND f.room_id IN (SELECT json_array_elements_text($2::json))"};
constexpr pg::Query kReceipts{
    "mxs_receipts",
    "SELECT c.room_id, c.user_id::text, e.event_id, "
    "(extract(epoch FROM c.updated_at) * 1000)::bigint "
    "FROM receipts c JOIN events e ON e.room_id = c.room_id AND e.seq = c.seq "
    "WHERE c.room_id IN (SELECT json_array_elements_text($1::json)) "
    "AND (c.xid, c.stream_pos) > ($2::xid8, $3::bigint) AND c.xid < $4::xid8"};
// Unread as /v1 counts it (kConversations): others' messages past the
// marker. The summary's subqueries run only for the rooms of $3 (CASE
// evaluates them lazily).
constexpr pg::Query kCounts{
    "mxs_counts",
    "SELECT r.room_id, s.summary, "
    "CASE WHEN s.summary THEN (SELECT count(*) FROM memberships m "
    "  WHERE m.room_id = r.room_id AND m.membership = 'join') END, "
    "CASE WHEN s.summary THEN (SELECT count(*) FROM memberships m "
    "  WHERE m.room_id = r.room_id AND m.membership = 'invite') END, "
    "(SELECT count(*) FROM events e WHERE e.room_id = r.room_id AND e.type = 'm.room.message' "
    "  AND e.seq > coalesce((SELECT c.seq FROM receipts c WHERE c.room_id = r.room_id "
    "  AND c.user_id = $2::uuid), 0) AND e.sender <> $2::uuid "
    "  AND NOT EXISTS (SELECT 1 FROM relations rl WHERE rl.event_id = e.event_id)), "
    "CASE WHEN s.summary THEN (SELECT coalesce(json_agg(h.user_id), '[]')::text FROM "
    "  (SELECT m.user_id::text FROM memberships m WHERE m.room_id = r.room_id "
    "  AND m.membership IN ('join', 'invite') AND m.user_id <> $2::uuid "
    "  ORDER BY m.user_id LIMIT 5) h) END "
    "FROM json_array_elements_text($1::json) r(room_id) CROSS JOIN LATERAL "
    "(SELECT r.room_id IN (SELECT json_array_elements_text($3::json)) AS summary) s"};
constexpr pg::Query kFindFilter{
    "mxs_find_filter",
    "SELECT filter_id, (SELECT count(*) FROM matrix_filters WHERE user_id = $1::uuid) "
    "FROM matrix_filters WHERE user_id = $1::uuid AND md5(filter) = md5($2) AND filter = $2 "
    "UNION ALL SELECT NULL, (SELECT count(*) FROM matrix_filters WHERE user_id = $1::uuid) "
    "ORDER BY 1 NULLS LAST LIMIT 1"};
constexpr pg::Query kInsertFilter{
    "mxs_insert_filter",
    "INSERT INTO matrix_filters (user_id, filter) VALUES ($1::uuid, $2) RETURNING filter_id"};
constexpr pg::Query kGetFilter{
    "mxs_get_filter",
    "SELECT filter FROM matrix_filters WHERE user_id = $1::uuid AND filter_id = $2"};
constexpr pg::Query kSentKeys{"mxs_sent_keys",
                              "SELECT event_id, client_msg_id FROM sent_messages "
                              "WHERE event_id IN (SELECT json_array_elements_text($3::json)) "
                              "AND user_id = $1::uuid AND device_id = $2"};
// Per room the same conditions as kEvents going back; LATERAL with LIMIT
// walks each room's (room_id, seq) index from its end, reading only the rows
// it answers, where a ROW_NUMBER() window would read every room's whole
// history.
constexpr pg::Query kNewestEvents{
    "mxs_newest_events",
    "SELECT " MESSENGER_EVENT_COLUMNS
    " FROM json_to_recordset($1::json) AS r(room_id text, after_xid text, after_pos bigint, "
    "before_seq bigint) "
    "CROSS JOIN LATERAL (SELECT * FROM events e WHERE e.room_id = r.room_id "
    "AND (e.xid, e.stream_pos) > (r.after_xid::xid8, r.after_pos) AND e.xid < $2::xid8 "
    "AND (r.before_seq = 0 OR e.seq < r.before_seq) "
    "AND ($3::json IS NULL OR e.type LIKE ANY (SELECT json_array_elements_text($3::json))) "
    "AND NOT (e.type LIKE ANY (SELECT json_array_elements_text($4::json))) "
    "ORDER BY e.seq DESC LIMIT $5) e"};
constexpr pg::Query kRelations{
    "mxs_relations", "SELECT " MESSENGER_EVENT_COLUMNS
                     " FROM relations rl JOIN events e ON e.event_id = rl.event_id "
                     "WHERE rl.relates_to = $1 AND rl.room_id = $2 AND NOT rl.redacted "
                     "AND ($3 = '' OR rl.rel_type = $3) AND ($4 = '' OR e.type = $4) "
                     "AND (e.xid, e.stream_pos) > ($5::xid8, $6::bigint) AND e.xid < $7::xid8 "
                     "AND e.seq > $8::bigint AND ($9::bigint = 0 OR e.seq < $9::bigint) "
                     "ORDER BY CASE WHEN $10::bool THEN e.seq ELSE -e.seq END LIMIT $11"};
// The state group of the newest event below the bound, walked up its chain
// (the nearest group's entry of each key wins).
constexpr pg::Query kStateAt{
    "mxs_state_at",
    "WITH RECURSIVE at AS (SELECT state_group FROM events WHERE room_id = $1 "
    "  AND ($2::bigint = 0 OR seq < $2::bigint) ORDER BY seq DESC LIMIT 1), "
    "chain(group_id, prev_group, depth) AS ("
    "  SELECT g.group_id, g.prev_group, 0 FROM state_groups g JOIN at ON g.group_id = "
    "at.state_group "
    "  UNION ALL SELECT g.group_id, g.prev_group, c.depth + 1 FROM state_groups g "
    "  JOIN chain c ON g.group_id = c.prev_group), "
    "entries AS (SELECT DISTINCT ON (s.type, s.state_key) s.event_id "
    "  FROM chain c JOIN state_group_entries s ON s.group_id = c.group_id "
    "  ORDER BY s.type, s.state_key, c.depth) "
    "SELECT " MESSENGER_EVENT_COLUMNS " FROM entries x JOIN events e ON e.event_id = x.event_id"};
// The latest edit of each event by its sender (relations_by_target).
constexpr pg::Query kReplacements{
    "mxs_replacements",
    "SELECT DISTINCT ON (rl.relates_to) " MESSENGER_EVENT_COLUMNS
    ", rl.relates_to FROM relations rl JOIN events o ON o.event_id = rl.relates_to "
    "JOIN events e ON e.event_id = rl.event_id "
    "WHERE rl.relates_to IN (SELECT json_array_elements_text($1::json)) "
    "AND rl.rel_type = 'm.replace' AND NOT rl.redacted AND rl.sender = o.sender "
    "ORDER BY rl.relates_to, rl.seq DESC"};

#undef MESSENGER_EVENT_COLUMNS

uint64_t XidAt(const pg::Result& r, int row, int col) {
  const std::string text = r.GetString(row, col);
  uint64_t xid = 0;
  (void)absl::SimpleAtoi(text, &xid);
  return xid;
}

std::string JsonList(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }

std::vector<SyncedEvent> EventsFrom(const pg::Result& r) {
  std::vector<SyncedEvent> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    SyncedEvent e;
    e.event_id = r.GetString(i, 0);
    e.room_id = r.GetString(i, 1);
    e.seq = r.GetInt64(i, 2);
    e.type = r.GetString(i, 3);
    if (!r.IsNull(i, 4)) e.state_key = r.GetString(i, 4);
    e.sender = r.GetString(i, 5);
    e.pdu = r.GetString(i, 6);
    e.key = {XidAt(r, i, 7), r.GetInt64(i, 8)};
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

absl::StatusOr<uint64_t> PgMatrixSyncStore::Horizon() {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kHorizon));
  return XidAt(r, 0, 0);
}

absl::StatusOr<std::vector<UserRoom>> PgMatrixSyncStore::UserRooms(
    const std::string& user_id, const std::optional<std::vector<std::string>>& room_ids) {
  const pg::Param rooms = room_ids ? pg::Param(JsonList(*room_ids)) : pg::Param(nullptr);
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kUserRooms, {user_id, rooms}));
  std::vector<UserRoom> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2), r.GetInt64(i, 3),
                   SyncKey{XidAt(r, i, 4), r.GetInt64(i, 5)}});
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> PgMatrixSyncStore::ChangedRooms(const std::string& user_id,
                                                                         SyncKey since,
                                                                         uint64_t below_xid) {
  const std::string xid = std::to_string(since.xid), below = std::to_string(below_xid);
  std::vector<std::string> out;
  ASSIGN_OR_RETURN(pg::Result by_key, pool_.Exec(kChangedRoomsByKey, {user_id, xid, since.pos,
                                                                      below, kChangedRoomsKeyRows}));
  if (by_key.rows() > 0 && !by_key.GetBool(0, 0)) {
    for (int i = 0; i < by_key.rows(); ++i) {
      if (!by_key.IsNull(i, 1)) out.push_back(by_key.GetString(i, 1));
    }
    return out;
  }
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kChangedRooms, {user_id, xid, since.pos, below}));
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.GetString(i, 0));
  return out;
}

absl::StatusOr<std::vector<SyncedEvent>> PgMatrixSyncStore::Events(const EventRange& range) {
  ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec(kEvents, {range.room_id, std::to_string(range.after_key.xid), range.after_key.pos,
                           std::to_string(range.below_xid), range.after_seq, range.before_seq,
                           range.like_types ? pg::Param(JsonList(*range.like_types)) : nullptr,
                           JsonList(range.like_not_types), range.forward, range.limit}));
  return EventsFrom(r);
}

absl::StatusOr<std::optional<SyncedEvent>> PgMatrixSyncStore::Event(const std::string& event_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kEvent, {event_id}));
  std::vector<SyncedEvent> events = EventsFrom(r);
  if (events.empty()) return std::nullopt;
  return std::move(events.front());
}

absl::StatusOr<std::map<std::string, std::string>> PgMatrixSyncStore::RemoteInviteStates(
    const std::string& user_id, const std::vector<std::string>& room_ids) {
  std::map<std::string, std::string> out;
  if (room_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kRemoteInviteStates, {user_id, JsonList(room_ids)}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetString(i, 0)] = r.GetString(i, 1);
  return out;
}

absl::StatusOr<std::vector<SyncedEvent>> PgMatrixSyncStore::CurrentState(
    const std::vector<std::string>& room_ids) {
  if (room_ids.empty()) return std::vector<SyncedEvent>{};
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kCurrentState, {JsonList(room_ids)}));
  return EventsFrom(r);
}

absl::StatusOr<std::vector<SyncedEvent>> PgMatrixSyncStore::StateSince(
    const std::vector<std::string>& room_ids, SyncKey since, uint64_t below_xid) {
  if (room_ids.empty()) return std::vector<SyncedEvent>{};
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(kStateSince, {JsonList(room_ids), std::to_string(since.xid),
                                            since.pos, std::to_string(below_xid)}));
  return EventsFrom(r);
}

absl::StatusOr<std::vector<RoomReceipt>> PgMatrixSyncStore::Receipts(
    const std::vector<std::string>& room_ids, SyncKey since, uint64_t below_xid) {
  std::vector<RoomReceipt> out;
  if (room_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(kReceipts, {JsonList(room_ids), std::to_string(since.xid), since.pos,
                                          std::to_string(below_xid)}));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2), r.GetInt64(i, 3)});
  }
  return out;
}

absl::StatusOr<std::map<std::string, RoomCounts>> PgMatrixSyncStore::Counts(
    const std::string& user_id, const std::vector<std::string>& room_ids,
    const std::vector<std::string>& summary_room_ids) {
  std::map<std::string, RoomCounts> out;
  if (room_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kCounts, {JsonList(room_ids), user_id,
                                                      JsonList(summary_room_ids)}));
  for (int i = 0; i < r.rows(); ++i) {
    RoomCounts& c = out[r.GetString(i, 0)];
    c.unread = r.GetInt64(i, 4);
    c.summary = r.GetBool(i, 1);
    if (!c.summary) continue;
    c.joined = r.GetInt64(i, 2);
    c.invited = r.GetInt64(i, 3);
    nlohmann::json heroes = nlohmann::json::parse(r.GetString(i, 5), nullptr, false);
    if (heroes.is_array()) {
      for (const auto& h : heroes) {
        if (h.is_string()) c.heroes.push_back(h.get<std::string>());
      }
    }
  }
  return out;
}

absl::StatusOr<int64_t> PgMatrixSyncStore::PutFilter(const std::string& user_id,
                                                     const std::string& json, int max_per_user) {
  ASSIGN_OR_RETURN(pg::Result found, pool_.Exec(kFindFilter, {user_id, json}));
  if (!found.IsNull(0, 0)) return found.GetInt64(0, 0);
  if (found.GetInt64(0, 1) >= max_per_user) {
    return absl::ResourceExhaustedError("too many filters stored for this user");
  }
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kInsertFilter, {user_id, json}));
  return r.GetInt64(0, 0);
}

absl::StatusOr<std::optional<std::string>> PgMatrixSyncStore::GetFilter(const std::string& user_id,
                                                                        int64_t filter_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kGetFilter, {user_id, filter_id}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::map<std::string, std::string>> PgMatrixSyncStore::SentKeys(
    const std::string& user_id, const std::string& device_id,
    const std::vector<std::string>& event_ids) {
  std::map<std::string, std::string> out;
  if (event_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kSentKeys, {user_id, device_id, JsonList(event_ids)}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetString(i, 0)] = r.GetString(i, 1);
  return out;
}

absl::StatusOr<std::vector<SyncedEvent>> PgMatrixSyncStore::NewestEvents(const RoomsRange& range) {
  if (range.rooms.empty()) return std::vector<SyncedEvent>{};
  nlohmann::json rooms = nlohmann::json::array();
  for (const RoomsRange::Room& room : range.rooms) {
    rooms.push_back({{"room_id", room.room_id},
                     {"after_xid", std::to_string(room.after_key.xid)},
                     {"after_pos", room.after_key.pos},
                     {"before_seq", room.before_seq}});
  }
  // A wake reads a few rooms: planned at each call that cost as much as the
  // read (0.3 ms at a wake in a group of 300, pg_stat_statements), so it
  // runs on its generic plan. A read of many rooms (an initial sync) keeps
  // PostgreSQL's choice: on the 500-room sync bench the generic plan looked
  // no better (runs within the noise).
  constexpr size_t kGenericPlanRooms = 8;
  const std::vector<pg::Param> params = {
      rooms.dump(), std::to_string(range.below_xid),
      range.like_types ? pg::Param(JsonList(*range.like_types)) : nullptr,
      JsonList(range.like_not_types), range.limit};
  ASSIGN_OR_RETURN(pg::Result r, range.rooms.size() <= kGenericPlanRooms
                                     ? ExecOnGenericPlan(pool_, kNewestEvents, params)
                                     : pool_.Exec(kNewestEvents, params));
  return EventsFrom(r);
}

absl::StatusOr<std::vector<SyncedEvent>> PgMatrixSyncStore::Relations(const RelationRange& range) {
  const EventRange& e = range.events;
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(kRelations, {range.relates_to, e.room_id, range.rel_type,
                                           range.event_type, std::to_string(e.after_key.xid),
                                           e.after_key.pos, std::to_string(e.below_xid),
                                           e.after_seq, e.before_seq, e.forward, e.limit}));
  return EventsFrom(r);
}

absl::StatusOr<std::vector<SyncedEvent>> PgMatrixSyncStore::StateAt(const std::string& room_id,
                                                                    int64_t before_seq) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kStateAt, {room_id, before_seq}));
  return EventsFrom(r);
}

absl::StatusOr<std::map<std::string, SyncedEvent>> PgMatrixSyncStore::Replacements(
    const std::vector<std::string>& event_ids) {
  std::map<std::string, SyncedEvent> out;
  if (event_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kReplacements, {JsonList(event_ids)}));
  std::vector<SyncedEvent> edits = EventsFrom(r);
  for (int i = 0; i < r.rows(); ++i) out.emplace(r.GetString(i, 9), std::move(edits[i]));
  return out;
}

}  // namespace messenger::messaging
