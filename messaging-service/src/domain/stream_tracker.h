// Positions of the sync stream. Transactions commit out of order, so a reader
// may only read up to the watermark: every position at or below it has either
// committed or been abandoned. Positions come from here (one writer process).
//
// Each position is allocated for the users who will see its rows, before it
// can commit. So when nothing was allocated for a user above `since`, that
// user's sync has nothing new and needs no database read (most polls under
// load, as the watermark moves with everyone's messages).
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/lru_cache.h"

namespace messenger::messaging {

class StreamTracker {
 public:
  // Beyond this many users (about 150 bytes each), the least recently active
  // one is forgotten: its next sync reads the database.
  explicit StreamTracker(size_t max_readers = 250'000)
      : latest_("messaging_sync_readers", max_readers) {}

  // At start-up: the highest position stored. Rows at or below it were
  // written by an earlier process, so this one knows nothing of their readers.
  void Reset(int64_t committed);
  // A new position for rows that `readers` (user ids) will see, in flight
  // until Finish. Readers added to the row's audience later (a user joining a
  // room) get a position of their own for that change.
  int64_t Allocate(absl::Span<const std::string> readers);
  // Committed or rolled back.
  void Finish(int64_t position);
  int64_t Watermark() const;

  // Whether rows for `reader` may exist above `position`: something was
  // allocated for it there, or `position` predates this process.
  bool MayHaveAfter(absl::string_view reader, int64_t position) const;

 private:
  mutable std::mutex mutex_;
  int64_t max_ = 0;
  std::set<int64_t> in_flight_;
  // Highest position allocated for each reader, for positions above known_from_.
  mutable LruCache<std::string, int64_t> latest_;  // a lookup refreshes recency
  int64_t known_from_ = 0;
  // At least the position of every reader forgotten to stay within bounds:
  // a reader not in latest_ may have rows up to here.
  int64_t forgotten_up_to_ = 0;
};

}  // namespace messenger::messaging
