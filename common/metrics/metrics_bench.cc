// The send path's metric updates with the hand-written registry
// (common/metrics.h) and with prometheus-cpp (Debian's
// libprometheus-cpp-dev): a counter increment plus a histogram observation,
// once with the metrics resolved beforehand and once looked up by labels on
// every call (what the gateway and the gRPC interceptor do per request), on
// 1 and 2 threads. Prints nanoseconds per update pair (best of 5 runs).
// Results and the decision: README.md in this directory.
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"

namespace {

constexpr int kIterations = 1'000'000;
constexpr int kRuns = 5;

// Best of kRuns of `threads` threads each calling `op(i)` kIterations times;
// nanoseconds per call (wall time / calls per thread).
double Measure(int threads, const std::function<void(int)>& op) {
  double best = 1e18;
  for (int run = 0; run < kRuns; ++run) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&op] {
        for (int i = 0; i < kIterations; ++i) op(i);
      });
    }
    for (auto& w : workers) w.join();
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, ns / kIterations);
  }
  return best;
}

double Value(int i) { return 0.0001 * (i % 1000); }  // 0 .. 100 ms

}  // namespace

int main() {
  using namespace messenger;
  // Hand-written registry.
  metrics::Registry own;
  metrics::Counter& own_counter =
      own.GetCounter("http_requests_total", "h", {{"route", "/v1/messages"}, {"status", "201"}});
  metrics::Histogram& own_histogram =
      own.GetHistogram("http_request_duration_seconds", "h", {{"route", "/v1/messages"}});
  auto own_resolved = [&](int i) {
    own_counter.Inc();
    own_histogram.Observe(Value(i));
  };
  auto own_lookup = [&](int i) {
    own.GetCounter("http_requests_total", "h",
                   {{"route", "/v1/messages"}, {"method", "POST"}, {"status", "201"}})
        .Inc();
    own.GetHistogram("http_request_duration_seconds", "h", {{"route", "/v1/messages"}})
        .Observe(Value(i));
  };

  // prometheus-cpp with the same buckets.
  prometheus::Registry registry;
  auto& counters =
      prometheus::BuildCounter().Name("http_requests_total").Help("h").Register(registry);
  auto& histograms = prometheus::BuildHistogram()
                         .Name("http_request_duration_seconds")
                         .Help("h")
                         .Register(registry);
  const prometheus::Histogram::BucketBoundaries buckets(metrics::LatencyBuckets().begin(),
                                                        metrics::LatencyBuckets().end());
  prometheus::Counter& prom_counter = counters.Add({{"route", "/v1/messages"}, {"status", "201"}});
  prometheus::Histogram& prom_histogram = histograms.Add({{"route", "/v1/messages"}}, buckets);
  auto prom_resolved = [&](int i) {
    prom_counter.Increment();
    prom_histogram.Observe(Value(i));
  };
  auto prom_lookup = [&](int i) {
    counters.Add({{"route", "/v1/messages"}, {"method", "POST"}, {"status", "201"}}).Increment();
    histograms.Add({{"route", "/v1/messages"}}, buckets).Observe(Value(i));
  };

  std::printf("ns per counter increment + histogram observation (best of %d runs of %d)\n", kRuns,
              kIterations);
  std::printf("%-34s %12s %12s\n", "case", "1 thread", "2 threads");
  const std::vector<std::pair<const char*, std::function<void(int)>>> cases = {
      {"hand-written, resolved", own_resolved},
      {"prometheus-cpp, resolved", prom_resolved},
      {"hand-written, looked up by labels", own_lookup},
      {"prometheus-cpp, looked up by labels", prom_lookup}};
  for (const auto& [name, op] : cases) {
    std::printf("%-34s %12.1f %12.1f\n", name, Measure(1, op), Measure(2, op));
  }
  return 0;
}
