// The database's own limits for the rows of a send, measured in the same run
// as the sends, in a schema of their own (bench_floor) with the messaging
// tables' columns, indexes and foreign key:
//   (a) per message: one transaction per message writing the room counters,
//       the event row with a real PDU, the idempotency key and the outbox row
//       (the statement of a single send) plus the delete of the previous
//       message's outbox row, from `threads` callers over a pool of the
//       server's size;
//   (b) batched: the batcher's multi-room statement with `batch` messages per
//       commit (plus the delete of the previous batch's outbox rows in that
//       commit) from as many writers as the batcher has.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "bench/context.h"
#include "common/pg/pg.h"

namespace messenger::bench {

class Floors {
 public:
  // Copies the server's rooms (their counters continue in the copy) and
  // takes a real message PDU; needs at least one message sent before.
  static absl::StatusOr<std::unique_ptr<Floors>> Create(const Context& c);
  ~Floors();

  LoadResult PerMessage(int threads);
  // Throughput and latencies are per message (a batch's latency is each of
  // its messages' latency).
  LoadResult Batched(int writers, int batch);
  // The largest batch Batched can write (one message per room per writer).
  int MaxBatch(int writers) const { return static_cast<int>(rooms_.size()) / writers; }

 private:
  struct Room;
  explicit Floors(const Context& c);
  // The parameters of kAppendMessage for the next message of `room`.
  std::vector<std::string> NextMessage(Room& room);

  const Context& c_;
  std::unique_ptr<pg::Pool> admin_;
  std::vector<std::unique_ptr<Room>> rooms_;
  std::string pdu_, sender_, payload_;
  std::atomic<int64_t> counter_{0};
};

}  // namespace messenger::bench
