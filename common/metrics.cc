#include "common/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace messenger::metrics {
namespace {

void AtomicAdd(std::atomic<double>& target, double amount) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + amount, std::memory_order_relaxed)) {
  }
}

std::string RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"" +
           absl::StrReplaceAll(labels[i].second, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}) +
           "\"";
  }
  return out + "}";
}

// `{a="b"}` + `le="0.5"` -> `{a="b",le="0.5"}`
std::string WithLabel(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  return absl::StrCat(v);
}

}  // namespace

void Counter::Inc(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::Observe(double value) {
  const size_t index =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                               5,      10};
  return kBuckets;
}

GaugeHandle& GaugeHandle::operator=(GaugeHandle&& other) noexcept {
  if (this != &other) {
    if (registry_ != nullptr) registry_->RemoveGauge(id_);
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

GaugeHandle::~GaugeHandle() {
  if (registry_ != nullptr) registry_->RemoveGauge(id_);
}

Registry& Registry::Default() {
  static Registry* registry = new Registry();  // Never destroyed: used until exit.
  return *registry;
}

Registry::Family& Registry::FamilyFor(const std::string& name, const std::string& help,
                                      const char* type) {
  Family& family = families_[name];
  if (family.type.empty()) {
    family.type = type;
    family.help = help;
  }
  return family;
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = FamilyFor(name, help, "counter").counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const Labels& labels, const std::vector<double>& buckets) {
  std::lock_guard lock(mutex_);
  auto& slot = FamilyFor(name, help, "histogram").histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(buckets);
  return *slot;
}

GaugeHandle Registry::AddGauge(const std::string& name, const std::string& help,
                               const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_gauge_id_++;
  FamilyFor(name, help, "gauge").gauges[id] = {RenderLabels(labels), std::move(read)};
  gauge_names_[id] = name;
  return GaugeHandle(this, id);
}

void Registry::RemoveGauge(uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = gauge_names_.find(id);
  if (it == gauge_names_.end()) return;
  families_[it->second].gauges.erase(id);
  gauge_names_.erase(it);
}

std::string Registry::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    if (family.counters.empty() && family.histograms.empty() && family.gauges.empty()) continue;
    absl::StrAppend(&out, "# HELP ", name, " ", family.help, "\n# TYPE ", name, " ", family.type,
                    "\n");
    for (const auto& [labels, counter] : family.counters) {
      absl::StrAppend(&out, name, labels, " ", FormatValue(counter->value()), "\n");
    }
    for (const auto& [labels, gauge] : family.gauges) {
      absl::StrAppend(&out, name, gauge.first, " ", FormatValue(gauge.second()), "\n");
    }
    for (const auto& [labels, histogram] : family.histograms) {
      const std::vector<uint64_t> counts = histogram->CumulativeCounts();
      const auto& bounds = histogram->upper_bounds();
      for (size_t i = 0; i < counts.size(); ++i) {
        const std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
        absl::StrAppend(&out, name, "_bucket", WithLabel(labels, "le=\"" + le + "\""), " ",
                        counts[i], "\n");
      }
      absl::StrAppend(&out, name, "_sum", labels, " ", FormatValue(histogram->sum()), "\n");
      absl::StrAppend(&out, name, "_count", labels, " ", counts.back(), "\n");
    }
  }
  return out;
}

}  // namespace messenger::metrics
