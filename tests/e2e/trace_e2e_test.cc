// One W3C traceparent followed from the HTTP request to the event consumers,
// in split mode (one log file per process): a registration's trace id is in
// the gateway's and auth's log lines, in the traceparent header and envelope
// of its user.created, and in the log lines of the consumers in profile,
// contact and messaging that handled it; a send's trace id is in the
// gateway's and messaging's lines, the header and envelope of its
// message.sent, and the line of a consumer of message.sent in this process.
// While the system is up, every admin port's /metrics is checked for the
// operations series (request latency per route and method, outbox backlog
// and age, consumer lag, pool usage, rate-limit refusals).
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/bus/consumer.h"
#include "common/log.h"
#include "common/log_sink.h"
#include "common/pg/migrations.h"
#include "common/trace.h"
#include "common_bus_migrations.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/split_system.h"

namespace messenger::e2e {
namespace {

constexpr char kRegisterTrace[] = "0af7651916cd43dd8448eb211c80319c";
constexpr char kSendTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";

httplib::Headers Traceparent(const std::string& trace_id) {
  return {{"traceparent", "00-" + trace_id + "-b7ad6b7169203331-01"}};
}

// Whether a JSON line of `lines` has `trace_id` and every field of `match`.
bool HasLine(const std::vector<std::string>& lines, const std::string& trace_id,
             const nlohmann::json& match) {
  for (const std::string& text : lines) {
    nlohmann::json line = nlohmann::json::parse(text, nullptr, false);
    if (!line.is_object() || line.value("trace_id", "") != trace_id) continue;
    bool all = true;
    for (const auto& [key, value] : match.items())
      all = all && line.value(key, nlohmann::json()) == value;
    if (all) return true;
  }
  return false;
}

std::vector<std::string> FileLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Waits until the log file at `path` has the line (consumers log after the
// response went out).
void ExpectLogLine(const std::string& path, const std::string& trace_id,
                   const nlohmann::json& match) {
  EXPECT_TRUE(testing::WaitUntil([&] { return HasLine(FileLines(path), trace_id, match); },
                                 absl::Seconds(20), absl::Milliseconds(50)))
      << "no line with trace_id " << trace_id << " and " << match.dump() << Dump(path);
}

// The stored event of `type` whose envelope has `trace_id`.
std::optional<StoredEvent> EventWithTrace(bus::NatsBus& bus, const std::string& type,
                                          const std::string& trace_id) {
  std::optional<StoredEvent> found;
  testing::WaitUntil(
      [&] {
        auto events = ReadStoredEvents(bus);
        if (!events.ok()) return false;
        for (StoredEvent& e : *events) {
          if (e.subject == type && e.parsed && e.event.trace_id == trace_id) found = std::move(e);
        }
        return found.has_value();
      },
      absl::Seconds(20), absl::Milliseconds(50));
  return found;
}

TEST(TraceE2eTest, OneTraceIdFromTheRequestToTheEventConsumers) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  testing::TempDir dir("messenger-trace");
  SplitSystem split;
  auto env = split.Env((*db)->dsn(), (*nats)->url(), dir.path());
  env["MESSENGER_LOG_LEVEL"] = "debug";  // per-call and per-event lines
  ASSERT_TRUE(split.StartAll(env, dir.path()).ok());
  auto bus = bus::NatsBus::Connect({.url = (*nats)->url(), .name = "trace-test"});
  ASSERT_TRUE(bus.ok()) << bus.status();
  ASSERT_TRUE(testing::WaitUntil([&] { return (*bus)->connected(); }, absl::Seconds(5)));

  // A consumer of message.sent in this process, its lines kept.
  std::mutex lines_mutex;
  std::vector<std::string> consumer_lines;
  log::SetLevel("debug");
  log::SetSink([&](std::string_view line) {
    std::lock_guard lock(lines_mutex);
    consumer_lines.emplace_back(line.substr(0, line.size() - 1));
  });
  auto pool = pg::Pool::Create({.dsn = (*db)->dsn(), .size = 1, .schema = "trace_test"});
  ASSERT_TRUE(pool.ok()) << pool.status();
  ASSERT_TRUE(pg::Migrate(**pool, {&pg::OutboxMigrations()}).ok());
  bus::EventConsumer consumer(**bus, **pool,
                              {.durable = "trace_test_sent", .subject = "message.sent"},
                              [](const bus::Event&, pg::Tx&) { return absl::OkStatus(); });
  consumer.Start();

  httplib::Client client("127.0.0.1", split.http_port);
  client.set_read_timeout(10, 0);
  Reply alice = Send(
      client, "POST", "/v1/auth/register",
      nlohmann::json{
          {"username", "alice"}, {"email", "alice@example.com"}, {"password", "password-alice"}},
      "", Traceparent(kRegisterTrace));
  ASSERT_EQ(alice.status, 201) << alice.raw;
  EXPECT_EQ(alice.headers.find("X-Trace-Id")->second, kRegisterTrace);
  ExpectLogLine(split.gateway.log_path(), kRegisterTrace, {{"msg", "http"}, {"status", 201}});
  ExpectLogLine(split.auth.log_path(), kRegisterTrace,
                {{"msg", "grpc"}, {"method", "/messenger.auth.v1.AuthService/Register"}});
  std::optional<StoredEvent> created = EventWithTrace(**bus, "user.created", kRegisterTrace);
  ASSERT_TRUE(created.has_value()) << "no user.created with the request's trace id";
  EXPECT_EQ(trace::ParseTraceparent(created->traceparent), kRegisterTrace)
      << "header: " << created->traceparent;
  for (const ServiceProcess* consumer_process :
       {&split.profile, &split.contact, &split.messaging}) {
    ExpectLogLine(
        consumer_process->log_path(), kRegisterTrace,
        {{"msg", "event handled"}, {"type", "user.created"}, {"event_id", created->event.id}});
  }

  // A send between friends.
  Reply bob =
      Send(client, "POST", "/v1/auth/register",
           nlohmann::json{
               {"username", "bob"}, {"email", "bob@example.com"}, {"password", "password-bob"}});
  ASSERT_EQ(bob.status, 201) << bob.raw;
  auto login = [&](const std::string& name) {
    Reply r = Send(client, "POST", "/v1/auth/login",
                   nlohmann::json{{"login", name}, {"password", "password-" + name}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body.value("access_token", "");
  };
  const std::string alice_token = login("alice"), bob_token = login("bob");
  const std::string alice_id = alice.body.value("user_id", ""),
                    bob_id = bob.body.value("user_id", "");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Send(client, "POST", "/v1/contacts/requests", nlohmann::json{{"user_id", bob_id}},
                    alice_token)
                   .status == 201;
      },
      absl::Seconds(20)));
  ASSERT_EQ(
      Send(client, "POST", "/v1/contacts/requests/" + alice_id + "/accept", std::nullopt, bob_token)
          .status,
      200);
  Reply sent;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        sent = Send(client, "POST", "/v1/messages",
                    nlohmann::json{{"to", bob_id}, {"text", "traced"}, {"client_msg_id", "t1"}},
                    alice_token, Traceparent(kSendTrace));
        return sent.status == 201;  // 403 until messaging learned of the friendship
      },
      absl::Seconds(20)))
      << sent.raw;
  ExpectLogLine(split.gateway.log_path(), kSendTrace,
                {{"msg", "http"}, {"route", "/v1/messages"}, {"status", 201}});
  ExpectLogLine(split.messaging.log_path(), kSendTrace, {{"msg", "grpc"}, {"code", "OK"}});
  std::optional<StoredEvent> message_sent = EventWithTrace(**bus, "message.sent", kSendTrace);
  ASSERT_TRUE(message_sent.has_value()) << "no message.sent with the request's trace id";
  EXPECT_EQ(trace::ParseTraceparent(message_sent->traceparent), kSendTrace)
      << "header: " << message_sent->traceparent;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        std::lock_guard lock(lines_mutex);
        return HasLine(consumer_lines, kSendTrace,
                       {{"msg", "event handled"},
                        {"consumer", "trace_test_sent"},
                        {"event_id", message_sent->event.id}});
      },
      absl::Seconds(20), absl::Milliseconds(50)))
      << "the consumer of message.sent logged no line with the trace id";
  consumer.Stop();
  log::SetSink(nullptr);

  // While the system is up: every admin port serves the operations metrics.
  auto scrape = [](const ServiceProcess& process) {
    httplib::Client admin("127.0.0.1", process.admin_port());
    auto res = admin.Get("/metrics");
    return res && res->status == 200 ? res->body : std::string();
  };
  const std::string gateway_metrics = scrape(split.gateway);
  for (const char* series :
       {"http_requests_total{route=\"/v1/messages\",method=\"POST\",status=\"201\"}",
        "http_request_duration_seconds_bucket{route=\"/v1/messages\",method=\"POST\",le=",
        "rate_limit_refusals_total{limiter="}) {
    EXPECT_NE(gateway_metrics.find(series), std::string::npos) << "gateway: no " << series;
  }
  for (ServiceProcess* s : split.Services()) {
    const std::string text = scrape(*s);
    std::vector<std::string> families = {"messenger_outbox_pending{",
                                         "messenger_outbox_oldest_age_seconds{",
                                         "pg_pool_connections_in_use{", "pg_pool_size{"};
    if (s != &split.profile) {  // the only service this test did not call
      families.push_back("grpc_server_handling_seconds_bucket{");
      families.push_back("grpc_server_handled_total{");
    }
    for (const std::string& family : families) {
      EXPECT_NE(text.find(family), std::string::npos) << s->log_path() << ": no " << family;
    }
  }
  for (ServiceProcess* s : {&split.profile, &split.contact, &split.messaging}) {
    EXPECT_NE(scrape(*s).find("messenger_consumer_pending{consumer="), std::string::npos)
        << s->log_path() << ": no consumer lag";
  }
  for (ServiceProcess* s : split.Services()) EXPECT_EQ(s->Stop(), 0);
  EXPECT_EQ(split.gateway.Stop(), 0);
}

}  // namespace
}  // namespace messenger::e2e
