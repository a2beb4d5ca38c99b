// What every scenario of bench_messenger shares: addresses, the users, the
// processes whose cost is measured, and the report.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/bench_client.h"
#include "bench/load.h"
#include "bench/procstat.h"
#include "bench/report.h"

namespace messenger::bench {

struct Context {
  std::string http;                       // the gateway, host:port
  std::string grpc_address;               // messaging's gRPC, host:port
  std::string dsn;                        // PostgreSQL, the server's database
  std::vector<std::string> metrics_urls;  // host:port/path serving messaging's metrics
  absl::Duration duration;
  std::vector<int> levels;
  std::string prefix;  // makes every user name and client_msg_id unique to this run
  std::shared_ptr<grpc::Channel> channel;
  std::vector<BenchUser> users;  // pairs: (0,1), (2,3), ... are friends
  int server_pool = 16;          // the server's MESSENGER_PG_POOL_SIZE
  int batch_writers = 2;         // the batcher's writer threads
  int checker_drop = 0;          // --checker-drop: shows a lost message failing the run
  ProcessGroups processes;       // "server", "postgres", "nats"
  Report report{"messenger benchmark"};

  // The client_msg_id (and text) of the n-th message of `scenario`. A
  // scenario tag is claimed once per run; a second claim fails the run.
  std::string ClientId(const std::string& scenario, int64_t n) const;
  void ClaimScenario(const std::string& scenario);

 private:
  std::set<std::string> claimed_;
};

// CPU of the watched process groups between construction and Cells().
class CpuWindow {
 public:
  explicit CpuWindow(const Context& c) : c_(c), before_(GroupCpu(c.processes)) {}
  // Microseconds of CPU per `units` (messages) for server, postgres, nats.
  std::vector<nlohmann::json> PerUnitUs(double units) const;
  static std::vector<std::string> Columns(const std::string& per);

 private:
  const Context& c_;
  std::map<std::string, double> before_;
};

// Sum of `<name>_sum` and `<name>_count` of a histogram over the metrics URLs.
std::pair<double, double> ReadHistogram(const Context& c, const std::string& name);

// Percentile p (0..1) of sorted samples.
double Percentile(const std::vector<double>& sorted, double p);

}  // namespace messenger::bench
