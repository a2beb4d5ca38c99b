// What a replica knows of the sync stream when several writers commit into
// it (DESIGN.md, section 2). Positions come from one shared row in commit
// order and are dense, so the committed positions always form a prefix
// 1..H. Each writer announces its commits as ranges [first, last] with their
// readers; announcements arrive in any order and may be lost. The watermark
// is the end of the gap-free prefix of ranges heard, so every position at or
// below it is known with its readers. A gap still open when the stored head
// is read a second time (a lost announcement) is closed as "anyone may have
// rows there": those readers read the database, nobody skips a row.
//
// Not wired yet: messaging still runs as one writer with StreamTracker.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/lru_cache.h"

namespace messenger::messaging {

class CommitLog {
 public:
  explicit CommitLog(size_t max_readers = 250'000)
      : latest_("messaging_commit_log_readers", max_readers) {}

  // At start-up: the stored head. Rows at or below it predate this process.
  void Reset(int64_t head);
  // A commit of positions [first, last] whose rows `readers` will see, from
  // any writer, in any order; repeats are harmless.
  void Committed(int64_t first, int64_t last, absl::Span<const std::string> readers);
  // The stored head, read periodically. Positions up to the head read last
  // time that were never announced are closed as unknown.
  void HeadIs(int64_t head);
  // Every position at or below it is committed and known.
  int64_t Watermark() const;
  // Whether rows for `reader` may exist above `position` (up to the
  // watermark, or anything heard above it).
  bool MayHaveAfter(absl::string_view reader, int64_t position) const;

 private:
  // Under mutex_: moves the watermark over ranges that now touch it.
  void Advance();

  mutable std::mutex mutex_;
  int64_t watermark_ = 0;
  std::map<int64_t, int64_t> ahead_;               // first -> last, above the watermark
  int64_t head_seen_ = 0;                          // the head read last time
  mutable LruCache<std::string, int64_t> latest_;  // reader -> highest position heard
  // Readers not in latest_ may have rows up to here (before start-up, closed
  // gaps, forgotten readers).
  int64_t unknown_up_to_ = 0;
};

}  // namespace messenger::messaging
