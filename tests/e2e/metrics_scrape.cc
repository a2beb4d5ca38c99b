#include "tests/e2e/metrics_scrape.h"

#include <cstdlib>

namespace messenger::e2e {

std::optional<double> MetricValue(std::string_view text, std::string_view series) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ') {
      return std::strtod(std::string(line.substr(series.size() + 1)).c_str(), nullptr);
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<double> ScrapeMetric(httplib::Client& client, std::string_view series) {
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) return std::nullopt;
  return MetricValue(res->body, series);
}

}  // namespace messenger::e2e
