// Idle long polls: many parked /v1/sync requests from many users on raw
// sockets (no client thread each); what they cost the server and the kernel.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/scenarios.h"

namespace messenger::bench {

namespace {

constexpr int kPollTimeoutMs = 30'000;
// An answer this long before the poll's timeout came early (something woke it).
constexpr absl::Duration kEarlyMargin = absl::Seconds(2);

struct Parked {
  int fd = -1;
  std::string request;
  absl::Time sent;
};

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  return write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

}  // namespace

void IdlePolls(Context& c, int connections, int user_count, absl::Duration hold) {
  c.ClaimScenario("idle");
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  const int port = std::stoi(c.http.substr(c.http.rfind(':') + 1));

  // Users outside every other load, so nothing wakes their polls.
  std::vector<BenchUser> users(user_count);
  std::vector<std::string> since(user_count);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Api api(c.http);
      for (int i = next++; i < user_count; i = next++) {
        auto made = api.CreateUsers(c.prefix + "idle" + std::to_string(i) + "x", 1);
        if (made.empty()) continue;
        auto [status, body] = api.Call("GET", "/v1/sync", std::nullopt, made[0].access_token);
        if (status != 200) continue;
        users[i] = made[0];
        since[i] = body.value("next", "");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int> ready;
  for (int i = 0; i < user_count; ++i) {
    if (!users[i].user_id.empty()) ready.push_back(i);
  }
  if (static_cast<int>(ready.size()) < user_count) {
    c.report.Fail("idle", absl::StrFormat("registered %d of %d users", ready.size(), user_count));
  }
  if (ready.empty()) return;
  absl::SleepFor(absl::Seconds(5));  // registration's work settles
  const int64_t rss_before = GroupRssKb(c.processes, "server");
  const SockStat sock_before = ReadSockStat();

  const int epoll = epoll_create1(0);
  std::vector<Parked> parked;
  parked.reserve(connections);
  const absl::Time open_start = absl::Now();
  // First the bare connections (what an idle keep-alive connection costs)...
  for (int i = 0; i < connections; ++i) {
    Parked p;
    p.fd = Connect(port);
    if (p.fd < 0) break;
    parked.push_back(std::move(p));
  }
  const absl::Duration open_time = absl::Now() - open_start;
  absl::SleepFor(absl::Seconds(5));
  const int64_t rss_connected = GroupRssKb(c.processes, "server");
  const SockStat sock_connected = ReadSockStat();
  // ... then a poll on each (what a parked request adds).
  for (size_t i = 0; i < parked.size(); ++i) {
    Parked& p = parked[i];
    const int u = ready[i % ready.size()];
    p.request = absl::StrFormat(
        "GET /v1/sync?timeout_ms=%d&since=%s HTTP/1.1\r\nHost: bench\r\n"
        "Authorization: Bearer %s\r\n\r\n",
        kPollTimeoutMs, since[u], users[u].access_token);
    if (!SendAll(p.fd, p.request)) {
      for (size_t j = i; j < parked.size(); ++j) close(parked[j].fd);
      parked.resize(i);
      break;
    }
    p.sent = absl::Now();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(epoll, EPOLL_CTL_ADD, p.fd, &ev);
  }
  if (static_cast<int>(parked.size()) < connections) {
    c.report.Fail("idle",
                  absl::StrFormat("opened %d of %d connections", parked.size(), connections));
  }
  // Answers: a timed-out poll is asked again on the same connection (what a
  // client does); one answered well before its timeout, or a closed
  // connection, is counted.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> answered{0}, early{0}, closed{0};
  std::thread reader([&] {
    epoll_event events[256];
    char buffer[16384];
    while (!stop) {
      const int n = epoll_wait(epoll, events, 256, 100);
      for (int i = 0; i < n; ++i) {
        Parked& p = parked[events[i].data.u32];
        const ssize_t got = read(p.fd, buffer, sizeof buffer);
        if (got <= 0) {
          ++closed;
          epoll_ctl(epoll, EPOLL_CTL_DEL, p.fd, nullptr);
          continue;
        }
        // A poll's answer is small: one read holds it.
        ++answered;
        if (absl::Now() - p.sent < absl::Milliseconds(kPollTimeoutMs) - kEarlyMargin) ++early;
        p.sent = absl::Now();
        if (!SendAll(p.fd, p.request)) ++closed;
      }
    }
  });
  const CpuWindow cpu(c);
  absl::SleepFor(hold);
  const int64_t rss_held = GroupRssKb(c.processes, "server");
  const SockStat sock_held = ReadSockStat();
  const std::vector<nlohmann::json> cpu_per_poll =
      cpu.PerUnitUs(static_cast<double>(parked.size()));
  stop = true;
  reader.join();
  for (const Parked& p : parked) close(p.fd);
  close(epoll);

  const double n = std::max<double>(1, static_cast<double>(parked.size()));
  Section& s = c.report.AddSection("idle", "Idle long polls",
                                   {"polls",
                                    "users",
                                    "connected in s",
                                    "held s",
                                    "server RSS before MiB",
                                    "server RSS connected MiB",
                                    "server RSS with polls MiB",
                                    "server KiB per connection",
                                    "server KiB per poll (connection + request)",
                                    "kernel TCP mem before MiB",
                                    "kernel TCP mem connected MiB",
                                    "kernel TCP mem with polls MiB",
                                    "kernel KiB per poll",
                                    "kernel socket slabs KiB per connection (both ends)",
                                    "TCP sockets in use",
                                    "answered (timeouts re-polled)",
                                    "answered early",
                                    "closed",
                                    "server CPU µs per poll",
                                    "postgres CPU µs per poll",
                                    "nats CPU µs per poll"});
  s.Note(absl::StrFormat(
      "/v1/sync?timeout_ms=%d polls spread round-robin over users that nothing else touches, "
      "on raw sockets; server RSS (all server processes) read 5 s after the last "
      "registration, 5 s after all connections were open with no request on them, and %s "
      "after the last poll was parked (steady state: polls that "
      "time out are asked again at once). Kernel TCP memory is /proc/net/sockstat \"mem\" "
      "for this network namespace: both ends of each loopback connection, and any other "
      "TCP traffic on the machine; socket slabs are /proc/slabinfo's TCP, "
      "sock_inode_cache, filp, dentry and eventpoll_epi objects (whole machine, both ends: "
      "this bench's epoll set included). CPU is over the hold.",
      kPollTimeoutMs, absl::FormatDuration(hold)));
  std::vector<nlohmann::json> row = {
      static_cast<int64_t>(parked.size()),
      static_cast<int64_t>(ready.size()),
      Num(absl::ToDoubleSeconds(open_time), 1),
      Num(absl::ToDoubleSeconds(hold), 0),
      Num(rss_before / 1024.0, 1),
      Num(rss_connected / 1024.0, 1),
      Num(rss_held / 1024.0, 1),
      Num((rss_connected - rss_before) / n, 2),
      Num((rss_held - rss_before) / n, 2),
      Num(sock_before.tcp_mem_kb / 1024.0, 1),
      Num(sock_connected.tcp_mem_kb / 1024.0, 1),
      Num(sock_held.tcp_mem_kb / 1024.0, 1),
      Num((sock_held.tcp_mem_kb - sock_before.tcp_mem_kb) / n, 2),
      Num((sock_held.socket_slabs_kb - sock_before.socket_slabs_kb) / n, 2),
      sock_held.tcp_inuse,
      answered.load(),
      early.load(),
      closed.load()};
  row.insert(row.end(), cpu_per_poll.begin(), cpu_per_poll.end());
  s.Row(row);
  if (early > 0) c.report.Fail("idle", absl::StrFormat("%d polls answered early", early.load()));
  if (closed > 0) c.report.Fail("idle", absl::StrFormat("%d connections closed", closed.load()));
}

}  // namespace messenger::bench
