// What this replica has heard of commits into the sync stream, from every
// writer (its own and the others' wake-ups), so that a sync with nothing new
// for its user is answered without a database read (DESIGN.md, section 2).
//
// A wake-up names the users a commit has rows for, and the commit's xid when
// the writer knows it. Without the xid the user is "pending" until one of its
// reads starts after the wake-up: that read's snapshot xmax bounds the xid
// from above. Wake-ups are best effort: a lost one leaves its rows to the
// next wake-up for that user (or the end of its long poll), never skipped,
// because the token only moves on a database read.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/lru_cache.h"
#include "messaging-service/src/domain/sync_position.h"

namespace messenger::messaging {

class WakeLog {
 public:
  // Beyond this many users (about 150 bytes each), the least recently woken
  // one is forgotten: every sync reads the database until a read bounds it.
  explicit WakeLog(size_t max_readers = 250'000) : users_("messaging_sync_readers", max_readers) {}

  // At start-up, once wake-ups are heard: the stream's horizon and xmax
  // (`known_from`). Rows below the latter may predate what this replica
  // hears.
  void Reset(uint64_t horizon, uint64_t known_from);
  // A commit with rows for `readers`, from any writer, in any order; `xid`
  // when the writer knows it.
  void Heard(absl::Span<const std::string> readers, std::optional<uint64_t> xid = std::nullopt);
  // Wake-ups may have been missed (the bus reconnected): nobody's "nothing
  // new" is trusted until a read that starts after this bounds it.
  void Forget();
  // Before a read of the stream: its ticket (orders it after what was heard).
  uint64_t ReadStarting();
  // After a read that got `ticket`, whose snapshot had `horizon` and
  // `xmax`; ReadDone when it was `reader`'s sync.
  void Observed(uint64_t ticket, uint64_t horizon, uint64_t xmax);
  void ReadDone(absl::string_view reader, uint64_t ticket, uint64_t horizon, uint64_t xmax);
  // Whether rows for `reader` may exist at or above `since` that a read
  // could return now or later.
  bool MayHaveAfter(absl::string_view reader, SyncKey since) const;
  // The highest horizon read: a safe start for a new token.
  uint64_t Horizon() const;

 private:
  void ObservedLocked(uint64_t ticket, uint64_t horizon, uint64_t xmax);

  struct Reader {
    uint64_t bound = 0;    // every row heard for it has a lower xid
    uint64_t pending = 0;  // ticket of a wake-up not bounded yet (0: none)
  };

  mutable std::mutex mutex_;
  uint64_t ticket_ = 0;
  uint64_t horizon_ = 0;
  // Anyone may have rows below this xid (before start-up, forgotten readers).
  uint64_t unknown_below_ = 0;
  // A reader was forgotten at this ticket: anyone may have rows until a read
  // that started after it bounds them (0: none).
  uint64_t distrust_from_ = 0;
  mutable LruCache<std::string, Reader> users_;
};

}  // namespace messenger::messaging
