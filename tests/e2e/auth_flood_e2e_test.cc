// Public auth routes under abuse: per-address and per-account limits answer
// 429 with Retry-After, the hashing queue refuses what it cannot take at once,
// and a login flood does not slow down a logged-in user (the gateway waits
// for no password hash).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

absl::Duration P99(std::vector<absl::Duration> samples) {
  if (samples.empty()) return absl::InfiniteDuration();
  std::sort(samples.begin(), samples.end());
  return samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
}

int RetryAfterHeader(const Reply& r) {
  auto it = r.headers.find("Retry-After");
  return it == r.headers.end() ? -1 : std::atoi(it->second.c_str());
}

nlohmann::json LoginBody(const std::string& login) {
  return {{"login", login}, {"password", "not-the-password"}};
}

TEST(AuthLimitsE2eTest, EveryPublicAuthRouteIsLimitedPerAddressAndPerAccount) {
  auto started = MessengerProcess::Start({{"MESSENGER_AUTH_IP_RATE_PER_MIN", "1"},
                                          {"MESSENGER_AUTH_IP_BURST", "3"},
                                          {"MESSENGER_AUTH_ACCOUNT_RATE_PER_MIN", "1"},
                                          {"MESSENGER_AUTH_ACCOUNT_BURST", "2"},
                                          {"MESSENGER_TRUSTED_PROXIES", "127.0.0.1"}});
  ASSERT_TRUE(started.ok()) << started.status();
  auto client = (*started)->Client();
  // Each address gets 3 requests, whatever the route; the 4th is refused.
  const httplib::Headers from_a = {{"X-Forwarded-For", "198.51.100.1"}};
  EXPECT_EQ(Send(*client, "POST", "/v1/auth/login", LoginBody("x1"), "", from_a).status, 401);
  EXPECT_EQ(
      Send(*client, "POST", "/v1/auth/refresh", nlohmann::json{{"refresh_token", "r"}}, "", from_a)
          .status,
      401);
  EXPECT_EQ(Send(*client, "POST", "/v1/auth/resend-verification",
                 nlohmann::json{{"email", "a@example.com"}}, "", from_a)
                .status,
            202);
  for (const std::string path : {"/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh",
                                 "/v1/auth/verify-email", "/v1/auth/resend-verification"}) {
    Reply r = Send(*client, "POST", path, nlohmann::json::object(), "", from_a);
    EXPECT_EQ(r.status, 429) << path << " " << r.raw;
    EXPECT_EQ(r.body["error"]["code"], "RESOURCE_EXHAUSTED");
    EXPECT_GE(RetryAfterHeader(r), 1) << path;
  }
  // Per account: 2 logins for "victim", from any address, then 429.
  for (int i = 0; i < 2; ++i) {
    const httplib::Headers from = {{"X-Forwarded-For", absl::StrCat("198.51.100.", 10 + i)}};
    EXPECT_EQ(Send(*client, "POST", "/v1/auth/login", LoginBody("Victim"), "", from).status, 401);
  }
  Reply third = Send(*client, "POST", "/v1/auth/login", LoginBody("VICTIM"), "",
                     {{"X-Forwarded-For", "198.51.100.20"}});
  EXPECT_EQ(third.status, 429) << third.raw;
  EXPECT_GE(RetryAfterHeader(third), 30);  // one token a minute
  for (int i = 0; i < 2; ++i) {
    const httplib::Headers from = {{"X-Forwarded-For", absl::StrCat("198.51.100.", 30 + i)}};
    EXPECT_EQ(
        Send(*client, "POST", "/v1/auth/verify-email", nlohmann::json{{"token", "same"}}, "", from)
            .status,
        400);
  }
  EXPECT_EQ(Send(*client, "POST", "/v1/auth/verify-email", nlohmann::json{{"token", "same"}}, "",
                 {{"X-Forwarded-For", "198.51.100.40"}})
                .status,
            429);
}

TEST(AuthLimitsE2eTest, ForwardedForIsIgnoredWithoutATrustedProxy) {
  auto started = MessengerProcess::Start(
      {{"MESSENGER_AUTH_IP_RATE_PER_MIN", "1"}, {"MESSENGER_AUTH_IP_BURST", "2"}});
  ASSERT_TRUE(started.ok()) << started.status();
  auto client = (*started)->Client();
  for (int i = 0; i < 2; ++i) {
    const httplib::Headers spoofed = {{"X-Forwarded-For", absl::StrCat("203.0.113.", i)}};
    EXPECT_EQ(Send(*client, "POST", "/v1/auth/login", LoginBody(absl::StrCat("u", i)), "", spoofed)
                  .status,
              401);
  }
  Reply r = Send(*client, "POST", "/v1/auth/login", LoginBody("u9"), "",
                 {{"X-Forwarded-For", "203.0.113.99"}});
  EXPECT_EQ(r.status, 429) << r.raw;
}

// The stall: argon2 behind a 2-slot semaphore, synchronous auth calls holding
// gateway workers and no limits let 48 login clients push a logged-in user's
// GET /v1/me to a p99 of 3.4 s (1.6 ms idle) with not one 429.
TEST(AuthFloodE2eTest, LoginFloodAtTenTimesTheLimitDoesNotSlowALoggedInUser) {
  constexpr int kLimitPerSecond = 10;
  auto started = MessengerProcess::Start({
      {"MESSENGER_AUTH_IP_RATE_PER_MIN", std::to_string(kLimitPerSecond * 60)},
      {"MESSENGER_AUTH_IP_BURST", std::to_string(kLimitPerSecond)},
      {"MESSENGER_TRUSTED_PROXIES", "127.0.0.1"},
      {"MESSENGER_ARGON2_MEMLIMIT_KIB", "16384"},
      {"MESSENGER_ARGON2_CONCURRENCY", "1"},
      {"MESSENGER_ARGON2_MAX_WAITING", "4"},
      {"MESSENGER_SEND_RATE_PER_S", "100000"},
      {"MESSENGER_SEND_BURST", "100000"},
  });
  ASSERT_TRUE(started.ok()) << started.status();
  MessengerProcess& messenger = **started;
  auto client = messenger.Client();
  TestUser alice = CreateUser(messenger, *client, "alice");
  TestUser bob = CreateUser(messenger, *client, "bob");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        int s = Send(*client, "POST", "/v1/contacts/requests",
                     nlohmann::json{{"user_id", bob.user_id}}, alice.access_token)
                    .status;
        return s == 201 || s == 200;
      },
      absl::Seconds(10)));
  ASSERT_EQ(Send(*client, "POST", "/v1/contacts/requests/" + alice.user_id + "/accept",
                 std::nullopt, bob.access_token)
                .status,
            200);

  // Alice's requests, one after another: latencies of /v1/me and of sends.
  int sent = 0;
  auto measure = [&](absl::Duration length, std::vector<absl::Duration>& me,
                     std::vector<absl::Duration>& sends) {
    const absl::Time end = absl::Now() + length;
    while (absl::Now() < end) {
      absl::Time start = absl::Now();
      Reply r = Send(*client, "GET", "/v1/me", std::nullopt, alice.access_token);
      me.push_back(absl::Now() - start);
      EXPECT_EQ(r.status, 200) << r.raw;
      start = absl::Now();
      r = Send(
          *client, "POST", "/v1/messages",
          nlohmann::json{
              {"to", bob.user_id}, {"text", "hi"}, {"client_msg_id", absl::StrCat("m", ++sent)}},
          alice.access_token);
      sends.push_back(absl::Now() - start);
      EXPECT_EQ(r.status, 201) << r.raw;
      absl::SleepFor(absl::Milliseconds(10));  // pacing, not waiting for anything
    }
  };
  std::vector<absl::Duration> idle_me, idle_sends;
  measure(absl::Seconds(3), idle_me, idle_sends);

  // The flood, open loop at 10x the per-address limit from one address, and
  // as much again from sprayed addresses behind the trusted proxy (past the
  // address limit: those meet the hashing queue).
  std::atomic<bool> stop{false};
  std::atomic<int> total{0}, limited{0}, limited_without_hint{0}, server_errors{0}, other{0};
  std::vector<std::thread> flood;
  constexpr int kThreads = 16;
  const absl::Duration interval = absl::Seconds(1) * kThreads / (2 * 10 * kLimitPerSecond);
  for (int t = 0; t < kThreads; ++t) {
    flood.emplace_back([&, t] {
      auto c = messenger.Client();
      absl::Time next = absl::Now();
      for (int i = 0; !stop.load(); ++i) {
        httplib::Headers headers;
        if (t % 2 == 1)
          headers.emplace("X-Forwarded-For",
                          absl::StrCat("10.", t, ".", i % 250, ".", i / 250 % 250));
        Reply r = Send(*c, "POST", "/v1/auth/login", LoginBody(absl::StrCat("ghost", t, "-", i)),
                       "", headers);
        ++total;
        if (r.status == 429) {
          ++limited;
          if (RetryAfterHeader(r) < 1) ++limited_without_hint;
        } else if (r.status >= 500 || r.status == 0) {
          ++server_errors;
        } else if (r.status != 401) {
          ++other;
        }
        next += interval;
        const absl::Duration wait = next - absl::Now();
        if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));  // the flood is on
  std::vector<absl::Duration> flood_me, flood_sends;
  const absl::Time flood_start = absl::Now();
  measure(absl::Seconds(6), flood_me, flood_sends);
  const double flood_seconds = absl::ToDoubleSeconds(absl::Now() - flood_start) + 0.5;
  stop = true;
  for (auto& t : flood) t.join();

  const absl::Duration idle = std::max(P99(idle_me), P99(idle_sends));
  const absl::Duration bound = std::max(10 * idle, absl::Milliseconds(250));
  std::cout << "idle p99: me " << P99(idle_me) << ", send " << P99(idle_sends) << "; flood p99: me "
            << P99(flood_me) << ", send " << P99(flood_sends) << " (" << flood_me.size()
            << " samples); flood " << total.load() << " logins in ~" << flood_seconds << " s, "
            << limited.load() << " answered 429\n";
  EXPECT_LT(P99(flood_me), bound);
  EXPECT_LT(P99(flood_sends), bound);
  EXPECT_GE(total.load() / flood_seconds, 10 * kLimitPerSecond) << "the flood was too slow";
  EXPECT_GT(limited.load(), total.load() / 2);
  EXPECT_EQ(limited_without_hint.load(), 0);
  EXPECT_EQ(server_errors.load(), 0);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace messenger::e2e
