#include "messaging-service/src/federation/federation_room_store.h"

#include "common/status.h"

namespace messenger::federation {
namespace {

// Planned at each execution (2-3 times per received PDU): a cached plan of a
// connection made while `events` was small kept scanning the whole table once
// it had grown (issue 16: 1.5 ms and 343 blocks per call after 4,000 PDUs).
constexpr pg::Query kPdus{
    "fedroom_pdus",
    "SELECT event_id, room_id, pdu, false, NULL::bigint FROM events "
    "WHERE event_id = ANY($1::text[]) "
    "UNION ALL SELECT event_id, room_id, pdu, true, NULL FROM federation_rejected_events "
    "WHERE event_id = ANY($1::text[]) "
    "UNION ALL SELECT event_id, room_id, pdu, false, state_group "
    "FROM federation_soft_failed_events WHERE event_id = ANY($1::text[])",
    true};
constexpr pg::Query kCurrentState{
    "fedroom_current_state",
    "SELECT e.pdu FROM current_state c JOIN events e USING (event_id) WHERE c.room_id = $1"};
constexpr pg::Query kCurrentStateEvent{
    "fedroom_current_state_event",
    "SELECT e.pdu FROM current_state c JOIN events e USING (event_id) "
    "WHERE c.room_id = $1 AND c.type = $2 AND c.state_key = $3"};
// Rooms are linear (room.h): seq orders the DAG.
constexpr pg::Query kBackfill{
    "fedroom_backfill",
    "SELECT pdu FROM events WHERE room_id = $1 AND seq <= "
    "(SELECT max(seq) FROM events WHERE room_id = $1 AND event_id = ANY($2::text[])) "
    "ORDER BY seq DESC LIMIT $3"};
constexpr pg::Query kMissingEvents{
    "fedroom_missing_events",
    "SELECT pdu FROM (SELECT seq, pdu FROM events WHERE room_id = $1 AND seq < "
    "(SELECT max(seq) FROM events WHERE room_id = $1 AND event_id = ANY($3::text[])) "
    "AND seq > COALESCE((SELECT max(seq) FROM events WHERE room_id = $1 "
    "AND event_id = ANY($2::text[])), 0) AND (pdu::jsonb ->> 'depth')::bigint >= $5 "
    "ORDER BY seq DESC LIMIT $4) page ORDER BY seq"};
constexpr pg::Query kInsertRejected{
    "fedroom_insert_rejected",
    "INSERT INTO federation_rejected_events (event_id, room_id, origin, reason, pdu, received_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING"};
constexpr pg::Query kInsertSoftFailed{
    "fedroom_insert_soft_failed",
    "INSERT INTO federation_soft_failed_events (event_id, room_id, origin, reason, pdu, "
    "state_group, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (event_id) DO NOTHING"};
constexpr pg::Query kDeleteSoftFailed{
    "fedroom_delete_soft_failed",
    "DELETE FROM federation_soft_failed_events WHERE event_id = ANY($1::text[])"};
constexpr pg::Query kAddRemoteUser{
    "fedroom_add_remote_user",
    "INSERT INTO users (user_id, username, remote) VALUES ($1, $2, true) "
    "ON CONFLICT (user_id) DO NOTHING"};
constexpr pg::Query kAddRemoteUsers{
    "fedroom_add_remote_users",
    "INSERT INTO users (user_id, username, remote) "
    "SELECT u.id, u.name, true FROM unnest($1::uuid[], $2::text[]) AS u(id, name) "
    "ON CONFLICT (user_id) DO NOTHING"};
constexpr pg::Query kLocalUser{"fedroom_local_user",
                               "SELECT user_id FROM users WHERE username = $1 AND NOT remote"};
constexpr pg::Query kPutInvite{
    "fedroom_put_invite",
    "INSERT INTO federation_invites (room_id, user_id, event_id, origin, invite_state, "
    "received_at) VALUES ($1, $2::uuid, $3, $4, $5, $6) ON CONFLICT (room_id, user_id) DO UPDATE "
    "SET event_id = $3, origin = $4, invite_state = $5, received_at = $6"};
constexpr pg::Query kReplacePdu{"fedroom_replace_pdu",
                                 "UPDATE events SET pdu = $2 WHERE event_id = $1"};
constexpr pg::Query kInviteOrigin{
    "fedroom_invite_origin",
    "SELECT origin FROM federation_invites WHERE room_id = $1 AND user_id = $2::uuid"};
// A PostgreSQL text[] literal; every element quoted.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) {
    if (out.size() > 1) out.push_back(',');
    out.push_back('"');
    for (const char c : v) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::vector<std::string> Column(const pg::Result& r) {
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.GetString(i, 0));
  return out;
}

}  // namespace

absl::StatusOr<std::vector<KnownPdu>> PgFederationRoomStore::Pdus(
    const std::vector<std::string>& event_ids) {
  std::vector<KnownPdu> out;
  if (event_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kPdus, {TextArray(event_ids)}));
  for (int i = 0; i < r.rows(); ++i) {
    KnownPdu& k = out.emplace_back(
        KnownPdu{r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2), r.GetBool(i, 3)});
    if (!r.IsNull(i, 4)) {
      k.soft_failed = true;
      k.soft_failed_state_group = r.GetInt64(i, 4);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> PgFederationRoomStore::CurrentStatePdus(
    const std::string& room_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kCurrentState, {room_id}));
  return Column(r);
}

absl::StatusOr<std::optional<std::string>> PgFederationRoomStore::CurrentStatePdu(
    const std::string& room_id, const std::string& type, const std::string& state_key) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kCurrentStateEvent, {room_id, type, state_key}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::vector<std::string>> PgFederationRoomStore::Backfill(
    const std::string& room_id, const std::vector<std::string>& from, int limit) {
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(kBackfill, {room_id, TextArray(from), static_cast<int64_t>(limit)}));
  return Column(r);
}

absl::StatusOr<std::vector<std::string>> PgFederationRoomStore::MissingEvents(
    const std::string& room_id, const std::vector<std::string>& earliest,
    const std::vector<std::string>& latest, int limit, int64_t min_depth) {
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(kMissingEvents, {room_id, TextArray(earliest), TextArray(latest),
                                               static_cast<int64_t>(limit), min_depth}));
  return Column(r);
}

absl::Status PgFederationRoomStore::InsertRejected(const KnownPdu& pdu, const std::string& origin,
                                                   const std::string& reason, absl::Time now) {
  return pool_.Exec(kInsertRejected, {pdu.event_id, pdu.room_id, origin, reason, pdu.pdu, now})
      .status();
}

absl::Status PgFederationRoomStore::InsertSoftFailed(pg::Tx& tx, const KnownPdu& pdu,
                                                     const std::string& origin,
                                                     const std::string& reason, absl::Time now) {
  return tx
      .Exec(kInsertSoftFailed, {pdu.event_id, pdu.room_id, origin, reason, pdu.pdu,
                                pdu.soft_failed_state_group, now})
      .status();
}

absl::Status PgFederationRoomStore::DeleteSoftFailed(pg::Tx& tx,
                                                     const std::vector<std::string>& event_ids) {
  if (event_ids.empty()) return absl::OkStatus();
  return tx.Exec(kDeleteSoftFailed, {TextArray(event_ids)}).status();
}

absl::Status PgFederationRoomStore::AddRemoteUser(pg::Tx& tx, const std::string& uuid,
                                                  const std::string& matrix_user_id) {
  if (known_users_.Get(uuid)) return absl::OkStatus();
  RETURN_IF_ERROR(tx.Exec(kAddRemoteUser, {uuid, matrix_user_id}).status());
  // Only once committed: a rolled back insert leaves no row.
  tx.AfterCommit([this, uuid] { known_users_.Put(uuid, true); });
  return absl::OkStatus();
}

absl::Status PgFederationRoomStore::AddRemoteUsers(
    pg::Tx& tx, const std::map<std::string, std::string>& users) {
  std::vector<std::string> ids, names;
  for (const auto& [uuid, matrix_user_id] : users) {
    if (known_users_.Get(uuid)) continue;
    ids.push_back(uuid);
    names.push_back(matrix_user_id);
  }
  if (ids.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(tx.Exec(kAddRemoteUsers, {TextArray(ids), TextArray(names)}).status());
  tx.AfterCommit([this, ids] {
    for (const std::string& uuid : ids) known_users_.Put(uuid, true);
  });
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> PgFederationRoomStore::LocalUserId(
    const std::string& localpart) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kLocalUser, {localpart}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::Status PgFederationRoomStore::PutInvite(pg::Tx& tx, const RemoteInvite& invite) {
  return tx
      .Exec(kPutInvite, {invite.room_id, invite.user_id, invite.event_id, invite.origin,
                         invite.invite_state, invite.received_at})
      .status();
}

absl::Status PgFederationRoomStore::ReplacePdu(pg::Tx& tx, const std::string& event_id,
                                               const std::string& pdu) {
  return tx.Exec(kReplacePdu, {event_id, pdu}).status();
}

absl::StatusOr<std::optional<std::string>> PgFederationRoomStore::InviteOrigin(
    const std::string& room_id, const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kInviteOrigin, {room_id, user_id}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

}  // namespace messenger::federation
