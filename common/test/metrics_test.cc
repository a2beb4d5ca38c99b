#include "common/metrics.h"

#include <gtest/gtest.h>

namespace messenger::metrics {
namespace {

TEST(Registry, RendersCountersGaugesAndHistograms) {
  Registry registry;
  registry.GetCounter("requests_total", "Requests", {{"route", "a"}}).Inc();
  registry.GetCounter("requests_total", "Requests", {{"route", "a"}}).Inc(2);
  auto& h = registry.GetHistogram("latency_seconds", "Latency", {}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  GaugeHandle gauge = registry.AddGauge("queue_depth", "Depth", {}, [] { return 7.0; });
  const std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE requests_total counter\nrequests_total{route=\"a\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("queue_depth 7\n"), std::string::npos) << text;
}

TEST(Registry, GaugeDisappearsWithItsHandle) {
  Registry registry;
  {
    GaugeHandle gauge = registry.AddGauge("temp", "t", {}, [] { return 1.0; });
    EXPECT_NE(registry.Render().find("temp 1"), std::string::npos);
  }
  EXPECT_EQ(registry.Render().find("temp 1"), std::string::npos);
}

TEST(Registry, EscapesLabelValues) {
  Registry registry;
  registry.GetCounter("c", "c", {{"path", "a\"b\\c"}}).Inc();
  EXPECT_NE(registry.Render().find(R"(c{path="a\"b\\c"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace messenger::metrics
