// Who is typing where: this replica's in-memory copy of the typing state
// every messaging replica shares through the typing subject (never stored).
//
// Each change of a room's typers gets a stamp: microseconds since the epoch,
// moved past every stamp this replica has heard or handed out (a Lamport
// clock on wall time), so stamps of one room grow in the order the replicas
// saw the changes. A sync token carries the highest stamp its reader was
// given (its typing cursor); a sync answers the rooms of that reader whose
// stamp is above it. An expiry is stamped with its expiry time, the same on
// every replica. Two changes made at once on two replicas whose clocks are
// apart may be seen out of order (the later one wins, the earlier one may be
// missed by a reader that already has the later stamp): typing is a hint.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/lru_cache.h"

namespace messenger::messaging {

struct TypingLimits {
  size_t per_room = 100;         // people typing at once in one room
  size_t total = 100'000;        // people typing at once in all rooms
  size_t rooms = 200'000;        // rooms remembered (with typers or recently changed)
  size_t readers = 200'000;      // members indexed for their syncs (LRU)
  size_t rooms_per_reader = 32;  // most recently changed rooms kept per member
  absl::Duration max_timeout = absl::Seconds(30);
  // A room nobody types in is forgotten this long after its last change
  // (longer than a long poll, so that every member's next sync sees the stop).
  absl::Duration retention = absl::Minutes(2);
};

// One change, as made here or heard from another replica.
struct TypingChange {
  std::string room_id;
  std::string user_id;
  bool typing = false;
  int64_t expires_us = 0;  // typing: when it stops by itself
  uint64_t stamp = 0;
  std::vector<std::string> readers;  // the room's other members (to wake)
  // Not on the wire: whether the room's typers changed (a refresh of an
  // expiry wakes nobody).
  bool wake = false;
};

// A room's typers as one reader's sync shows them.
struct TypingEvent {
  std::string room_id;
  std::vector<std::string> user_ids;  // sorted, without the reader
};

struct TypingView {
  std::vector<TypingEvent> events;
  uint64_t cursor = 0;  // the reader's next typing cursor
};

class TypingState {
 public:
  explicit TypingState(TypingLimits limits = {});

  // A change requested here: nullopt when it changes nothing others must
  // hear (stopping while not typing); RESOURCE_EXHAUSTED past a limit,
  // INVALID_ARGUMENT for a timeout out of range.
  absl::StatusOr<std::optional<TypingChange>> Set(const std::string& room_id,
                                                  const std::string& user_id, bool typing,
                                                  absl::Duration timeout,
                                                  std::vector<std::string> readers, absl::Time now);
  // A change heard from another replica (past a limit here it is dropped).
  // True when the room's typers changed (its readers need waking).
  bool Apply(const TypingChange& change, absl::Time now);
  // Typing that has run out by `now`: removed; each room whose typers
  // changed, with its readers and whether this replica made the change.
  struct Expired {
    std::string room_id;
    std::vector<std::string> readers;
    bool local = false;
  };
  std::vector<Expired> Expire(absl::Time now);
  // What `reader` has not seen of the typing in its rooms, from `cursor`
  // (0: a token without one; only rooms where someone types).
  TypingView For(const std::string& reader, uint64_t cursor, absl::Time now);
  // The cursor of a sync that starts now.
  uint64_t Cursor();
  // The next expiry, if anyone types.
  std::optional<absl::Time> NextExpiry();
  size_t typing_count();

 private:
  struct Typer {
    int64_t expires_us = 0;
    bool local = false;  // set here (this replica wakes the members on expiry)
  };
  struct Room {
    std::map<std::string, Typer> typers;
    uint64_t stamp = 0;  // last change of `typers`
    int64_t changed_us = 0;
    std::vector<std::string> readers;
  };

  uint64_t NextStampLocked(absl::Time now);
  void ExpireLocked(absl::Time now, std::vector<Expired>* out);
  void ForgetIdleLocked(absl::Time now);
  void EraseExpiryLocked(int64_t expires_us, const std::string& room_id,
                         const std::string& user_id);
  // Records that `readers` have news in `room_id`.
  void IndexLocked(const std::string& room_id, const std::vector<std::string>& readers);
  // Applies a change; false when a limit refused it.
  absl::StatusOr<bool> ChangeLocked(const TypingChange& change, bool local, absl::Time now);

  const TypingLimits limits_;
  std::mutex mutex_;
  // One expiry per typer, in time order.
  std::multimap<int64_t, std::pair<std::string, std::string>> expiries_;
  std::vector<Expired> expired_;  // found by Set or For, for the next Expire
  int64_t idle_checked_us_ = 0;
  uint64_t clock_ = 0;  // the highest stamp heard or given
  size_t typing_ = 0;   // typers in all rooms
  std::map<std::string, Room> rooms_;
  LruCache<std::string, std::vector<std::string>> reader_rooms_;  // newest last
};

}  // namespace messenger::messaging
