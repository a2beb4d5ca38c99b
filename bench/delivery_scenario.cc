// Delivery latency at a fixed send rate, and fan-out to a group; both
// checked message by message.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/checker.h"
#include "bench/poller.h"
#include "bench/scenarios.h"

namespace messenger::bench {

namespace {
constexpr absl::Duration kDrainDeadline = absl::Seconds(15);
}  // namespace

void Drain(const DeliveryChecker& checker) {
  const absl::Time deadline = absl::Now() + kDrainDeadline;
  while (!checker.Complete() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
}

void ReportCheck(Context& c, const std::string& scenario, const CheckResult& r) {
  if (!r.ok()) c.report.Fail(scenario, r.Summary());
  for (const std::string& e : r.examples) c.report.Fail(scenario, "e.g. " + e);
}

std::vector<nlohmann::json> CheckCells(const CheckResult& r) {
  return {r.acknowledged, r.delivered, r.lost,        r.duplicated,
          r.unexpected,   r.wrong_id,  r.send_errors, r.poll_errors};
}
std::vector<std::string> CheckColumns() {
  return {"acknowledged", "deliveries", "lost",        "duplicated",
          "unexpected",   "wrong id",   "send errors", "poll errors"};
}

std::vector<std::string> LatencyColumns() {
  return {"target msg/s", "achieved msg/s", "measured", "p50 ms", "p99 ms", "p99.9 ms", "max ms"};
}
std::vector<nlohmann::json> LatencyCells(double target_rate, double achieved_rate,
                                         const std::vector<double>& sorted_ms) {
  return {Num(target_rate, 0),
          Num(achieved_rate, 0),
          static_cast<int64_t>(sorted_ms.size()),
          Num(Percentile(sorted_ms, 0.5)),
          Num(Percentile(sorted_ms, 0.99)),
          Num(Percentile(sorted_ms, 0.999)),
          Num(sorted_ms.empty() ? 0 : sorted_ms.back())};
}

void Delivery(Context& c, double rate, absl::Duration warmup) {
  const std::string tag = absl::StrFormat("delivery%.0f", rate);
  c.ClaimScenario(tag);
  const int pairs = static_cast<int>(c.users.size() / 2);
  std::vector<BenchUser> recipients;
  for (int p = 0; p < pairs; ++p) recipients.push_back(c.users[p * 2 + 1]);
  DeliveryChecker checker(c.checker_drop);
  std::mutex mutex;
  std::map<std::string, absl::Time> scheduled;  // text -> when it was due
  std::vector<double> latencies;
  absl::Time measure_from = absl::InfiniteFuture();
  auto on_message = [&](const std::string&, const std::string& text, const std::string&,
                        absl::Time arrived) {
    std::lock_guard lock(mutex);
    auto it = scheduled.find(text);
    if (it == scheduled.end()) return;  // a repeat (the checker counts it) or not ours
    if (it->second >= measure_from) {
      latencies.push_back(absl::ToDoubleMilliseconds(arrived - it->second));
    }
    scheduled.erase(it);
  };
  CheckResult result;
  int64_t syncs = 0;
  double achieved = 0;
  std::vector<nlohmann::json> cpu;
  {
    Pollers pollers(c.http, recipients, checker, on_message);
    CpuWindow window(c);
    const int64_t total = static_cast<int64_t>(rate * absl::ToDoubleSeconds(warmup + c.duration));
    const absl::Time start = absl::Now() + absl::Milliseconds(100);
    {
      std::lock_guard lock(mutex);
      measure_from = start + warmup;
    }
    // Enough senders that a slow answer delays no later send.
    constexpr int kSenders = 64;
    std::vector<std::unique_ptr<Api>> apis;
    for (int t = 0; t < kSenders; ++t) apis.push_back(std::make_unique<Api>(c.http));
    std::atomic<int64_t> acked_in_window{0};
    const absl::Time last_done = RunOpenLoop(
        kSenders, total, start, rate, [&](int thread, int64_t i, absl::Time due) {
          const int pair = static_cast<int>(i % pairs);
          const BenchUser& from = c.users[pair * 2];
          const BenchUser& to = c.users[pair * 2 + 1];
          const std::string text = c.ClientId(tag, i);
          checker.Expect(text, {to.user_id});
          {
            std::lock_guard lock(mutex);
            scheduled[text] = due;
          }
          auto [status, body] = apis[thread]->Call(
              "POST", "/v1/messages",
              nlohmann::json{{"to", to.user_id}, {"text", text}, {"client_msg_id", text}},
              from.access_token);
          if (status == 201) {
            checker.Acknowledged(text, body.value("message_id", ""));
            if (due >= start + warmup) ++acked_in_window;
          } else {
            checker.SendFailed(text, "status " + std::to_string(status));
          }
        });
    const double window_s = absl::ToDoubleSeconds(last_done - (start + warmup));
    achieved = window_s > 0 ? static_cast<double>(acked_in_window.load()) / window_s : 0;
    Drain(checker);
    syncs = pollers.sync_calls();
    result = checker.Finish();
    cpu = window.PerUnitUs(static_cast<double>(result.delivered));
  }
  std::sort(latencies.begin(), latencies.end());
  std::vector<std::string> columns = LatencyColumns();
  columns.push_back("Sync calls per message");
  for (const std::string& col : CheckColumns()) columns.push_back(col);
  for (const std::string& col : CpuWindow::Columns("delivered")) columns.push_back(col);
  Section& s = c.report.AddSection(
      tag, "Delivery latency, open loop (scheduled send -> recipient's /v1/sync returns)", columns);
  s.Note(absl::StrFormat(
      "%d recipients long-polling (timeout 1 s, each call counted); sends scheduled every "
      "%.3f ms from 64 sender threads, latency measured from the scheduled time (a late send "
      "counts its lateness); %s warm-up excluded from the percentiles and the achieved rate; "
      "Sync calls and CPU cover the whole scenario. Target: p99 <= 50 ms at 1,000 msg/s.",
      pairs, 1000.0 / rate, absl::FormatDuration(warmup)));
  std::vector<nlohmann::json> row = LatencyCells(rate, achieved, latencies);
  row.push_back(Num(result.delivered > 0 ? static_cast<double>(syncs) / result.delivered : 0));
  for (auto& cell : CheckCells(result)) row.push_back(cell);
  row.insert(row.end(), cpu.begin(), cpu.end());
  s.Row(row);
  ReportCheck(c, tag, result);
}

FanOutRun MeasureFanOut(Context& c, const std::string& scenario,
                        const std::vector<BenchUser>& group, const BenchUser& sender,
                        const std::string& room, int rounds, absl::Duration per_round,
                        int poll_timeout_ms) {
  std::set<std::string> everyone;
  for (const BenchUser& u : group) everyone.insert(u.user_id);
  DeliveryChecker checker(c.checker_drop);
  std::mutex mutex;
  std::map<std::string, std::set<std::string>> reached;  // text -> distinct members
  std::map<std::string, absl::Time> last_arrival;
  FanOutRun run;
  {
    Pollers pollers(
        c.http, group, checker,
        [&](const std::string& user, const std::string& text, const std::string&,
            absl::Time arrived) {
          std::lock_guard lock(mutex);
          if (reached[text].insert(user).second) last_arrival[text] = arrived;
        },
        /*retry_unavailable=*/false, poll_timeout_ms);
    Api api(c.http);
    CpuWindow cpu(c);
    for (int r = 0; r < rounds; ++r) {
      const std::string text = c.ClientId(scenario, r);
      checker.Expect(text, everyone);
      const absl::Time start = absl::Now();
      auto [sent, body] = api.Call(
          "POST", "/v1/messages",
          nlohmann::json{{"conversation_id", room}, {"text", text}, {"client_msg_id", text}},
          sender.access_token);
      if (sent != 201) {
        checker.SendFailed(text, "status " + std::to_string(sent));
        continue;
      }
      checker.Acknowledged(text, body.value("message_id", ""));
      const absl::Time deadline = start + per_round;
      while (absl::Now() < deadline) {
        {
          std::lock_guard lock(mutex);
          if (reached[text].size() == everyone.size()) {
            run.last_member_ms.push_back(absl::ToDoubleMilliseconds(last_arrival[text] - start));
            break;
          }
        }
        absl::SleepFor(absl::Microseconds(500));
      }
    }
    Drain(checker);
    run.cpu_us_per_copy = cpu.PerUnitUs(static_cast<double>(rounds) * everyone.size());
    run.check = checker.Finish();
    run.sync_calls = pollers.sync_calls();
  }
  std::sort(run.last_member_ms.begin(), run.last_member_ms.end());
  return run;
}

void FanOut(Context& c, int members, int rounds) {
  c.ClaimScenario("fanout");
  Api api(c.http);
  std::vector<BenchUser> group = api.CreateUsers(c.prefix + "fan", members);
  if (static_cast<int>(group.size()) < members) {
    c.report.Fail("fanout", "could not register the group's users");
    return;
  }
  const BenchUser& owner = group[0];
  std::vector<std::string> ids;
  for (int i = 1; i < members; ++i) {
    if (!api.Befriend(owner, group[i])) c.report.Fail("fanout", "befriending failed");
    ids.push_back(group[i].user_id);
  }
  auto [status, created] =
      api.Call("POST", "/v1/conversations",
               nlohmann::json{{"name", "fan-out"}, {"member_ids", ids}}, owner.access_token);
  if (status != 201) {
    c.report.Fail("fanout", "group creation: status " + std::to_string(status));
    return;
  }
  const std::string room = created["conversation_id"];
  FanOutRun run = MeasureFanOut(c, "fanout", group, owner, room, rounds, absl::Seconds(5));
  const std::vector<double>& all_in = run.last_member_ms;
  std::vector<std::string> columns = {"members", "rounds", "p50 ms (last member)", "p99 ms",
                                      "max ms"};
  for (const std::string& col : CheckColumns()) columns.push_back(col);
  Section& s =
      c.report.AddSection("fanout", "Fan-out to a group (every member long-polling)", columns);
  s.Note(
      "One message at a time into the group; each must reach every member (the sender "
      "included), each exactly once; the time is until the last distinct member has it.");
  std::vector<nlohmann::json> row = {members, rounds, Num(Percentile(all_in, 0.5)),
                                     Num(Percentile(all_in, 0.99)),
                                     Num(all_in.empty() ? 0 : all_in.back())};
  for (auto& cell : CheckCells(run.check)) row.push_back(cell);
  s.Row(row);
  ReportCheck(c, "fanout", run.check);
}

}  // namespace messenger::bench
