// Users, friendships and the first messages that every send scenario needs.
#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/scenarios.h"

namespace messenger::bench {

void Setup(Context& c, int pairs) {
  const absl::Time start = absl::Now();
  std::vector<BenchUser> users(pairs * 2);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Api api(c.http);
      for (int i = next++; i < pairs * 2; i = next++) {
        auto made = api.CreateUsers(c.prefix + std::to_string(i) + "x", 1);
        if (!made.empty()) users[i] = made[0];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Api api(c.http);
  for (int i = 0; i + 1 < pairs * 2; i += 2) {
    if (users[i].user_id.empty() || users[i + 1].user_id.empty() ||
        !api.Befriend(users[i], users[i + 1])) {
      c.report.Fail("setup", absl::StrFormat("pair %d not set up", i / 2));
    }
  }
  c.users = std::move(users);
  std::cerr << "setup: " << c.users.size() << " users in " << absl::Now() - start << "\n";
}

void WarmUp(Context& c) {
  c.ClaimScenario("warmup");
  Api api(c.http);
  for (size_t i = 0; i + 1 < c.users.size(); i += 2) {
    const std::string text = c.ClientId("warmup", static_cast<int64_t>(i));
    auto [status, body] = api.Call(
        "POST", "/v1/messages",
        nlohmann::json{{"to", c.users[i + 1].user_id}, {"text", text}, {"client_msg_id", text}},
        c.users[i].access_token);
    if (status != 201) c.report.Fail("warmup", "send: status " + std::to_string(status));
  }
}

}  // namespace messenger::bench
