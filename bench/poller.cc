#include "bench/poller.h"

#include "absl/time/clock.h"

namespace messenger::bench {

Pollers::Pollers(const std::string& http, const std::vector<BenchUser>& users,
                 DeliveryChecker& checker, OnMessage on_message, bool retry_unavailable,
                 int poll_timeout_ms)
    : http_(http),
      checker_(checker),
      on_message_(std::move(on_message)),
      retry_unavailable_(retry_unavailable),
      poll_timeout_ms_(poll_timeout_ms) {
  Api api(http);
  for (const BenchUser& user : users) {
    auto [status, body] = api.Call("GET", "/v1/sync", std::nullopt, user.access_token);
    if (status != 200) {
      checker_.PollFailed(user.user_id, "first sync: status " + std::to_string(status));
      continue;
    }
    threads_.emplace_back([this, user, since = body.value("next", "")] { Run(user, since); });
  }
}

Pollers::~Pollers() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
}

void Pollers::Run(const BenchUser& user, std::string since) {
  Api api(http_);
  while (!stop_) {
    auto [status, body] = api.Call(
        "GET", "/v1/sync?timeout_ms=" + std::to_string(poll_timeout_ms_) + "&since=" + since,
        std::nullopt, user.access_token);
    ++sync_calls_;
    const absl::Time arrived = absl::Now();
    if (status != 200) {
      if (retry_unavailable_ && status >= 502 && status <= 504) {
        ++unavailable_;
      } else {
        checker_.PollFailed(user.user_id, "status " + std::to_string(status));
      }
      absl::SleepFor(absl::Milliseconds(50));  // do not spin on a failing server
      continue;
    }
    since = body.value("next", since);
    for (const auto& e : body["events"]) {
      if (e.value("type", "") != "message") continue;
      const auto& m = e["message"];
      const std::string text = m.value("text", "");
      const std::string id = m.value("message_id", "");
      checker_.Observe(user.user_id, text, id);
      if (on_message_) on_message_(user.user_id, text, id, arrived);
    }
  }
}

}  // namespace messenger::bench
