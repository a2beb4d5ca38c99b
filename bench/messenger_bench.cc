// The benchmark suite: throughput, latency and capacity of a running system,
// against a raw PostgreSQL baseline measured in the same run.
//
//   bench_messenger --http=127.0.0.1:8080 --grpc=127.0.0.1:9090 --pg-dsn=... --pid=<server>
//     [--scenarios=baseline,send,delivery,capacity,login,fanout] [--seconds=10]
//     [--concurrency=1,8,32,128] [--connections=10000] [--out=bench/results/run]
// Writes <out>.md and <out>.json.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/bench_client.h"
#include "bench/load.h"
#include "common/crypto.h"
#include "common/pg/pg.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"
#include "messenger/session/v1/session.grpc.pb.h"

using namespace messenger;
using bench::LoadResult;

namespace {

struct Context {
  std::string http;
  std::string grpc_address;
  std::string dsn;
  pid_t pid = 0;
  absl::Duration duration;
  std::vector<int> levels;
  std::string prefix;
  std::shared_ptr<grpc::Channel> channel;
  std::vector<bench::BenchUser> users;  // pairs: (0,1), (2,3), ... are friends
  std::ostringstream md;
  nlohmann::json json = nlohmann::json::object();
};

std::string Ms(double v) { return absl::StrFormat("%.2f", v); }

bench::ProcessUsage Usage(const Context& c) {
  return c.pid ? bench::ReadProcessUsage(c.pid) : bench::ProcessUsage{};
}

// Runs `run` and reports the server's RSS and CPU while it ran.
LoadResult Measure(Context& c, const std::function<LoadResult()>& run, nlohmann::json* server) {
  const bench::ProcessUsage before = Usage(c);
  LoadResult r = run();
  const bench::ProcessUsage after = Usage(c);
  *server = {{"rss_kb", after.rss_kb},
             {"cpu_cores", (after.cpu_seconds - before.cpu_seconds) / r.seconds}};
  return r;
}

LoadResult Measure(Context& c, int concurrency, const std::function<bool(int)>& op,
                   nlohmann::json* server) {
  return Measure(c, [&] { return bench::RunClosedLoop(concurrency, c.duration, op); }, server);
}

std::string ServerCells(const nlohmann::json& s) {
  return absl::StrFormat("%d MiB | %.2f", s["rss_kb"].get<int64_t>() / 1024,
                         s["cpu_cores"].get<double>());
}

// ---------------------------------------------------------------------------
// Users and friendships for the message scenarios.
void Setup(Context& c, int pairs) {
  bench::Api api(c.http);
  const absl::Time start = absl::Now();
  std::mutex mutex;
  std::vector<std::thread> threads;
  std::vector<bench::BenchUser> users(pairs * 2);
  std::atomic<int> next{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      bench::Api local(c.http);
      for (int i = next++; i < pairs * 2; i = next++) {
        auto made = local.CreateUsers(c.prefix + std::to_string(i) + "x", 1);
        if (!made.empty()) users[i] = made[0];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i + 1 < pairs * 2; i += 2) {
    if (users[i].user_id.empty() || users[i + 1].user_id.empty()) continue;
    api.Befriend(users[i], users[i + 1]);
  }
  c.users = std::move(users);
  std::cerr << "setup: " << c.users.size() << " users, " << pairs << " friend pairs in "
            << absl::Now() - start << "\n";
}

// ---------------------------------------------------------------------------
// 1. The physical floor: the rows of a send (event + outbox) by plain libpq
// transactions, same tables and indexes, same concurrency.
std::map<int, LoadResult> Baseline(Context& c) {
  std::map<int, LoadResult> out;
  auto admin = pg::Pool::Create({.dsn = c.dsn, .size = 1});
  if (!admin.ok()) {
    std::cerr << admin.status() << "\n";
    return out;
  }
  (void)(*admin)->WithConnection([](pg::Conn& conn) {
    return conn.ExecScript(
        "DROP SCHEMA IF EXISTS bench_baseline CASCADE; CREATE SCHEMA bench_baseline; "
        "CREATE TABLE bench_baseline.events (LIKE messaging.events INCLUDING ALL); "
        "CREATE TABLE bench_baseline.outbox (LIKE messaging.outbox INCLUDING ALL)");
  });
  static constexpr pg::Query kEvent{
      "bench_event",
      "INSERT INTO events (event_id, room_id, seq, stream_pos, sender, type, origin_server_ts, "
      "state_group, pdu) VALUES ($1, $2, $3, $4, $5, 'm.room.message', $6, 1, $7)"};
  static constexpr pg::Query kOutbox{
      "bench_outbox", "INSERT INTO outbox (event_id, subject, payload) VALUES ($1, $2, $3)"};
  const std::string pdu(700, 'p'), payload(400, 'o');
  std::atomic<int64_t> seq{0};
  c.md << "## 1. Baseline: event + outbox rows by direct libpq transactions\n\n"
       << bench::TableHeader();
  for (int level : c.levels) {
    auto pool = pg::Pool::Create({.dsn = c.dsn, .size = level, .schema = "bench_baseline"});
    if (!pool.ok()) continue;
    const std::string sender = NewUuid(SecureRng::Instance());
    LoadResult r = bench::RunClosedLoop(level, c.duration, [&](int t) {
      const int64_t n = ++seq;
      const std::string id = "$" + std::to_string(n);
      return (*pool)
          ->Transaction([&](pg::Tx& tx) -> absl::Status {
            auto e = tx.Exec(kEvent, {id, "!room" + std::to_string(t) + ":bench", n, n, sender,
                                      n, pdu});
            if (!e.ok()) return e.status();
            return tx.Exec(kOutbox, {NewUuid(SecureRng::Instance()), "message.sent", payload})
                .status();
          })
          .ok();
    });
    out[level] = r;
    c.md << r.Row();
    c.json["baseline"][std::to_string(level)] = r.ToJson();
  }
  c.md << "\n";
  (void)(*admin)->WithConnection(
      [](pg::Conn& conn) { return conn.ExecScript("DROP SCHEMA bench_baseline CASCADE"); });
  return out;
}

// ---------------------------------------------------------------------------
// 2. Sends between many friend pairs, over gRPC and over REST.
std::map<int, LoadResult> SendSweep(Context& c, bool rest, const std::map<int, LoadResult>& baseline,
                                    std::atomic<int64_t>& sent_total) {
  std::map<int, LoadResult> out;
  auto stub = messaging::v1::MessagingService::NewStub(c.channel);
  const int pairs = static_cast<int>(c.users.size() / 2);
  const std::string label = rest ? "REST POST /v1/messages" : "gRPC SendMessage";
  c.md << "## 2. Send via " << label << " (" << pairs << " friend pairs)\n\n"
       << "| concurrency | ops/s | p50 ms | p99 ms | p99.9 ms | errors | ratio to baseline | server RSS | server CPU cores |\n"
       << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  std::atomic<int64_t> counter{0};
  for (int level : c.levels) {
    std::vector<std::unique_ptr<bench::Api>> clients;
    for (int i = 0; i < level; ++i) clients.push_back(std::make_unique<bench::Api>(c.http));
    nlohmann::json server;
    // Who writes to whom: the n-th send of the run.
    auto message_of = [&](int t, int64_t n) {
      const int pair = static_cast<int>((t + n) % pairs);
      const bool flip = n % 2;
      const auto& from = c.users[pair * 2 + (flip ? 1 : 0)];
      const auto& to = c.users[pair * 2 + (flip ? 0 : 1)];
      const std::string cmid = c.prefix + (rest ? "r" : "g") + std::to_string(n);
      return std::make_tuple(&from, &to, cmid);
    };
    LoadResult r;
    if (rest) {
      r = Measure(c, level, [&](int t) {
        auto [from, to, cmid] = message_of(t, ++counter);
        auto [status, body] = clients[t]->Call(
            "POST", "/v1/messages",
            nlohmann::json{{"to", to->user_id}, {"text", "bench message " + cmid}, {"client_msg_id", cmid}},
            from->access_token);
        if (status == 201) ++sent_total;
        return status == 201;
      }, &server);
    } else {
      // Asynchronous stub: `level` calls in flight without a client thread
      // each, as a service calling messaging at high concurrency would do.
      r = Measure(c, [&] {
        return bench::RunClosedLoopAsync(level, c.duration, [&](int t, std::function<void(bool)> done) {
          auto [from, to, cmid] = message_of(t, ++counter);
          struct Call {
            grpc::ClientContext context;
            messaging::v1::SendMessageRequest request;
            messaging::v1::SendMessageResponse response;
          };
          auto call = std::make_shared<Call>();
          call->request.set_sender_id(from->user_id);
          call->request.set_device_id("bench");
          call->request.set_to_user_id(to->user_id);
          call->request.set_text("bench message " + cmid);
          call->request.set_client_msg_id(cmid);
          call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
          stub->async()->SendMessage(&call->context, &call->request, &call->response,
                                     [call, done, &sent_total](grpc::Status status) {
                                       const bool ok = status.ok() && !call->response.duplicate();
                                       if (ok) ++sent_total;
                                       done(ok);
                                     });
        });
      }, &server);
    }
    out[level] = r;
    const double ratio = baseline.contains(level) ? r.throughput / baseline.at(level).throughput : 0;
    c.md << absl::StrFormat("| %d | %.0f | %s | %s | %s | %d | %.2f | %s |\n", level, r.throughput,
                            Ms(r.p50_ms), Ms(r.p99_ms), Ms(r.p999_ms), r.errors, ratio,
                            ServerCells(server));
    nlohmann::json j = r.ToJson();
    j["ratio_to_baseline"] = ratio;
    j["server"] = server;
    c.json[rest ? "send_rest" : "send_grpc"][std::to_string(level)] = j;
  }
  c.md << "\n";
  return out;
}

// A long poll that reports each message event it receives.
class Poller {
 public:
  using OnMessage = std::function<void(const std::string& text)>;
  Poller(const Context& c, const bench::BenchUser& user, OnMessage on_message)
      : user_(user), on_message_(std::move(on_message)), api_(c.http) {
    auto [status, body] = api_.Call("GET", "/v1/sync", std::nullopt, user_.access_token);
    since_ = status == 200 ? body.value("next", "") : "";
    thread_ = std::thread([this] { Run(); });
  }
  ~Poller() {
    stop_ = true;
    thread_.join();
  }
  int64_t polls() const { return polls_; }

 private:
  void Run() {
    while (!stop_) {
      auto [status, body] = api_.Call("GET", "/v1/sync?timeout_ms=1000&since=" + since_,
                                      std::nullopt, user_.access_token);
      ++polls_;
      if (status != 200) continue;
      since_ = body.value("next", since_);
      for (const auto& e : body["events"]) {
        if (e.value("type", "") == "message") on_message_(e["message"].value("text", ""));
      }
    }
  }
  bench::BenchUser user_;
  OnMessage on_message_;
  bench::Api api_;
  std::string since_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> polls_{0};
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// 3. Delivery latency: recipients hold long polls; messages go out at a fixed
// rate; latency = send start -> the recipient's poll returns it. Every message
// sent must be received exactly once.
void Delivery(Context& c, double rate) {
  const int pairs = static_cast<int>(c.users.size() / 2);
  std::mutex mutex;
  std::map<std::string, absl::Time> started;
  std::vector<double> latencies;
  std::map<std::string, int> received;
  auto on_message = [&](const std::string& text) {
    const absl::Time now = absl::Now();
    std::lock_guard lock(mutex);
    if (++received[text] > 1) return;
    auto it = started.find(text);
    if (it != started.end()) latencies.push_back(absl::ToDoubleMilliseconds(now - it->second));
  };
  std::vector<std::unique_ptr<Poller>> pollers;
  for (int p = 0; p < pairs; ++p) pollers.push_back(std::make_unique<Poller>(c, c.users[p * 2 + 1], on_message));
  // Senders: one thread per 8 pairs, open loop at `rate` messages per second in all.
  const int senders = std::max(1, std::min(16, pairs));
  const absl::Duration interval = absl::Seconds(senders / rate);
  std::atomic<int64_t> sent{0}, failed{0};
  std::vector<std::thread> threads;
  const absl::Time end = absl::Now() + c.duration;
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      bench::Api api(c.http);
      absl::Time next = absl::Now() + interval * s / senders;
      for (int64_t n = 0; absl::Now() < end; ++n) {
        absl::SleepFor(next - absl::Now());
        next += interval;
        const int pair = static_cast<int>((s + n * senders) % pairs);
        const std::string text = c.prefix + "d" + std::to_string(s) + "-" + std::to_string(n);
        {
          std::lock_guard lock(mutex);
          started[text] = absl::Now();
        }
        auto [status, body] = api.Call("POST", "/v1/messages",
                                       nlohmann::json{{"to", c.users[pair * 2 + 1].user_id},
                                                      {"text", text},
                                                      {"client_msg_id", text}},
                                       c.users[pair * 2].access_token);
        (status == 201 ? sent : failed)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  // Wait (bounded) until every sent message has arrived.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    std::lock_guard lock(mutex);
    if (static_cast<int64_t>(received.size()) >= sent.load()) break;
    mutex.unlock();
    absl::SleepFor(absl::Milliseconds(20));
    mutex.lock();
  }
  pollers.clear();
  std::lock_guard lock(mutex);
  int64_t duplicates = 0;
  for (const auto& [text, n] : received) duplicates += n - 1;
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies.empty() ? 0.0 : latencies[static_cast<size_t>(p * (latencies.size() - 1))]; };
  const int64_t lost = sent.load() - static_cast<int64_t>(received.size());
  c.md << "## 3. Delivery latency (send -> recipient's /v1/sync returns)\n\n"
       << absl::StrFormat("rate %.0f msg/s (50%% of peak REST send), %d recipients long-polling\n\n", rate, pairs)
       << "| sent | received | lost | duplicated | send errors | p50 ms | p99 ms | p99.9 ms | max ms |\n"
       << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
       << absl::StrFormat("| %d | %d | %d | %d | %d | %s | %s | %s | %s |\n\n", sent.load(),
                          received.size(), lost, duplicates, failed.load(), Ms(pct(0.5)), Ms(pct(0.99)),
                          Ms(pct(0.999)), Ms(latencies.empty() ? 0 : latencies.back()));
  c.json["delivery"] = {{"rate", rate},           {"sent", sent.load()},
                        {"received", received.size()}, {"lost", lost},
                        {"duplicated", duplicates},     {"p50_ms", pct(0.5)},
                        {"p99_ms", pct(0.99)},          {"p999_ms", pct(0.999)}};
  if (lost != 0 || duplicates != 0) c.json["failures"].push_back("delivery lost or duplicated messages");
}

// ---------------------------------------------------------------------------
// 4. Connection capacity: N idle long polls on raw sockets (no client thread
// each), the gateway's RSS per connection, and send latency while they wait.
void Capacity(Context& c, int connections, std::atomic<int64_t>& sent_total) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  const int port = std::stoi(c.http.substr(c.http.rfind(':') + 1));
  auto send_p99 = [&](const char* label) {
    std::atomic<int64_t> dummy{0};
    std::vector<int> saved = c.levels;
    absl::Duration saved_duration = c.duration;
    c.levels = {8};
    c.duration = std::min(c.duration, absl::Seconds(5));
    std::ostringstream ignore;
    std::swap(ignore, c.md);
    auto r = SendSweep(c, /*rest=*/true, {}, sent_total);
    std::swap(ignore, c.md);
    c.levels = saved;
    c.duration = saved_duration;
    (void)label;
    return r[8];
  };
  LoadResult idle = send_p99("idle");
  const bench::ProcessUsage before = Usage(c);
  // The waiting polls belong to a user outside the send load: idle, never
  // woken (a user in the load would wake all of them with every message).
  bench::Api setup(c.http);
  std::vector<bench::BenchUser> idle_users = setup.CreateUsers(c.prefix + "idle", 1);
  if (idle_users.empty()) {
    c.md << "## 4. Connection capacity: setup failed\n\n";
    return;
  }
  const auto& user = idle_users[0];
  auto [status, body] = setup.Call("GET", "/v1/sync", std::nullopt, user.access_token);
  const std::string since = body.value("next", "s0");
  const std::string request = "GET /v1/sync?timeout_ms=30000&since=" + since +
                              " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " +
                              user.access_token + "\r\n\r\n";
  std::vector<int> sockets;
  const absl::Time open_start = absl::Now();
  for (int i = 0; i < connections; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      close(fd);
      break;
    }
    sockets.push_back(fd);
  }
  const absl::Duration open_time = absl::Now() - open_start;
  absl::SleepFor(absl::Seconds(2));  // let the server take them all in
  const bench::ProcessUsage held = Usage(c);
  LoadResult loaded = send_p99("loaded");
  const bench::ProcessUsage after = Usage(c);
  for (int fd : sockets) close(fd);
  const double per_connection_kb =
      sockets.empty() ? 0 : static_cast<double>(held.rss_kb - before.rss_kb) / sockets.size();
  c.md << "## 4. Connection capacity (idle /v1/sync long polls)\n\n"
       << "| connections held | opened in s | server RSS before | with them | per connection | send p99 idle | send p99 with them | ratio |\n"
       << "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
       << absl::StrFormat("| %d | %.1f | %d MiB | %d MiB | %.1f KiB | %s ms | %s ms | %.2f |\n\n",
                          sockets.size(), absl::ToDoubleSeconds(open_time),
                          before.rss_kb / 1024, held.rss_kb / 1024, per_connection_kb,
                          Ms(idle.p99_ms), Ms(loaded.p99_ms), loaded.p99_ms / std::max(idle.p99_ms, 1e-9));
  c.json["capacity"] = {{"connections", sockets.size()}, {"rss_before_kb", before.rss_kb},
                        {"rss_held_kb", held.rss_kb},   {"rss_after_kb", after.rss_kb},
                        {"per_connection_kb", per_connection_kb},
                        {"send_idle", idle.ToJson()},   {"send_loaded", loaded.ToJson()}};
}

// ---------------------------------------------------------------------------
// 5. Logins per second (argon2id at the configured cost) and ValidateSession.
void Login(Context& c) {
  c.md << "## 5. Login and the per-request auth path\n\n"
       << "| what | concurrency | ops/s | p50 ms | p99 ms | p99.9 ms | max ms | ok | errors |\n"
       << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  const auto& user = c.users[0];
  const std::string password = "bench-password-" + user.username;
  for (int level : {1, 2, 4}) {
    std::vector<std::unique_ptr<bench::Api>> clients;
    for (int i = 0; i < level; ++i) clients.push_back(std::make_unique<bench::Api>(c.http));
    LoadResult r = bench::RunClosedLoop(level, c.duration, [&](int t) {
      auto [status, body] = clients[t]->Call(
          "POST", "/v1/auth/login", nlohmann::json{{"login", user.username}, {"password", password}});
      return status == 200;
    });
    c.md << "| login (REST) " << r.Row();
    c.json["login"][std::to_string(level)] = r.ToJson();
  }
  auto stub = session::v1::SessionService::NewStub(c.channel);
  for (int level : {1, 8, 32}) {
    LoadResult r = bench::RunClosedLoop(level, c.duration, [&](int) {
      session::v1::ValidateSessionRequest request;
      request.set_access_token(user.access_token);
      session::v1::ValidateSessionResponse response;
      grpc::ClientContext context;
      return stub->ValidateSession(&context, request, &response).ok();
    });
    c.md << "| ValidateSession (gRPC) " << r.Row();
    c.json["validate_session"][std::to_string(level)] = r.ToJson();
  }
  c.md << "\n";
}

// ---------------------------------------------------------------------------
// 6. Fan-out: a group of 100; every member long-polls; time until all have it.
void FanOut(Context& c, int members, int rounds) {
  bench::Api api(c.http);
  std::vector<bench::BenchUser> group_users = api.CreateUsers(c.prefix + "fan", members);
  if (static_cast<int>(group_users.size()) < members) {
    c.md << "## 6. Fan-out: setup failed\n\n";
    return;
  }
  const bench::BenchUser& owner = group_users[0];
  for (int i = 1; i < members; ++i) api.Befriend(owner, group_users[i]);
  std::vector<std::string> ids;
  for (int i = 1; i < members; ++i) ids.push_back(group_users[i].user_id);
  auto [status, group] = api.Call("POST", "/v1/conversations",
                                  nlohmann::json{{"name", "fan-out"}, {"member_ids", ids}},
                                  owner.access_token);
  if (status != 201) {
    c.md << "## 6. Fan-out: group creation failed (" << status << ")\n\n";
    return;
  }
  const std::string room = group["conversation_id"];
  std::mutex mutex;
  std::map<std::string, std::vector<absl::Time>> arrivals;
  std::vector<std::unique_ptr<Poller>> pollers;
  for (const auto& u : group_users) {
    pollers.push_back(std::make_unique<Poller>(c, u, [&](const std::string& text) {
      std::lock_guard lock(mutex);
      arrivals[text].push_back(absl::Now());
    }));
  }
  absl::SleepFor(absl::Milliseconds(500));  // polls parked
  std::vector<double> all_in;
  int complete = 0;
  for (int r = 0; r < rounds; ++r) {
    const std::string text = c.prefix + "fan" + std::to_string(r);
    const absl::Time start = absl::Now();
    api.Call("POST", "/v1/messages",
             nlohmann::json{{"conversation_id", room}, {"text", text}, {"client_msg_id", text}},
             owner.access_token);
    const absl::Time deadline = start + absl::Seconds(5);
    while (absl::Now() < deadline) {
      {
        std::lock_guard lock(mutex);
        if (static_cast<int>(arrivals[text].size()) >= members) break;
      }
      absl::SleepFor(absl::Microseconds(200));
    }
    std::lock_guard lock(mutex);
    if (static_cast<int>(arrivals[text].size()) >= members) {
      ++complete;
      all_in.push_back(absl::ToDoubleMilliseconds(
          *std::max_element(arrivals[text].begin(), arrivals[text].end()) - start));
    }
    mutex.unlock();
    absl::SleepFor(absl::Milliseconds(100));
    mutex.lock();
  }
  pollers.clear();
  std::sort(all_in.begin(), all_in.end());
  auto pct = [&](double p) { return all_in.empty() ? 0.0 : all_in[static_cast<size_t>(p * (all_in.size() - 1))]; };
  c.md << "## 6. Fan-out to a group of " << members << " (all members long-polling)\n\n"
       << "| rounds | all delivered | p50 ms (last member) | p99 ms | max ms |\n|---:|---:|---:|---:|---:|\n"
       << absl::StrFormat("| %d | %d | %s | %s | %s |\n\n", rounds, complete, Ms(pct(0.5)), Ms(pct(0.99)),
                          Ms(all_in.empty() ? 0 : all_in.back()));
  c.json["fanout"] = {{"members", members}, {"rounds", rounds}, {"complete", complete},
                      {"p50_ms", pct(0.5)}, {"p99_ms", pct(0.99)}};
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv);
  Context c;
  c.http = flags.Get("http", "127.0.0.1:8080");
  c.grpc_address = flags.Get("grpc", "127.0.0.1:9090");
  c.dsn = flags.Get("pg-dsn", "host=127.0.0.1 port=5433 dbname=messenger user=postgres");
  c.pid = flags.GetInt("pid", 0);
  c.duration = absl::Seconds(flags.GetInt("seconds", 10));
  c.levels = flags.GetInts("concurrency", {1, 8, 32, 128});
  c.prefix = "b" + HexEncode(SecureRng::Instance().Bytes(3));
  const std::string out = flags.Get("out", "bench-report");
  std::set<std::string> scenarios;
  for (absl::string_view s : absl::StrSplit(flags.Get("scenarios", "baseline,send,delivery,capacity,login,fanout"), ',')) {
    scenarios.insert(std::string(s));
  }
  c.channel = grpc::CreateChannel(c.grpc_address, grpc::InsecureChannelCredentials());

  c.md << "# messenger benchmark\n\n" << flags.Get("machine", "") << "\n\n"
       << "Each closed-loop run lasts " << c.duration << "; server RSS/CPU are the all-in-one process.\n\n";
  Setup(c, flags.GetInt("pairs", 64));
  std::atomic<int64_t> sent_total{0};
  std::map<int, LoadResult> baseline, rest;
  if (scenarios.contains("baseline")) baseline = Baseline(c);
  if (scenarios.contains("send")) {
    SendSweep(c, /*rest=*/false, baseline, sent_total);
    rest = SendSweep(c, /*rest=*/true, baseline, sent_total);
  }
  if (scenarios.contains("delivery")) {
    double peak = 0;
    for (const auto& [level, r] : rest) peak = std::max(peak, r.throughput);
    Delivery(c, peak > 0 ? peak / 2 : flags.GetInt("rate", 200));
  }
  if (scenarios.contains("capacity")) Capacity(c, flags.GetInt("connections", 10000), sent_total);
  if (scenarios.contains("login")) Login(c);
  if (scenarios.contains("fanout")) FanOut(c, flags.GetInt("members", 100), flags.GetInt("rounds", 20));

  std::ofstream(out + ".md") << c.md.str();
  std::ofstream(out + ".json") << c.json.dump(2) << "\n";
  std::cout << c.md.str();
  return c.json.contains("failures") ? 2 : 0;
}
