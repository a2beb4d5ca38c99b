// The sync stream's horizon (sync_position.h) as SQL, for every query that
// reads below it: a subquery with one row, `lo` (the horizon) and `hi` (the
// snapshot's xmax: every xid committed before the snapshot is below it).
//
// Not the snapshot's xmin: that is cluster-wide, so a transaction of another
// database (auth, profile, a test database, an ops job) would hold back
// every sync until it ends. The horizon is the least of: the xids running
// at the snapshot that are not proven to be another database's
// (pg_stat_activity shows it as backend_xid of a session of another datid),
// our own xid if we have one (a snapshot leaves it out of its running set),
// and xmax. Safe:
// rows come only from this database's transactions; below the horizon, xids
// under xmin have ended, those not running at the snapshot ended before it,
// and the running ones are other databases', which never write our rows;
// every later transaction gets an xid >= xmax. An xid not proven foreign
// (ended meanwhile, prepared, a worker without datid) counts as ours: that
// only holds the horizon back. backend_xid is a 32-bit xid: compared with
// the low bits of the xid8 (xid(xid8)), unambiguous for running xids.
// pg_stat_activity is read once per transaction, after the snapshot when
// the statement is the transaction's first look at it (all ours run alone):
// an xid it pairs with a stale datid (a backend slot reused meanwhile) came
// after the snapshot, so it is not in the running set. A plain role sees
// datid and backend_xid of other roles' sessions (PostgreSQL 15).
// On a standby the snapshot lists no running xids (they are in subxip,
// which pg_snapshot_xip does not show): there it stays xmin.
#pragma once

#define MESSENGER_STREAM_HORIZON                                                              \
  "SELECT CASE WHEN pg_is_in_recovery() THEN pg_snapshot_xmin(s) "                            \
  "  ELSE least(pg_snapshot_xmax(s), pg_current_xact_id_if_assigned(), "                      \
  "    (SELECT min(x) FROM pg_snapshot_xip(s) x WHERE NOT EXISTS ("                           \
  "      SELECT 1 FROM pg_stat_activity a WHERE a.backend_xid = xid(x) "                      \
  "      AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())))) " \
  "  END AS lo, pg_snapshot_xmax(s) AS hi FROM pg_current_snapshot() s"
