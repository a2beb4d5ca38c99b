// The benchmark suite: send throughput against the database's own floors,
// delivery latency, fan-out, idle long polls and the scale-out scenario, each
// checked message by message. Exits 2 when any check failed.
//
//   bench_messenger --http=127.0.0.1:8080 --grpc=127.0.0.1:9090 --pg-dsn=...
//     --watch=server:<pid>,postgres:<postmaster pid>,nats:<pid>
//     [--scenarios=send,delivery,fanout,idle] [--seconds=5] [--concurrency=1,8,32,128]
//     [--rate=300,1000] [--warmup-seconds=2] [--connections=10000] [--idle-users=1250]
//     [--idle-hold-seconds=30] [--members=100] [--rounds=20] [--pairs=64]
//     [--server-pool=16] [--batch-writers=2] [--metrics=host:port/metrics,...]
//     [--replicas=1] [--kill-replica-under=<pid>] [--checker-drop=0]
//     [--group-sizes=1000,10000] [--group-rounds=10]  (scenario "largegroup")
//     [--matrix-rooms=500] [--matrix-messages=20] [--matrix-rate=500]  (scenario "matrixwake")
//     [--machine=...] [--out=bench/results/run]
// Writes <out>.md and <out>.json from one report structure.
#include <iostream>
#include <set>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/scenarios.h"
#include "common/crypto.h"

using namespace messenger;
using namespace messenger::bench;

int main(int argc, char** argv) {
  Flags flags(argc, argv);
  Context c;
  c.http = flags.Get("http", "127.0.0.1:8080");
  c.grpc_address = flags.Get("grpc", "127.0.0.1:9090");
  c.dsn = flags.Get("pg-dsn", "host=127.0.0.1 port=5433 dbname=messenger user=postgres");
  c.metrics_urls =
      absl::StrSplit(flags.Get("metrics", c.http + "/metrics"), ',', absl::SkipEmpty());
  c.duration = absl::Seconds(flags.GetInt("seconds", 5));
  c.levels = flags.GetInts("concurrency", {1, 8, 32, 128});
  c.server_pool = flags.GetInt("server-pool", 16);
  c.batch_writers = flags.GetInt("batch-writers", 2);
  c.checker_drop = flags.GetInt("checker-drop", 0);
  c.processes = ParseProcessGroups(flags.Get("watch", ""));
  c.prefix = "b" + HexEncode(SecureRng::Instance().Bytes(3));
  c.channel = grpc::CreateChannel(c.grpc_address, grpc::InsecureChannelCredentials());
  std::set<std::string> scenarios;
  for (absl::string_view s :
       absl::StrSplit(flags.Get("scenarios", "send,delivery,fanout,idle"), ',')) {
    scenarios.insert(std::string(s));
  }
  const std::string out = flags.Get("out", "bench-report");
  c.report.AddPreamble(flags.Get("machine", ""));
  c.report.AddPreamble(
      absl::StrFormat("Scenarios: %s; closed-loop runs last %s. Processes measured: %s. Run id %s.",
                      flags.Get("scenarios", "send,delivery,fanout,idle"),
                      absl::FormatDuration(c.duration), flags.Get("watch", "none"), c.prefix));
  if (c.checker_drop > 0) {
    c.report.AddPreamble(absl::StrFormat(
        "--checker-drop=%d: the checker ignores that many deliveries (shows that a lost "
        "message fails the run).",
        c.checker_drop));
  }

  Setup(c, flags.GetInt("pairs", 64));
  WarmUp(c);
  if (scenarios.contains("send")) SendAndFloors(c);
  if (scenarios.contains("delivery")) {
    for (int rate : flags.GetInts("rate", {300, 1000})) {
      Delivery(c, rate, absl::Seconds(flags.GetInt("warmup-seconds", 2)));
    }
  }
  if (scenarios.contains("fanout"))
    FanOut(c, flags.GetInt("members", 100), flags.GetInt("rounds", 20));
  if (scenarios.contains("largegroup")) {
    for (int members : flags.GetInts("group-sizes", {1'000, 10'000})) {
      LargeGroup(c, members, flags.GetInt("group-rounds", 10));
    }
  }
  if (scenarios.contains("matrixwake")) {
    MatrixWake(c, flags.GetInt("matrix-rooms", 500), flags.GetInt("matrix-messages", 20),
               flags.GetInt("matrix-rate", 500), absl::Seconds(flags.GetInt("warmup-seconds", 2)));
  }
  if (scenarios.contains("scaleout")) {
    ScaleOut(c, flags.GetInt("replicas", 1), flags.GetInt("kill-replica-under", 0));
  }
  if (scenarios.contains("idle")) {
    IdlePolls(c, flags.GetInt("connections", 10'000), flags.GetInt("idle-users", 1'250),
              absl::Seconds(flags.GetInt("idle-hold-seconds", 30)));
  }
  if (absl::Status written = c.report.Write(out); !written.ok()) {
    std::cerr << written << "\n";
    return 1;
  }
  std::cout << c.report.ToMarkdown();
  return c.report.failed() ? 2 : 0;
}
