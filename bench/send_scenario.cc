// Send throughput over gRPC and REST against the floors of the database.
#include <atomic>
#include <cmath>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/floors.h"
#include "bench/scenarios.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"

namespace messenger::bench {

namespace {

struct SendRun {
  LoadResult load;
  std::vector<nlohmann::json> cpu;  // µs per message: server, postgres, nats
  double mean_batch = 0;            // messages per statement the batcher reached
};

// The n-th send of a sweep: which pair, which direction.
std::pair<const BenchUser*, const BenchUser*> Pair(const Context& c, int64_t n) {
  const int pairs = static_cast<int>(c.users.size() / 2);
  const int pair = static_cast<int>(n % pairs);
  const bool flip = (n / pairs) % 2;
  return {&c.users[pair * 2 + (flip ? 1 : 0)], &c.users[pair * 2 + (flip ? 0 : 1)]};
}

SendRun RunRest(Context& c, const std::string& scenario, int level) {
  std::vector<std::unique_ptr<Api>> clients;
  for (int i = 0; i < level; ++i) clients.push_back(std::make_unique<Api>(c.http));
  std::atomic<int64_t> counter{0};
  const auto [sum0, count0] = ReadHistogram(c, "messaging_send_batch_size");
  // For a profiler started by hand (bench/results/README.md).
  std::cerr << "phase: " << scenario << " start\n";
  CpuWindow cpu(c);
  SendRun run;
  run.load = RunClosedLoop(level, c.duration, [&](int t) {
    const int64_t n = counter++;
    auto [from, to] = Pair(c, n);
    const std::string cmid = c.ClientId(scenario, n);
    auto [status, body] = clients[t]->Call(
        "POST", "/v1/messages",
        nlohmann::json{{"to", to->user_id}, {"text", cmid}, {"client_msg_id", cmid}},
        from->access_token);
    return status == 201;
  });
  run.cpu = cpu.PerUnitUs(static_cast<double>(run.load.ok));
  const auto [sum1, count1] = ReadHistogram(c, "messaging_send_batch_size");
  run.mean_batch = count1 > count0 ? (sum1 - sum0) / (count1 - count0) : 0;
  return run;
}

SendRun RunGrpc(Context& c, const std::string& scenario, int level) {
  auto stub = messaging::v1::MessagingService::NewStub(c.channel);
  std::atomic<int64_t> counter{0};
  const auto [sum0, count0] = ReadHistogram(c, "messaging_send_batch_size");
  CpuWindow cpu(c);
  SendRun run;
  // Asynchronous stub: `level` calls in flight without a client thread each.
  run.load = RunClosedLoopAsync(level, c.duration, [&](int, std::function<void(bool)> done) {
    const int64_t n = counter++;
    auto [from, to] = Pair(c, n);
    struct Call {
      grpc::ClientContext context;
      messaging::v1::SendMessageRequest request;
      messaging::v1::SendMessageResponse response;
    };
    auto call = std::make_shared<Call>();
    const std::string cmid = c.ClientId(scenario, n);
    call->request.set_sender_id(from->user_id);
    call->request.set_device_id("bench");
    call->request.set_to_user_id(to->user_id);
    call->request.set_text(cmid);
    call->request.set_client_msg_id(cmid);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stub->async()->SendMessage(
        &call->context, &call->request, &call->response,
        [call, done](grpc::Status status) { done(status.ok() && !call->response.duplicate()); });
  });
  run.cpu = cpu.PerUnitUs(static_cast<double>(run.load.ok));
  const auto [sum1, count1] = ReadHistogram(c, "messaging_send_batch_size");
  run.mean_batch = count1 > count0 ? (sum1 - sum0) / (count1 - count0) : 0;
  return run;
}

std::vector<nlohmann::json> LoadCells(const LoadResult& r) {
  return {Num(r.throughput, 0), Num(r.p50_ms), Num(r.p99_ms), Num(r.p999_ms), r.ok, r.errors};
}

double Ratio(double a, double b) { return b > 0 ? a / b : std::nan(""); }

}  // namespace

void SendAndFloors(Context& c) {
  std::vector<std::string> columns = {"path",   "concurrency", "msg/s",
                                      "p50 ms", "p99 ms",      "p99.9 ms",
                                      "ok",     "errors",      "msgs per commit"};
  for (const std::string& col : CpuWindow::Columns("msg")) columns.push_back(col);
  Section& sends = c.report.AddSection("sends", "Sends and the database floors", columns);
  sends.Note(absl::StrFormat(
      "Closed loop, %s per run, %zu friend pairs. Floor (a): one transaction per message "
      "(the single-send statement plus the delete of the previous outbox row) from the same "
      "number of callers over %d connections (the server's pool). Floor (b): the batcher's "
      "statement with as many messages per commit as the batcher reached in the REST run at "
      "that concurrency, from %d writers (the batcher's). CPU is per message written, "
      "of the server processes, PostgreSQL (postmaster and backends) and nats-server.",
      absl::FormatDuration(c.duration), c.users.size() / 2, c.server_pool, c.batch_writers));
  auto floors = Floors::Create(c);
  if (!floors.ok()) {
    c.report.Fail("floors", floors.status().ToString());
    return;
  }
  struct Level {
    SendRun grpc, rest;
    LoadResult a, b;
    int batch = 0;
  };
  std::map<int, Level> levels;
  auto add = [&](const std::string& path, int level, const LoadResult& r, double batch,
                 const std::vector<nlohmann::json>& cpu) {
    std::vector<nlohmann::json> row = {path, level};
    for (auto& cell : LoadCells(r)) row.push_back(cell);
    row.push_back(Num(batch, 1));
    row.insert(row.end(), cpu.begin(), cpu.end());
    sends.Row(row);
    if (r.errors > 0) {
      c.report.Fail("sends",
                    absl::StrFormat("%s at concurrency %d: %d errors", path, level, r.errors));
    }
  };
  for (int level : c.levels) {
    Level& l = levels[level];
    l.grpc = RunGrpc(c, absl::StrCat("grpc", level), level);
    add("gRPC SendMessage", level, l.grpc.load, l.grpc.mean_batch, l.grpc.cpu);
    l.rest = RunRest(c, absl::StrCat("rest", level), level);
    add("REST POST /v1/messages", level, l.rest.load, l.rest.mean_batch, l.rest.cpu);
    {
      CpuWindow cpu(c);
      l.a = (*floors)->PerMessage(level);
      add("floor (a) per message", level, l.a, 1, cpu.PerUnitUs(static_cast<double>(l.a.ok)));
    }
    l.batch = std::max(1, static_cast<int>(std::lround(l.rest.mean_batch)));
    l.batch = std::min(l.batch, (*floors)->MaxBatch(c.batch_writers));
    {
      CpuWindow cpu(c);
      l.b = (*floors)->Batched(c.batch_writers, l.batch);
      add("floor (b) batched", level, l.b, l.batch, cpu.PerUnitUs(static_cast<double>(l.b.ok)));
    }
  }
  Section& ratios = c.report.AddSection(
      "ratios", "Send rate as a ratio to the floors (same concurrency, same run)",
      {"concurrency", "REST / (a)", "REST / (b)", "gRPC / (a)", "gRPC / (b)",
       "batch used for (b)"});
  ratios.Note(
      "Targets (issue 13): REST >= 2x floor (a) and >= 0.35 of floor (b) at "
      "concurrency 32.");
  for (const auto& [level, l] : levels) {
    ratios.Row({level, Num(Ratio(l.rest.load.throughput, l.a.throughput)),
                Num(Ratio(l.rest.load.throughput, l.b.throughput)),
                Num(Ratio(l.grpc.load.throughput, l.a.throughput)),
                Num(Ratio(l.grpc.load.throughput, l.b.throughput)), l.batch});
  }
}

}  // namespace messenger::bench
