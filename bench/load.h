// A small closed-loop load generator: N threads run an operation back to back
// for a fixed time, each sample's latency is kept, percentiles are exact.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/time/time.h"

namespace messenger::bench {

struct LoadResult {
  int concurrency = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  double seconds = 0;
  double throughput = 0;  // successful operations per second
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;

  nlohmann::json ToJson() const;
  std::string Row() const;  // a Markdown table row
};

// Runs `op(thread_index)` (true = success) on `concurrency` threads for `duration`.
LoadResult RunClosedLoop(int concurrency, absl::Duration duration,
                         const std::function<bool(int thread)>& op);

// The same with `concurrency` operations in flight without a thread each:
// `start(slot, done)` begins one and calls done(success) when it ends (from
// any thread); the next one of that slot starts from there.
using AsyncOp = std::function<void(int slot, std::function<void(bool ok)> done)>;
LoadResult RunClosedLoopAsync(int concurrency, absl::Duration duration, const AsyncOp& start);

// Open loop: op(thread, i, due) for i in [0, total), each called at its due
// time start + i / rate whatever the answers before it, from `threads`
// threads (operation i on thread i % threads, so a slow answer delays no
// later one while there are threads enough). Returns when the last
// operation ended.
absl::Time RunOpenLoop(int threads, int64_t total, absl::Time start, double rate,
                       const std::function<void(int thread, int64_t i, absl::Time due)>& op);

struct ProcessUsage {
  int64_t rss_kb = 0;
  double cpu_seconds = 0;  // user + system
};
ProcessUsage ReadProcessUsage(pid_t pid);

// Header of the table LoadResult::Row() fills.
std::string TableHeader();

}  // namespace messenger::bench
