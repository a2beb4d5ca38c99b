// Positions of the sync stream. Transactions commit out of order, so a reader
// may only read up to the watermark: every position at or below it has either
// committed or been abandoned. Positions come from here (one writer process).
#pragma once

#include <cstdint>
#include <mutex>
#include <set>

namespace messenger::messaging {

class StreamTracker {
 public:
  // At start-up: the highest position stored.
  void Reset(int64_t committed);
  // A new position, in flight until Finish.
  int64_t Allocate();
  // Committed or rolled back.
  void Finish(int64_t position);
  int64_t Watermark() const;
  // Something allocated is still open (the watermark is held back).
  bool Lagging() const;

 private:
  mutable std::mutex mutex_;
  int64_t max_ = 0;
  std::set<int64_t> in_flight_;
};

}  // namespace messenger::messaging
