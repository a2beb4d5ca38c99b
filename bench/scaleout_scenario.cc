// The same send load against 1 or N messaging replicas (split mode), with
// one replica killed half-way; every message checked.
#include <signal.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/poller.h"
#include "bench/scenarios.h"

namespace messenger::bench {

namespace {
constexpr int kConcurrency = 32;
constexpr absl::Duration kRetryFor = absl::Seconds(30);
}  // namespace

void ScaleOut(Context& c, int replicas, pid_t kill_parent) {
  c.ClaimScenario("scaleout");
  const int pairs = static_cast<int>(c.users.size() / 2);
  DeliveryChecker checker(c.checker_drop);
  std::atomic<int64_t> counter{0}, retries{0};
  std::string killed = "no";
  CheckResult result;
  LoadResult load;
  int64_t polls_unavailable = 0;
  std::vector<nlohmann::json> cpu;
  {
    // Both ends of every pair poll: a sender gets its own message too.
    // A poll answered 5xx while a replica restarts is asked again.
    Pollers pollers(c.http, c.users, checker, nullptr, /*retry_unavailable=*/kill_parent > 0);
    CpuWindow window(c);
    std::thread killer;
    if (kill_parent > 0) {
      killer = std::thread([&] {
        absl::SleepFor(c.duration / 2);
        const std::vector<pid_t> children = Children(kill_parent);
        if (children.empty()) {
          c.report.Fail("scaleout", "no replica to kill under the given pid");
          return;
        }
        kill(children.front(), SIGKILL);
        killed =
            absl::StrFormat("pid %d at %s", children.front(), absl::FormatDuration(c.duration / 2));
      });
    }
    std::vector<std::unique_ptr<Api>> clients;
    for (int i = 0; i < kConcurrency; ++i) clients.push_back(std::make_unique<Api>(c.http));
    load = RunClosedLoop(kConcurrency, c.duration, [&](int t) {
      const int64_t n = counter++;
      const int pair = static_cast<int>(n % pairs);
      const bool flip = (n / pairs) % 2;
      const BenchUser& from = c.users[pair * 2 + (flip ? 1 : 0)];
      const BenchUser& to = c.users[pair * 2 + (flip ? 0 : 1)];
      const std::string text = c.ClientId("scaleout", n);
      checker.Expect(text, {from.user_id, to.user_id});
      // A client that did not get an answer retries with the same client_msg_id.
      const absl::Time deadline = absl::Now() + kRetryFor;
      int status = 0;
      nlohmann::json body;
      for (int attempt = 0; absl::Now() < deadline; ++attempt) {
        if (attempt > 0) {
          ++retries;
          absl::SleepFor(absl::Milliseconds(100));
        }
        std::tie(status, body) = clients[t]->Call(
            "POST", "/v1/messages",
            nlohmann::json{{"to", to.user_id}, {"text", text}, {"client_msg_id", text}},
            from.access_token);
        if (status == 200 || status == 201 || (status >= 400 && status < 500 && status != 429)) {
          break;
        }
      }
      if (status == 200 || status == 201) {
        checker.Acknowledged(text, body.value("message_id", ""));
        return true;
      }
      checker.SendFailed(text, "status " + std::to_string(status));
      return false;
    });
    if (killer.joinable()) killer.join();
    Drain(checker);
    result = checker.Finish();
    polls_unavailable = pollers.unavailable();
    cpu = window.PerUnitUs(static_cast<double>(result.acknowledged));
  }
  std::vector<std::string> columns = {
      "messaging replicas", "replica killed",    "msg/s", "p50 ms", "p99 ms", "max ms",
      "send retries",       "polls answered 5xx"};
  for (const std::string& col : CheckColumns()) columns.push_back(col);
  for (const std::string& col : CpuWindow::Columns("msg")) columns.push_back(col);
  Section& s =
      c.report.AddSection("scaleout", "Scale-out: the same send load, split mode", columns);
  s.Note(absl::StrFormat(
      "REST closed loop at concurrency %d for %s between %d friend pairs, both ends of each "
      "pair long-polling; a send without an answer is retried with the same client_msg_id "
      "for up to %s (a retry's latency counts in the send's). Every message must reach sender "
      "and recipient exactly once.",
      kConcurrency, absl::FormatDuration(c.duration), pairs, absl::FormatDuration(kRetryFor)));
  std::vector<nlohmann::json> row = {replicas,         killed,           Num(load.throughput, 0),
                                     Num(load.p50_ms), Num(load.p99_ms), Num(load.max_ms),
                                     retries.load(),   polls_unavailable};
  for (auto& cell : CheckCells(result)) row.push_back(cell);
  row.insert(row.end(), cpu.begin(), cpu.end());
  s.Row(row);
  ReportCheck(c, "scaleout", result);
}

}  // namespace messenger::bench
