// Issue 14's Matrix sync numbers from a client that costs little: a reader
// in `rooms` rooms of `messages` messages each; its initial /v3/sync (timeline
// limit 10, lazy-loaded members), then its incremental sync's wake latency
// while the sender's Matrix sends are due at a fixed rate (open loop), every
// event checked by id. Keep-alive connections, as Matrix clients hold them.
#include <atomic>
#include <iostream>
#include <mutex>
#include <unistd.h>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/checker.h"
#include "bench/scenarios.h"

namespace messenger::bench {
namespace {

constexpr char kClient[] = "/_matrix/client/v3";
constexpr int kSenders = 64;  // open loop: enough that a slow answer delays no later send
constexpr int kSetupThreads = 8;
constexpr int kInitialSyncRuns = 5;
constexpr int kPollTimeoutMs = 2000;
constexpr int kLastLookMs = 1000;
constexpr absl::Duration kDrainDeadline = absl::Seconds(15);

std::string PathSegment(absl::string_view text) {
  std::string out;
  for (char ch : text) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.') {
      out += ch;
    } else {
      out += absl::StrFormat("%%%02X", static_cast<unsigned char>(ch));
    }
  }
  return out;
}

struct Reader {
  BenchUser user;
  std::string matrix_id;
  std::string filter_id;
};

// The reader's Matrix id and a stored filter, as clients use them.
bool PrepareReader(Api& api, Reader& reader) {
  auto [status, whoami] =
      api.Call("GET", absl::StrCat(kClient, "/account/whoami"), std::nullopt,
               reader.user.access_token);
  if (status != 200) return false;
  reader.matrix_id = whoami.value("user_id", "");
  auto [made, filter] = api.Call(
      "POST", absl::StrCat(kClient, "/user/", PathSegment(reader.matrix_id), "/filter"),
      nlohmann::json{{"room",
                      {{"timeline", {{"limit", 10}}}, {"state", {{"lazy_load_members", true}}}}}},
      reader.user.access_token);
  reader.filter_id = filter.value("filter_id", "");
  return made == 200 && !reader.filter_id.empty();
}

// Rooms made by the sender through Matrix createRoom, the reader added
// through /v1 (they are friends), `messages` /v1 messages in each.
std::vector<std::string> MakeRooms(Context& c, const BenchUser& sender, const BenchUser& reader,
                                   int rooms, int messages) {
  std::vector<std::string> ids(rooms);
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSetupThreads; ++t) {
    threads.emplace_back([&] {
      Api api(c.http);
      for (int i = next++; i < rooms; i = next++) {
        auto [status, made] =
            api.Call("POST", absl::StrCat(kClient, "/createRoom"),
                     nlohmann::json{{"name", absl::StrCat("wake ", i)}}, sender.access_token);
        if (status != 200) {
          ++failures;
          continue;
        }
        const std::string room = made.value("room_id", "");
        auto [added, unused] = api.Call(
            "POST", absl::StrCat("/v1/conversations/", PathSegment(room), "/members"),
            nlohmann::json{{"member_ids", {reader.user_id}}}, sender.access_token);
        if (added != 200) ++failures;
        for (int m = 0; m < messages; ++m) {
          const std::string id = c.ClientId("mxsetup", int64_t{i} * messages + m);
          auto [sent, body] = api.Call(
              "POST", "/v1/messages",
              nlohmann::json{{"conversation_id", room}, {"text", id}, {"client_msg_id", id}},
              sender.access_token);
          if (sent != 201) ++failures;
        }
        ids[i] = room;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (failures > 0) c.report.Fail("matrixwake", absl::StrCat(failures.load(), " setup calls failed"));
  return ids;
}

std::string SyncPath(const Reader& reader, const std::string& since, int timeout_ms) {
  std::string path = absl::StrCat(kClient, "/sync?filter=", reader.filter_id,
                                   "&timeout=", timeout_ms);
  if (!since.empty()) absl::StrAppend(&path, "&since=", PathSegment(since));
  return path;
}

}  // namespace

void MatrixWake(Context& c, int rooms, int messages, double rate, absl::Duration warmup) {
  const std::string tag = "matrixwake";
  c.ClaimScenario(tag);
  c.ClaimScenario("mxsetup");
  if (c.users.size() < 2) {
    c.report.Fail(tag, "needs one pair of friends");
    return;
  }
  const BenchUser& sender = c.users[0];
  Reader reader{c.users[1], "", ""};
  Api api(c.http);
  if (!PrepareReader(api, reader)) {
    c.report.Fail(tag, "whoami or filter upload failed");
    return;
  }
  const absl::Time setup_start = absl::Now();
  const std::vector<std::string> room_ids = MakeRooms(c, sender, reader.user, rooms, messages);
  const absl::Duration setup_time = absl::Now() - setup_start;

  // Initial syncs: wall time, and the server's CPU for them.
  std::vector<double> initial_ms;
  int64_t rooms_in_answer = 0;
  std::vector<nlohmann::json> initial_cpu;
  {
    CpuWindow window(c);
    for (int run = 0; run < kInitialSyncRuns; ++run) {
      const absl::Time t0 = absl::Now();
      auto [status, body] =
          api.Call("GET", SyncPath(reader, "", 0), std::nullopt, reader.user.access_token);
      initial_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      if (status != 200) {
        c.report.Fail(tag, absl::StrCat("initial sync: status ", status));
        continue;
      }
      // The pair's direct room is in the answer too: count the bench's rooms.
      const nlohmann::json& joined = body["rooms"]["join"];
      rooms_in_answer = 0;
      for (const std::string& id : room_ids) rooms_in_answer += joined.contains(id) ? 1 : 0;
    }
    initial_cpu = window.PerUnitUs(kInitialSyncRuns);
  }
  std::sort(initial_ms.begin(), initial_ms.end());
  if (rooms_in_answer != rooms) {
    c.report.Fail(tag, absl::StrFormat("initial sync has %d of %d rooms", rooms_in_answer, rooms));
  }

  // The wake phase.
  auto [first_status, first] =
      api.Call("GET", SyncPath(reader, "", 0), std::nullopt, reader.user.access_token);
  std::string since = first_status == 200 ? first.value("next_batch", "") : "";
  if (since.empty()) c.report.Fail(tag, absl::StrCat("first sync: status ", first_status));
  DeliveryChecker checker(c.checker_drop);
  std::mutex mutex;
  std::map<std::string, absl::Time> scheduled;  // body -> when its send was due
  std::vector<double> latencies;
  const int64_t total = static_cast<int64_t>(rate * absl::ToDoubleSeconds(warmup + c.duration));
  const absl::Time start = absl::Now() + absl::Milliseconds(100);
  const absl::Time measure_from = start + warmup;
  const std::string wake_prefix = absl::StrCat(c.prefix, "-", tag, "-");  // as ClientId
  std::atomic<bool> sending_done{false};
  std::atomic<int64_t> polls{0}, limited{0};
  const double client_cpu_before = ReadProcessUsage(getpid()).cpu_seconds;
  CheckResult result;
  std::vector<nlohmann::json> cpu;
  double achieved = 0;
  {
    CpuWindow window(c);
    std::thread poller([&] {
      Api poll_api(c.http);
      absl::Time drain_deadline = absl::InfiniteFuture();
      bool last_look = false;  // once all arrived: one more poll, for late repeats
      while (!since.empty()) {
        if (sending_done && drain_deadline == absl::InfiniteFuture()) {
          drain_deadline = absl::Now() + kDrainDeadline;
        }
        if (last_look) break;
        if (sending_done && absl::Now() > drain_deadline) break;
        last_look = sending_done && checker.Complete();
        auto [status, body] = poll_api.Call(
            "GET", SyncPath(reader, since, last_look ? kLastLookMs : kPollTimeoutMs),
            std::nullopt, reader.user.access_token);
        const absl::Time arrived = absl::Now();
        ++polls;
        if (status != 200 || !body.is_object()) {
          checker.PollFailed(reader.matrix_id, absl::StrCat("sync status ", status));
          absl::SleepFor(absl::Milliseconds(50));
          continue;
        }
        since = body.value("next_batch", "");
        const nlohmann::json& joined = body["rooms"]["join"];
        if (!joined.is_object()) continue;
        for (const auto& [room_id, room] : joined.items()) {
          const nlohmann::json& timeline = room["timeline"];
          if (timeline.value("limited", false)) ++limited;
          for (const nlohmann::json& event : timeline["events"]) {
            if (event.value("type", "") != "m.room.message") continue;
            const std::string text = event["content"].value("body", "");
            if (text.rfind(wake_prefix, 0) != 0) continue;  // the setup's messages
            checker.Observe(reader.matrix_id, text, event.value("event_id", ""));
            std::lock_guard lock(mutex);
            auto it = scheduled.find(text);
            if (it == scheduled.end()) continue;
            if (it->second >= measure_from) {
              latencies.push_back(absl::ToDoubleMilliseconds(arrived - it->second));
            }
            scheduled.erase(it);
          }
        }
      }
    });
    std::vector<std::unique_ptr<Api>> apis;
    for (int t = 0; t < kSenders; ++t) apis.push_back(std::make_unique<Api>(c.http));
    std::atomic<int64_t> acked_in_window{0};
    const absl::Time last_done = RunOpenLoop(
        kSenders, total, start, rate, [&](int thread, int64_t i, absl::Time due) {
          const std::string text = c.ClientId(tag, i);
          const std::string& room = room_ids[i % room_ids.size()];
          checker.Expect(text, {reader.matrix_id});
          {
            std::lock_guard lock(mutex);
            scheduled[text] = due;
          }
          auto [status, body] = apis[thread]->Call(
              "PUT",
              absl::StrCat(kClient, "/rooms/", PathSegment(room), "/send/m.room.message/", text),
              nlohmann::json{{"msgtype", "m.text"}, {"body", text}}, sender.access_token);
          if (status == 200) {
            checker.Acknowledged(text, body.value("event_id", ""));
            if (due >= measure_from) ++acked_in_window;
          } else {
            checker.SendFailed(text, absl::StrCat("status ", status));
          }
        });
    sending_done = true;
    poller.join();
    const double window_s = absl::ToDoubleSeconds(last_done - measure_from);
    achieved = window_s > 0 ? static_cast<double>(acked_in_window.load()) / window_s : 0;
    result = checker.Finish();
    cpu = window.PerUnitUs(static_cast<double>(result.delivered));
  }
  const double client_cpu_s = ReadProcessUsage(getpid()).cpu_seconds - client_cpu_before;
  const double client_cpu_us =
      result.delivered > 0 ? client_cpu_s * 1e6 / static_cast<double>(result.delivered) : 0;
  std::sort(latencies.begin(), latencies.end());

  std::vector<std::string> initial_columns = {"rooms", "messages per room", "setup s",
                                              "rooms in answer", "p50 ms", "max ms"};
  for (const std::string& col : CpuWindow::Columns("sync")) initial_columns.push_back(col);
  Section& initial = c.report.AddSection(
      "matrixinitial", "Matrix initial /v3/sync (timeline limit 10, lazy-loaded members)",
      initial_columns);
  initial.Note(absl::StrFormat(
      "%d runs one after another on one keep-alive connection; the rooms made by Matrix "
      "createRoom, the reader added and the messages sent through /v1. Target: p50 <= 1,000 ms.",
      kInitialSyncRuns));
  std::vector<nlohmann::json> initial_row = {rooms,
                                             messages,
                                             Num(absl::ToDoubleSeconds(setup_time), 0),
                                             rooms_in_answer,
                                             Num(Percentile(initial_ms, 0.5), 0),
                                             Num(initial_ms.empty() ? 0 : initial_ms.back(), 0)};
  initial_row.insert(initial_row.end(), initial_cpu.begin(), initial_cpu.end());
  initial.Row(initial_row);

  std::vector<std::string> columns = LatencyColumns();
  columns.push_back("syncs");
  columns.push_back("limited timelines");
  for (const std::string& col : CheckColumns()) columns.push_back(col);
  for (const std::string& col : CpuWindow::Columns("delivered")) columns.push_back(col);
  columns.push_back("bench client CPU µs/delivered");
  Section& s = c.report.AddSection(
      tag, "Matrix incremental sync wake latency, open loop (due send -> reader's /v3/sync)",
      columns);
  s.Note(absl::StrFormat(
      "Matrix sends (PUT .../send/m.room.message/{txnId}) due every %.3f ms round-robin over the "
      "%d rooms from %d keep-alive sender threads; one reader long-polls /v3/sync (timeout %d "
      "ms, the stored filter above) on its own connection; latency from the due time (a late "
      "send counts its lateness); %s warm-up excluded from the percentiles and the achieved "
      "rate. Every event checked by id: once (a last poll after all arrived looks for late repeats), none missing. Target: p99 <= 50 ms at 500 msg/s.",
      1000.0 / rate, rooms, kSenders, kPollTimeoutMs, absl::FormatDuration(warmup)));
  std::vector<nlohmann::json> row = LatencyCells(rate, achieved, latencies);
  row.push_back(polls.load());
  row.push_back(limited.load());
  for (auto& cell : CheckCells(result)) row.push_back(cell);
  row.insert(row.end(), cpu.begin(), cpu.end());
  row.push_back(Num(client_cpu_us, 0));
  s.Row(row);
  ReportCheck(c, tag, result);
}

}  // namespace messenger::bench
