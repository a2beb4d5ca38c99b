#include "messaging-service/src/federation/outgoing_store.h"

#include "common/status.h"

namespace messenger::federation {
namespace {

// Queue tables swing in size: planned at every execution (pg::Query).
constexpr pg::Query kDestinations{
    "fed_out_destinations",
    "SELECT o.destination, o.n, coalesce(d.retry_at <= now(), true) "
    "FROM (SELECT destination, count(*) AS n FROM federation_outgoing GROUP BY destination) o "
    "LEFT JOIN federation_destinations d USING (destination) ORDER BY o.destination",
    true};
constexpr pg::Query kEnsureDestination{
    "fed_out_ensure_destination",
    "INSERT INTO federation_destinations (destination) VALUES ($1) ON CONFLICT DO NOTHING"};
// The lease: free, expired or already ours, and not backing off.
constexpr pg::Query kTakeLease{
    "fed_out_take_lease",
    "UPDATE federation_destinations SET lease_owner = $2, "
    "lease_until = now() + $3 * interval '1 millisecond' "
    "WHERE destination = $1 AND retry_at <= now() "
    "AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $2) RETURNING failures"};
constexpr pg::Query kInFlight{
    "fed_out_in_flight",
    "SELECT o.txn_id, e.pdu, o.edu FROM federation_outgoing o LEFT JOIN events e USING (event_id) "
    "WHERE o.destination = $1 AND o.txn_id IS NOT NULL ORDER BY o.id",
    true};
// A new transaction: the oldest rows, named after the first row's id (never
// reused, so a txnId is never taken twice for one destination).
constexpr pg::Query kNewTxn{
    "fed_out_new_txn",
    "WITH c AS (SELECT id FROM federation_outgoing WHERE destination = $1 AND txn_id IS NULL "
    "  ORDER BY id LIMIT $2), "
    "t AS (SELECT 'm' || min(id) AS txn_id FROM c) "
    "UPDATE federation_outgoing o SET txn_id = t.txn_id FROM c, t WHERE o.id = c.id",
    true};
constexpr pg::Query kDelivered{
    "fed_out_delivered",
    "WITH d AS (DELETE FROM federation_outgoing WHERE destination = $1 AND txn_id = $2) "
    "UPDATE federation_destinations SET failures = 0, retry_at = now(), lease_until = NULL "
    "WHERE destination = $1"};
constexpr pg::Query kFailed{"fed_out_failed",
                            "UPDATE federation_destinations SET failures = failures + 1, "
                            "retry_at = now() + $2 * interval '1 millisecond', lease_until = NULL "
                            "WHERE destination = $1"};
constexpr pg::Query kTrim{
    "fed_out_trim",
    "DELETE FROM federation_outgoing WHERE id IN (SELECT id FROM federation_outgoing "
    "  WHERE destination = $1 AND txn_id IS NULL ORDER BY id "
    "  LIMIT greatest(0, (SELECT count(*) FROM federation_outgoing WHERE destination = $1) - $2))",
    true};
// An EDU row (V047, V059): no event, no room.
constexpr pg::Query kQueueEdu{
    "fed_out_queue_edu",
    "INSERT INTO federation_outgoing (destination, room_id, edu) VALUES ($1, '', $2)"};

}  // namespace

absl::StatusOr<std::vector<QueuedDestination>> PgOutgoingStore::Destinations() {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kDestinations));
  std::vector<QueuedDestination> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.GetString(i, 0), r.GetInt64(i, 1), r.Get(i, 2) == "t"});
  }
  return out;
}

absl::StatusOr<std::optional<OutgoingTxn>> PgOutgoingStore::Claim(const std::string& destination,
                                                                  const std::string& owner,
                                                                  absl::Duration lease,
                                                                  int max_pdus) {
  std::optional<OutgoingTxn> txn;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    txn.reset();
    RETURN_IF_ERROR(tx.Exec(kEnsureDestination, {destination}).status());
    ASSIGN_OR_RETURN(pg::Result leased,
                     tx.Exec(kTakeLease, {destination, owner, absl::ToInt64Milliseconds(lease)}));
    if (leased.rows() == 0) return absl::OkStatus();
    const int failures = static_cast<int>(leased.GetInt64(0, 0));
    ASSIGN_OR_RETURN(pg::Result rows, tx.Exec(kInFlight, {destination}));
    if (rows.rows() == 0) {
      RETURN_IF_ERROR(tx.Exec(kNewTxn, {destination, max_pdus}).status());
      ASSIGN_OR_RETURN(rows, tx.Exec(kInFlight, {destination}));
    }
    if (rows.rows() == 0) return absl::OkStatus();
    txn = OutgoingTxn{.txn_id = rows.GetString(0, 0), .failures = failures};
    for (int i = 0; i < rows.rows(); ++i) {
      if (!rows.IsNull(i, 1)) txn->pdus.push_back(rows.GetString(i, 1));
      if (!rows.IsNull(i, 2)) txn->edus.push_back(rows.GetString(i, 2));
    }
    return absl::OkStatus();
  }));
  return txn;
}

absl::Status PgOutgoingStore::Delivered(const std::string& destination, const std::string& txn_id) {
  return pool_.Exec(kDelivered, {destination, txn_id}).status();
}

absl::Status PgOutgoingStore::Failed(const std::string& destination, absl::Duration delay) {
  return pool_.Exec(kFailed, {destination, absl::ToInt64Milliseconds(delay)}).status();
}

absl::StatusOr<int64_t> PgOutgoingStore::Trim(const std::string& destination, int64_t limit) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kTrim, {destination, limit}));
  return r.affected();
}

absl::Status PgOutgoingStore::QueueEdu(pg::Tx& tx, const std::string& destination,
                                       const std::string& edu_json) {
  return tx.Exec(kQueueEdu, {destination, edu_json}).status();
}

}  // namespace messenger::federation
