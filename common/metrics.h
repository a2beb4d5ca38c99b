// Prometheus metrics: counters, histograms and callback gauges, rendered in
// the text exposition format for /metrics.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace messenger::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(double amount = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // Cumulative counts per bound (the last is +Inf), sum and count.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
  std::atomic<double> sum_{0};
};

// Seconds, from 0.5 ms to 10 s.
const std::vector<double>& LatencyBuckets();

class Registry;

// Removes its gauge from the registry when destroyed.
class GaugeHandle {
 public:
  GaugeHandle() = default;
  GaugeHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
  GaugeHandle(GaugeHandle&& other) noexcept { *this = std::move(other); }
  GaugeHandle& operator=(GaugeHandle&& other) noexcept;
  ~GaugeHandle();

 private:
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

class Registry {
 public:
  static Registry& Default();

  // Returned references stay valid for the registry's life.
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const Labels& labels = {},
                          const std::vector<double>& buckets = LatencyBuckets());
  [[nodiscard]] GaugeHandle AddGauge(const std::string& name, const std::string& help,
                                     const Labels& labels, std::function<double()> read);

  std::string Render() const;

 private:
  friend class GaugeHandle;
  void RemoveGauge(uint64_t id);

  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
    std::map<uint64_t, std::pair<std::string, std::function<double()>>> gauges;
  };
  Family& FamilyFor(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::map<uint64_t, std::string> gauge_names_;
  uint64_t next_gauge_id_ = 1;
};

}  // namespace messenger::metrics
