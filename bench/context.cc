#include "bench/context.h"

#include <httplib.h>

#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace messenger::bench {

namespace {
constexpr const char* kGroups[] = {"server", "postgres", "nats"};
}

std::string Context::ClientId(const std::string& scenario, int64_t n) const {
  return absl::StrCat(prefix, "-", scenario, "-", n);
}

void Context::ClaimScenario(const std::string& scenario) {
  if (!claimed_.insert(scenario).second) {
    report.Fail(scenario, "client id tag used by two scenarios");
  }
}

std::vector<nlohmann::json> CpuWindow::PerUnitUs(double units) const {
  const std::map<std::string, double> spent = CpuSince(before_, c_.processes);
  std::vector<nlohmann::json> out;
  for (const char* group : kGroups) {
    auto it = spent.find(group);
    if (it == spent.end() || units <= 0) {
      out.push_back(nullptr);
    } else {
      out.push_back(Num(it->second * 1e6 / units, 0));
    }
  }
  return out;
}

std::vector<std::string> CpuWindow::Columns(const std::string& per) {
  std::vector<std::string> out;
  for (const char* group : kGroups) out.push_back(absl::StrCat(group, " CPU µs/", per));
  return out;
}

std::pair<double, double> ReadHistogram(const Context& c, const std::string& name) {
  double sum = 0, count = 0;
  for (const std::string& url : c.metrics_urls) {
    const size_t slash = url.find('/');
    const std::string host_port = url.substr(0, slash);
    const std::string path = slash == std::string::npos ? "/metrics" : url.substr(slash);
    const size_t colon = host_port.rfind(':');
    httplib::Client client(host_port.substr(0, colon), std::stoi(host_port.substr(colon + 1)));
    client.set_read_timeout(5, 0);
    httplib::Result res = client.Get(path);
    if (!res || res->status != 200) continue;
    std::istringstream lines(res->body);
    std::string line;
    while (std::getline(lines, line)) {
      double v = 0;
      const size_t space = line.rfind(' ');
      if (space == std::string::npos || !absl::SimpleAtod(line.substr(space + 1), &v)) continue;
      const std::string key = line.substr(0, space);
      if (key == name + "_sum") sum += v;
      if (key == name + "_count") count += v;
    }
  }
  return {sum, count};
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<size_t>(p * static_cast<double>(sorted.size() - 1))];
}

}  // namespace messenger::bench
