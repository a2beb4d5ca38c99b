// Split mode: one process per service, found through MESSENGER_*_ADDR. The
// profile and contact services are down while users register; when they come
// up, the user.created events waiting in JetStream reach them within seconds
// (not after a redelivery timeout; the bound has room for a busy 2-core box).
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <stop_token>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/e2e/split_system.h"

namespace messenger::e2e {
namespace {

TEST(SplitModeE2eTest, ConsumersThatWereDownCatchUpWithinSeconds) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  testing::TempDir dir("messenger-split");
  SplitSystem split;
  auto& [session, auth, profile, contact, messaging, http_port, gateway] = split;
  const auto env = split.Env((*db)->dsn(), (*nats)->url(), dir.path());
  ASSERT_TRUE(session.Start(env, dir.path()).ok());
  ASSERT_TRUE(auth.Start(env, dir.path()).ok());
  ASSERT_TRUE(gateway.Start(env, dir.path(), "/healthz").ok());

  httplib::Client client("127.0.0.1", http_port);
  client.set_read_timeout(10, 0);
  // Health and metrics only on the admin port; the public port has none.
  httplib::Client gateway_admin("127.0.0.1", gateway.admin_port());
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    EXPECT_EQ(Send(client, "GET", path).status, 404) << path;
  }
  auto admin_metrics = gateway_admin.Get("/metrics");
  ASSERT_TRUE(admin_metrics);
  EXPECT_EQ(admin_metrics->status, 200);
  EXPECT_NE(admin_metrics->body.find("http_requests_total{"), std::string::npos);
  auto [alice_id, alice_token] = RegisterAndLogin(client, "alice");
  auto [bob_id, bob_token] = RegisterAndLogin(client, "bob");
  // Profile and contact services are down: the gateway says so, no 500.
  Reply down = Send(client, "GET", "/v1/users/" + alice_id + "/profile", std::nullopt, bob_token);
  EXPECT_EQ(down.status, 503) << down.raw;

  ASSERT_TRUE(profile.Start(env, dir.path()).ok());
  ASSERT_TRUE(contact.Start(env, dir.path()).ok());
  const absl::Time up = absl::Now();
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Send(client, "GET", "/v1/users/" + alice_id + "/profile", std::nullopt, bob_token)
                   .status == 200;
      },
      absl::Seconds(20)))
      << Dump(dir.path() + "/profile.log") << Dump(dir.path() + "/gateway.log");
  Reply found = Send(client, "GET", "/v1/users/search?q=ali", std::nullopt, bob_token);
  EXPECT_EQ(found.body["users"].size(), 1u);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Send(client, "POST", "/v1/contacts/requests", nlohmann::json{{"user_id", alice_id}},
                    bob_token)
                   .status == 201;
      },
      absl::Seconds(20)));
  const absl::Duration caught_up = absl::Now() - up;
  std::cout << "consumers caught up " << caught_up << " after profile and contact were ready\n";
  EXPECT_LT(caught_up, absl::Seconds(5)) << "took " << caught_up;
  Reply accepted = Send(client, "POST", "/v1/contacts/requests/" + bob_id + "/accept", std::nullopt,
                        alice_token);
  EXPECT_EQ(accepted.status, 200) << accepted.raw;

  // Messaging in its own process: the gateway's waiting poll is woken through
  // NATS (messenger.sync.wake).
  ASSERT_TRUE(messaging.Start(env, dir.path()).ok());
  Reply position = Send(client, "GET", "/v1/sync", std::nullopt, alice_token);
  ASSERT_EQ(position.status, 200) << position.raw;
  // Polls until the message arrives (a "conversation" event may come first).
  std::atomic<bool> received{false};
  absl::Time received_at;
  // Joined (after a stop request) also when an ASSERT below returns early.
  std::jthread poller([&](std::stop_token stop) {
    httplib::Client c("127.0.0.1", http_port);
    c.set_read_timeout(30, 0);
    std::string since = position.body["next"];
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!received && !stop.stop_requested() && absl::Now() < deadline) {
      Reply r =
          Send(c, "GET", "/v1/sync?timeout_ms=5000&since=" + since, std::nullopt, alice_token);
      if (r.status != 200) break;
      since = r.body["next"];
      for (const auto& e : r.body["events"]) {
        if (e["type"] == "message" && e["message"]["text"] == "split hello") {
          received_at = absl::Now();
          received = true;
        }
      }
    }
  });
  const absl::Time sent_at = absl::Now();
  Reply sent;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        sent =
            Send(client, "POST", "/v1/messages",
                 nlohmann::json{{"to", alice_id}, {"text", "split hello"}, {"client_msg_id", "s1"}},
                 bob_token);
        return sent.status == 201 || sent.status == 200;  // messaging may still learn of users
      },
      absl::Seconds(20)))
      << sent.raw << Dump(dir.path() + "/messaging.log");
  poller.join();
  ASSERT_TRUE(received.load()) << Dump(dir.path() + "/gateway.log");
  EXPECT_LT(received_at - sent_at, absl::Seconds(10));

  for (ServiceProcess* s : {&gateway, &messaging, &contact, &profile, &auth, &session}) {
    EXPECT_EQ(s->Stop(), 0);
  }
}

}  // namespace
}  // namespace messenger::e2e
