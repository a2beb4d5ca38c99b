// Shard ownership of one messaging replica: session advisory locks
// (kShardLockSpace, shard) on a dedicated PostgreSQL connection, so that
// PostgreSQL's lock manager decides who writes a shard and a dead replica's
// shards free up when its connection goes. The replica registry
// (messaging_replicas) and shard_owners say where the holder is reached.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metrics.h"

struct pg_conn;

namespace messenger::messaging {

class LeaseHolder {
 public:
  struct Options {
    std::string dsn;
    std::string schema = "messaging";
    std::string replica_id;
    std::string address;  // host:port other replicas reach this one at
    absl::Duration interval = absl::Seconds(1);
    // A replica whose heartbeat is older no longer counts for the fair share.
    absl::Duration stale_after = absl::Seconds(5);
  };
  // Where a shard is written.
  struct Owner {
    bool here = false;
    std::string address;  // empty: nobody known
  };
  // `on_gain(shard)` runs before a newly taken shard counts as held (the
  // replica drops what it cached of the shard's rooms).
  LeaseHolder(Options options, std::function<void(int shard)> on_gain);
  ~LeaseHolder();
  LeaseHolder(const LeaseHolder&) = delete;
  LeaseHolder& operator=(const LeaseHolder&) = delete;

  // Starts the timer; the first round runs before this returns.
  absl::Status Start();
  // Gives every shard back and leaves the registry (drain, SIGTERM).
  void Stop();
  // One round: heartbeat, fair share, take or release, owners read.
  absl::Status Round();
  // Asks for a round soon (a forward found its owner gone).
  void Recheck();

  Owner OwnerOf(int shard);
  // Takes a shard nobody holds, now; true when this replica holds it after.
  bool TryTake(int shard);
  std::set<int> held();
  const std::string& replica_id() const { return options_.replica_id; }

 private:
  absl::Status EnsureConnected();   // mutex_ held
  absl::Status Take(int shard);     // mutex_ held; NOT_FOUND when someone holds it
  absl::Status Release(int shard);  // mutex_ held
  void Disconnect();                // mutex_ held; every lock is gone with it
  void Run();

  const Options options_;
  std::function<void(int)> on_gain_;
  std::mutex mutex_;  // the connection and everything below
  pg_conn* conn_ = nullptr;
  std::set<int> held_;
  std::map<int, std::string> owners_;  // shard -> address, shards held elsewhere
  bool stopping_ = false;
  bool recheck_ = false;
  std::condition_variable wake_;
  std::thread thread_;
  metrics::GaugeHandle gauge_;  // last: gone before what it reads
};

}  // namespace messenger::messaging
