#include "bench/load.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace messenger::bench {
namespace {
// Percentiles over all samples.
LoadResult Summarize(int concurrency, double seconds,
                     const std::vector<std::vector<double>>& samples,
                     const std::vector<int64_t>& errors);
}  // namespace

nlohmann::json LoadResult::ToJson() const {
  return {{"concurrency", concurrency},
          {"ok", ok},
          {"errors", errors},
          {"seconds", seconds},
          {"throughput", throughput},
          {"p50_ms", p50_ms},
          {"p99_ms", p99_ms},
          {"p999_ms", p999_ms},
          {"max_ms", max_ms}};
}

std::string TableHeader() {
  return "| concurrency | ops/s | p50 ms | p99 ms | p99.9 ms | max ms | ok | errors |\n"
         "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
}

std::string LoadResult::Row() const {
  return absl::StrFormat("| %d | %.0f | %.3f | %.3f | %.3f | %.3f | %d | %d |\n", concurrency,
                         throughput, p50_ms, p99_ms, p999_ms, max_ms, ok, errors);
}

LoadResult RunClosedLoop(int concurrency, absl::Duration duration,
                         const std::function<bool(int thread)>& op) {
  std::vector<std::vector<double>> samples(concurrency);
  std::vector<int64_t> errors(concurrency, 0);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      samples[t].reserve(1 << 16);
      while (!stop.load(std::memory_order_relaxed)) {
        const absl::Time begin = absl::Now();
        const bool ok = op(t);
        const double ms = absl::ToDoubleMilliseconds(absl::Now() - begin);
        if (ok) {
          samples[t].push_back(ms);
        } else {
          ++errors[t];
        }
      }
    });
  }
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(duration));
  stop = true;
  for (auto& th : threads) th.join();
  return Summarize(concurrency, absl::ToDoubleSeconds(absl::Now() - start), samples, errors);
}

absl::Time RunOpenLoop(int threads, int64_t total, absl::Time start, double rate,
                       const std::function<void(int thread, int64_t i, absl::Time due)>& op) {
  std::atomic<int64_t> last_done_ns{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int64_t i = t; i < total; i += threads) {
        const absl::Time due = start + absl::Seconds(static_cast<double>(i) / rate);
        absl::SleepFor(due - absl::Now());
        op(t, i, due);
        const int64_t now_ns = absl::ToUnixNanos(absl::Now());
        int64_t prev = last_done_ns.load();
        while (prev < now_ns && !last_done_ns.compare_exchange_weak(prev, now_ns)) {
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  return absl::FromUnixNanos(last_done_ns.load());
}

LoadResult RunClosedLoopAsync(int concurrency, absl::Duration duration, const AsyncOp& start_op) {
  struct Slot {
    std::vector<double> samples;
    int64_t errors = 0;
    absl::Time begin;
  };
  std::vector<Slot> slots(concurrency);
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable all_idle;
  int running = concurrency;
  std::function<void(int)> next = [&](int slot) {
    slots[slot].begin = absl::Now();
    start_op(slot, [&, slot](bool ok) {
      Slot& s = slots[slot];
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - s.begin);
      if (ok) {
        s.samples.push_back(ms);
      } else {
        ++s.errors;
      }
      if (!stop.load(std::memory_order_relaxed)) return next(slot);
      std::lock_guard lock(mutex);
      if (--running == 0) all_idle.notify_all();
    });
  };
  const absl::Time start = absl::Now();
  for (int i = 0; i < concurrency; ++i) {
    slots[i].samples.reserve(1 << 16);
    next(i);
  }
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(duration));
  stop = true;
  {
    std::unique_lock lock(mutex);
    all_idle.wait(lock, [&] { return running == 0; });
  }
  std::vector<std::vector<double>> samples;
  std::vector<int64_t> errors;
  for (Slot& s : slots) {
    samples.push_back(std::move(s.samples));
    errors.push_back(s.errors);
  }
  return Summarize(concurrency, absl::ToDoubleSeconds(absl::Now() - start), samples, errors);
}

namespace {

LoadResult Summarize(int concurrency, double seconds,
                     const std::vector<std::vector<double>>& samples,
                     const std::vector<int64_t>& errors) {
  std::vector<double> all;
  LoadResult r;
  r.concurrency = concurrency;
  for (size_t t = 0; t < samples.size(); ++t) {
    all.insert(all.end(), samples[t].begin(), samples[t].end());
    r.errors += errors[t];
  }
  std::sort(all.begin(), all.end());
  r.ok = static_cast<int64_t>(all.size());
  r.seconds = seconds;
  r.throughput = r.ok / seconds;
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    size_t i = static_cast<size_t>(p * (all.size() - 1));
    return all[i];
  };
  r.p50_ms = pct(0.50);
  r.p99_ms = pct(0.99);
  r.p999_ms = pct(0.999);
  r.max_ms = all.empty() ? 0 : all.back();
  return r;
}

}  // namespace

ProcessUsage ReadProcessUsage(pid_t pid) {
  ProcessUsage usage;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) usage.rss_kb = std::stoll(line.substr(6));
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = content.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(content.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14) utime = std::stoll(field);
      if (i == 15) {
        stime = std::stoll(field);
        break;
      }
    }
    usage.cpu_seconds = static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
  }
  return usage;
}

}  // namespace messenger::bench
