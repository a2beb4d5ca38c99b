// WebSocket capacity and delivery latency of a running all-in-one system:
// opens --sockets idle /v1/ws sockets spread over --users users and reports
// the server's memory per socket, then measures delivery latency at the same
// message rate over WebSockets and over /v1/sync long polls.
//
//   bench_ws --http=127.0.0.1:8080 --pid=<server> [--users=1000] [--sockets=10000]
//     [--pairs=20] [--rate=50] [--seconds=10] [--out=bench/results/ws]
// The server needs MESSENGER_WS_PER_USER >= sockets/users + 1 and the auth
// limits raised (bench/run.sh's environment); both ends need ~sockets fds.
#include <sys/resource.h>

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_client.h"
#include "bench/load.h"

using namespace messenger;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

namespace {

constexpr char kPrefix[] = "lat ";

int64_t NowMicros() { return absl::GetCurrentTimeNanos() / 1000; }

// Latency samples (microseconds) of messages whose text is "lat <sent_us>".
class Samples {
 public:
  void AddFromEvents(const nlohmann::json& events) {
    const int64_t now = NowMicros();
    std::lock_guard lock(mutex_);
    for (const auto& e : events) {
      if (e.value("type", "") != "message") continue;
      const std::string text = e["message"].value("text", "");
      int64_t sent = 0;
      if (text.rfind(kPrefix, 0) == 0 && absl::SimpleAtoi(text.substr(4), &sent)) {
        micros_.push_back(now - sent);
      }
    }
  }
  nlohmann::json Summary() {
    std::lock_guard lock(mutex_);
    std::sort(micros_.begin(), micros_.end());
    auto at = [&](double q) {
      return micros_.empty() ? 0.0
                             : micros_[std::min(micros_.size() - 1,
                                                static_cast<size_t>(q * micros_.size()))] / 1000.0;
    };
    return {{"samples", micros_.size()}, {"p50_ms", at(0.5)}, {"p99_ms", at(0.99)},
            {"max_ms", micros_.empty() ? 0.0 : micros_.back() / 1000.0}};
  }

 private:
  std::mutex mutex_;
  std::vector<int64_t> micros_;
};

// Many sockets on one io_context: each connects, opens /v1/ws with its
// user's bearer token and reads frames until told to stop.
class Sockets {
 public:
  Sockets(std::string host, int port) : host_(std::move(host)), port_(port) {}

  // Opens one; `samples` (maybe null) gets its frames' message latencies.
  void Open(const std::string& token, Samples* samples) {
    auto s = std::make_shared<Socket>(io_);
    s->samples = samples;
    sockets_.push_back(s);
    s->ws.next_layer().async_connect(
        tcp::endpoint(net::ip::make_address(host_), port_),
        [this, s, token](beast::error_code ec) {
          if (ec) return Failed();
          s->ws.set_option(websocket::stream_base::decorator(
              [token](websocket::request_type& r) { r.set("Authorization", "Bearer " + token); }));
          s->ws.async_handshake(host_, "/v1/ws", [this, s](beast::error_code ec) {
            if (ec) return Failed();
            Read(s);
          });
        });
  }
  void Run() {
    thread_ = std::thread([this] {
      auto guard = net::make_work_guard(io_);
      io_.run();
    });
  }
  // Sockets that have their first frame (authenticated, streaming).
  int ready() const { return ready_.load(); }
  int failed() const { return failed_.load(); }
  void CloseAll() {
    net::post(io_, [this] {
      for (auto& s : sockets_) {
        beast::error_code ec;
        s->ws.next_layer().close(ec);
      }
      sockets_.clear();
    });
  }
  ~Sockets() {
    CloseAll();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Socket {
    explicit Socket(net::io_context& io) : ws(io) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
    Samples* samples = nullptr;
    bool counted = false;
  };
  void Failed() { ++failed_; }
  void Read(const std::shared_ptr<Socket>& s) {
    s->ws.async_read(s->buffer, [this, s](beast::error_code ec, size_t) {
      if (ec) return;
      if (!s->counted) {
        s->counted = true;
        ++ready_;
      }
      if (s->samples) {
        nlohmann::json frame = nlohmann::json::parse(
            beast::buffers_to_string(s->buffer.data()), nullptr, false);
        if (frame.is_object() && frame.contains("events")) s->samples->AddFromEvents(frame["events"]);
      }
      s->buffer.consume(s->buffer.size());
      Read(s);
    });
  }

  net::io_context io_;
  std::string host_;
  int port_;
  std::vector<std::shared_ptr<Socket>> sockets_;
  std::atomic<int> ready_{0}, failed_{0};
  std::thread thread_;
};

// Sends "lat <now>" from each pair's first user to its second, `rate`
// messages a second in all, for `duration`.
void SendAtRate(const std::string& http, const std::vector<bench::BenchUser>& users, int pairs,
                int rate, absl::Duration duration) {
  bench::Api api(http);
  const absl::Duration gap = absl::Seconds(1) / rate;
  const absl::Time end = absl::Now() + duration;
  absl::Time next = absl::Now();
  for (int64_t i = 0; absl::Now() < end; ++i) {
    absl::SleepFor(next - absl::Now());
    next += gap;
    const int p = static_cast<int>(i % pairs);
    api.Call("POST", "/v1/messages",
             nlohmann::json{{"to", users[2 * p + 1].user_id},
                            {"text", absl::StrCat(kPrefix, NowMicros())},
                            {"client_msg_id", absl::StrCat("b", i, "-", NowMicros())}},
             users[2 * p].access_token);
  }
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv);
  const std::string http = flags.Get("http", "127.0.0.1:8080");
  const pid_t pid = flags.GetInt("pid", 0);
  const int user_count = flags.GetInt("users", 1000);
  const int socket_count = flags.GetInt("sockets", 10000);
  const int pairs = std::min(flags.GetInt("pairs", 20), user_count / 2);
  const int rate = flags.GetInt("rate", 50);
  const absl::Duration duration = absl::Seconds(flags.GetInt("seconds", 10));
  const std::string out = flags.Get("out", "bench/results/ws");
  const std::string host = http.substr(0, http.find(':'));
  const int port = std::stoi(http.substr(http.find(':') + 1));
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);

  bench::Api api(http);
  std::cerr << "creating " << user_count << " users\n";
  const std::string prefix = absl::StrFormat("ws%x", absl::ToUnixSeconds(absl::Now()) % 0xfffff);
  std::vector<bench::BenchUser> users = api.CreateUsers(prefix, user_count);
  if (static_cast<int>(users.size()) < user_count) {
    std::cerr << "only " << users.size() << " users could be created\n";
    return 1;
  }
  for (int p = 0; p < pairs; ++p) {
    if (!api.Befriend(users[2 * p], users[2 * p + 1])) {
      std::cerr << "befriend failed\n";
      return 1;
    }
  }

  nlohmann::json json;
  std::ostringstream md;
  // ---- idle sockets ----
  const int64_t rss_before = bench::ReadProcessUsage(pid).rss_kb;
  Sockets idle(host, port);
  idle.Run();
  const absl::Time open_start = absl::Now();
  for (int i = 0; i < socket_count; ++i) idle.Open(users[i % user_count].access_token, nullptr);
  const bool all_open = WaitFor([&] { return idle.ready() + idle.failed() >= socket_count; },
                                absl::Seconds(300));
  const double open_seconds = absl::ToDoubleSeconds(absl::Now() - open_start);
  absl::SleepFor(absl::Seconds(3));  // let allocator caches settle before reading RSS
  const int64_t rss_after = bench::ReadProcessUsage(pid).rss_kb;
  const double per_socket_kb =
      idle.ready() > 0 ? static_cast<double>(rss_after - rss_before) / idle.ready() : 0;
  json["idle"] = {{"sockets", socket_count}, {"users", user_count},   {"ready", idle.ready()},
                  {"failed", idle.failed()}, {"complete", all_open},  {"open_seconds", open_seconds},
                  {"rss_before_kb", rss_before}, {"rss_after_kb", rss_after},
                  {"kb_per_socket", per_socket_kb}};
  md << "## Idle WebSockets\n\n| sockets | users | ready | failed | open time | server RSS before | after | per socket |\n"
     << "|---|---|---|---|---|---|---|---|\n"
     << absl::StrFormat("| %d | %d | %d | %d | %.1f s | %d MiB | %d MiB | %.2f KiB |\n\n", socket_count,
                        user_count, idle.ready(), idle.failed(), open_seconds, rss_before / 1024,
                        rss_after / 1024, per_socket_kb);
  std::cerr << md.str();

  // ---- delivery over WebSocket (the idle sockets stay open) ----
  Samples ws_samples;
  {
    Sockets measured(host, port);
    measured.Run();
    for (int p = 0; p < pairs; ++p) measured.Open(users[2 * p + 1].access_token, &ws_samples);
    WaitFor([&] { return measured.ready() >= pairs; }, absl::Seconds(30));
    SendAtRate(http, users, pairs, rate, duration);
    absl::SleepFor(absl::Seconds(2));  // the last messages land
  }
  // ---- delivery over long polls, same rate ----
  Samples lp_samples;
  {
    std::atomic<bool> stop{false};
    std::vector<std::thread> pollers;
    for (int p = 0; p < pairs; ++p) {
      pollers.emplace_back([&, p] {
        bench::Api poller(http);
        const std::string& token = users[2 * p + 1].access_token;
        std::string since = poller.Call("GET", "/v1/sync", std::nullopt, token).second.value("next", "");
        while (!stop) {
          auto [status, body] = poller.Call(
              "GET", absl::StrCat("/v1/sync?timeout_ms=2000&since=", since), std::nullopt, token);
          if (status != 200) continue;
          lp_samples.AddFromEvents(body["events"]);
          since = body.value("next", since);
        }
      });
    }
    absl::SleepFor(absl::Seconds(1));
    SendAtRate(http, users, pairs, rate, duration);
    absl::SleepFor(absl::Seconds(2));
    stop = true;
    for (auto& t : pollers) t.join();
  }
  json["delivery"] = {{"rate_per_s", rate}, {"pairs", pairs}, {"seconds", absl::ToInt64Seconds(duration)},
                      {"websocket", ws_samples.Summary()}, {"long_poll", lp_samples.Summary()}};
  md << absl::StrFormat("## Delivery at %d messages/s (%d pairs, %d s, %d idle sockets open)\n\n",
                        rate, pairs, absl::ToInt64Seconds(duration), idle.ready())
     << "| transport | samples | p50 | p99 | max |\n|---|---|---|---|---|\n";
  for (const char* name : {"websocket", "long_poll"}) {
    const auto& s = json["delivery"][name];
    md << absl::StrFormat("| %s | %d | %.2f ms | %.2f ms | %.2f ms |\n", name,
                          s["samples"].get<int64_t>(), s["p50_ms"].get<double>(),
                          s["p99_ms"].get<double>(), s["max_ms"].get<double>());
  }
  std::cerr << md.str();
  std::ofstream(out + ".md") << md.str();
  std::ofstream(out + ".json") << json.dump(2);
  return 0;
}
