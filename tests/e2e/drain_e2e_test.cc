// SIGTERM drain in split mode: under a steady send load through the gateway,
// each process in turn gets SIGTERM and is started again. Its readiness goes
// false at once, it exits 0 within the drain timeout, and the clients (which
// retry a 503 that carries Retry-After, and a refused connection, with the
// same client_msg_id) never see another 5xx or error. Afterwards JetStream
// holds every event exactly once: no outbox event lost or doubled.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/split_system.h"

namespace messenger::e2e {
namespace {

constexpr int kPairs = 6;
constexpr absl::Duration kDrainDelay = absl::Milliseconds(1000);
constexpr absl::Duration kDrainTimeout = absl::Seconds(8);
constexpr absl::Duration kGiveUp = absl::Seconds(60);  // per request, retries included

// What the clients saw.
struct Seen {
  std::mutex mutex;
  std::map<std::string, int> retried;  // "503", "connection: ..."
  std::vector<std::string> wrong;      // anything a drain must not cause
  void Retried(const std::string& kind) {
    std::lock_guard lock(mutex);
    ++retried[kind];
  }
  void Wrong(const std::string& what) {
    std::lock_guard lock(mutex);
    wrong.push_back(what);
  }
};

// POSTs until the answer is neither a 503 with Retry-After nor a connection
// failure; returns the body when its status is in `ok`.
std::optional<nlohmann::json> PostRetrying(httplib::Client& client, const std::string& path,
                                           const nlohmann::json& body, const std::string& token,
                                           std::set<int> ok, Seen& seen) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  const absl::Time give_up = absl::Now() + kGiveUp;
  while (absl::Now() < give_up) {
    httplib::Result res = client.Post(path, headers, body.dump(), "application/json");
    if (!res) {
      seen.Retried("connection: " + httplib::to_string(res.error()));
    } else if (res->status == 503 && res->has_header("Retry-After")) {
      seen.Retried("503");
    } else if (ok.contains(res->status)) {
      return nlohmann::json::parse(res->body, nullptr, false);
    } else {
      seen.Wrong(absl::StrCat("POST ", path, " -> ", res->status, " ", res->body));
      return std::nullopt;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  seen.Wrong("POST " + path + ": no answer within the retry deadline");
  return std::nullopt;
}

struct Member {
  std::string id, token;
};

TEST(DrainE2eTest, SigtermToEachProcessUnderLoadLosesNothing) {
  const absl::Time test_start = absl::Now();
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  testing::TempDir dir("messenger-drain");
  SplitSystem split;
  auto env = split.Env((*db)->dsn(), (*nats)->url(), dir.path());
  env["MESSENGER_DRAIN_DELAY_MS"] = absl::StrCat(absl::ToInt64Milliseconds(kDrainDelay));
  env["MESSENGER_DRAIN_TIMEOUT_MS"] = absl::StrCat(absl::ToInt64Milliseconds(kDrainTimeout));
  env["MESSENGER_SEND_RATE_PER_S"] = "1000";
  env["MESSENGER_SEND_BURST"] = "1000";
  ASSERT_TRUE(split.StartAll(env, dir.path()).ok());

  // Pairs of friends, each with a first message.
  Seen setup;
  httplib::Client client("127.0.0.1", split.http_port);
  client.set_read_timeout(15, 0);
  auto join = [&](const std::string& name) -> Member {
    auto reg = PostRetrying(
        client, "/v1/auth/register",
        {{"username", name}, {"email", name + "@example.com"}, {"password", "password-" + name}},
        "", {201}, setup);
    auto login =
        PostRetrying(client, "/v1/auth/login", {{"login", name}, {"password", "password-" + name}},
                     "", {200}, setup);
    if (!reg || !login) return {};
    return {reg->value("user_id", ""), login->value("access_token", "")};
  };
  std::vector<std::pair<Member, Member>> pairs;
  std::set<std::string> acked;  // message ids
  std::mutex acked_mutex;
  for (int i = 0; i < kPairs; ++i) {
    Member a = join(absl::StrCat("da", i)), b = join(absl::StrCat("db", i));
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          return Send(client, "POST", "/v1/contacts/requests", nlohmann::json{{"user_id", b.id}},
                      a.token)
                     .status == 201;
        },
        absl::Seconds(20), absl::Milliseconds(50)));
    ASSERT_EQ(
        Send(client, "POST", "/v1/contacts/requests/" + a.id + "/accept", std::nullopt, b.token)
            .status,
        200);
    Reply first;
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          first = Send(client, "POST", "/v1/messages",
                       nlohmann::json{{"to", b.id}, {"text", "hi"}, {"client_msg_id", "first"}},
                       a.token);
          return first.status == 201;  // 403 until messaging saw the friendship
        },
        absl::Seconds(20), absl::Milliseconds(50)))
        << first.raw;
    acked.insert(first.body.value("message_id", ""));
    pairs.emplace_back(a, b);
  }
  ASSERT_TRUE(setup.wrong.empty()) << setup.wrong.front();

  // Load: each pair sends back and forth without pause.
  Seen seen;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> sends{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kPairs; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", split.http_port);
      c.set_connection_timeout(2, 0);
      c.set_read_timeout(15, 0);
      c.set_keep_alive(true);
      for (int n = 0; !stop; ++n) {
        const Member& from = n % 2 == 0 ? pairs[i].first : pairs[i].second;
        const Member& to = n % 2 == 0 ? pairs[i].second : pairs[i].first;
        const std::string key = absl::StrCat("m", i, "-", n);
        auto sent =
            PostRetrying(c, "/v1/messages", {{"to", to.id}, {"text", key}, {"client_msg_id", key}},
                         from.token, {200, 201}, seen);
        if (!sent) continue;
        ++sends;
        std::lock_guard lock(acked_mutex);
        acked.insert(sent->value("message_id", ""));
      }
    });
  }
  absl::Cleanup stop_load = [&] {
    stop = true;
    for (auto& t : threads) t.join();
  };

  absl::SleepFor(absl::Seconds(2));
  std::vector<ServiceProcess*> order = split.Services();
  order.push_back(&split.gateway);
  for (ServiceProcess* process : order) {
    const std::string name = process->log_path().substr(dir.path().size() + 1);
    const int64_t sends_before = sends.load();
    const absl::Time signalled = absl::Now();
    auto stopped = std::async(std::launch::async, [process] { return process->Stop(); });
    // Readiness goes false well before the delay ends.
    httplib::Client admin("127.0.0.1", process->admin_port());
    admin.set_read_timeout(1, 0);
    const bool unready = testing::WaitUntil(
        [&] {
          auto res = admin.Get("/readyz");
          return res && res->status == 503;
        },
        kDrainDelay, absl::Milliseconds(10));
    const absl::Duration to_unready = absl::Now() - signalled;
    const int exit_status = stopped.get();
    const absl::Duration drained = absl::Now() - signalled;
    std::cout << name << ": /readyz 503 after " << to_unready << ", exited " << exit_status
              << " after " << drained << " (" << sends.load() - sends_before
              << " sends acknowledged meanwhile)" << std::endl;
    EXPECT_TRUE(unready) << name << ": /readyz did not answer 503 within the drain delay";
    EXPECT_EQ(exit_status, 0) << name << Dump(process->log_path());
    EXPECT_LT(drained, kDrainTimeout + absl::Seconds(2)) << name << Dump(process->log_path());
    ASSERT_TRUE(
        process->Start(env, dir.path(), process == &split.gateway ? "/healthz" : "/readyz").ok())
        << name;
    absl::SleepFor(absl::Seconds(2));
  }
  std::move(stop_load).Invoke();

  {
    std::lock_guard lock(seen.mutex);
    for (const auto& [kind, count] : seen.retried)
      std::cout << "retried " << kind << ": " << count << "\n";
    std::cout << sends.load() << " sends acknowledged under load" << std::endl;
    EXPECT_TRUE(seen.wrong.empty())
        << seen.wrong.size() << " wrong answers, first: " << seen.wrong.front();
  }
  EXPECT_GT(sends.load(), 0);

  // Every event once: the users, sessions, friendships and one message.sent
  // per acknowledged message.
  auto bus = bus::NatsBus::Connect({.url = (*nats)->url(), .name = "drain-test"});
  ASSERT_TRUE(bus.ok()) << bus.status();
  ASSERT_TRUE(testing::WaitUntil([&] { return (*bus)->connected(); }, absl::Seconds(5)));
  EventAudit audit = AuditEvents(**bus, (*db)->dsn(),
                                 {{"user.created", 2 * kPairs},
                                  {"session.created", 2 * kPairs},
                                  {"friendship.created", kPairs},
                                  {"friendship.accepted", kPairs},
                                  {"message.sent", static_cast<int>(acked.size())}},
                                 {.timeout = absl::Seconds(30), .not_before = test_start});
  for (const std::string& problem : audit.problems) ADD_FAILURE() << problem;
  std::set<std::string> published;
  for (const bus::Event& e : audit.by_type["message.sent"]) {
    published.insert(e.Data().value("message_id", ""));
  }
  EXPECT_EQ(published, acked) << "message.sent events differ from the acknowledged messages";
  for (ServiceProcess* process : order) EXPECT_EQ(process->Stop(), 0);
}

}  // namespace
}  // namespace messenger::e2e
