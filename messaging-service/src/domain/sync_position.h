// Places in the sync stream when several writers commit into it (DESIGN.md,
// section 2). Every stream row carries the id of the transaction that wrote
// it (xid) and a position from the shared sequence. Readers take rows in
// (xid, position) order, and only below the horizon: the oldest transaction
// of this database running at the read's snapshot (stream_horizon_sql.h).
// Every transaction of ours below it has ended and every later one gets a
// higher xid, so rows below the horizon never change: a token is a prefix
// of that order, valid on every replica and after restarts (xids never wrap).
//
// A read never splits a transaction (except the rows written before xids
// were recorded, which all have xid 0 and are paged by position), so a token
// needs one number: "everything below this xid", or a legacy position.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

namespace messenger::messaging {

struct SyncKey {
  uint64_t xid = 0;  // 0: a row from before xids were recorded
  int64_t pos = 0;   // only meaningful with xid 0: the legacy position
  auto operator<=>(const SyncKey&) const = default;

  // Every row below this xid.
  static SyncKey Below(uint64_t xid) { return {xid, 0}; }
};

// The number inside a "s<n>" token (conversation_rules.h). Below 2^62 it is a
// position from before xids were recorded (tokens given out by earlier
// versions keep working); from 2^62 on it is 2^62 + xid.
inline constexpr int64_t kXidTokenBase = int64_t{1} << 62;
int64_t ToWire(SyncKey key);
SyncKey FromWire(int64_t wire);

// The token after a read from `since` that returned rows up to `last` (in
// key order, whole transactions), below `horizon`; `full`: it stopped at its
// row limit, so more may follow `last`.
SyncKey NextKey(SyncKey since, std::optional<SyncKey> last, bool full, uint64_t horizon);

}  // namespace messenger::messaging
