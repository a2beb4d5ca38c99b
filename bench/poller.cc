#include "bench/poller.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "absl/time/clock.h"

namespace messenger::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

constexpr int kThreads = 2;
constexpr auto kRetryDelay = std::chrono::milliseconds(50);  // do not spin on a failing server
constexpr auto kConnectTimeout = std::chrono::seconds(30);
// A poll answers by its timeout; this much later its connection is dropped.
constexpr auto kAnswerSlack = std::chrono::seconds(60);
constexpr auto kStartWait = std::chrono::minutes(5);

}  // namespace

// One user's poll loop. Its handlers run on its strand, one at a time.
struct Pollers::Poll {
  Poll(net::io_context& io, BenchUser u)
      : stream(net::make_strand(io)), retry(stream.get_executor()), user(std::move(u)) {}
  beast::tcp_stream stream;
  net::steady_timer retry;
  BenchUser user;
  std::string since;
  bool started = false;  // has its first position
  beast::flat_buffer buffer;
  http::request<http::empty_body> request;
  http::response<http::string_body> response;
};

Pollers::Pollers(const std::string& http, const std::vector<BenchUser>& users,
                 DeliveryChecker& checker, OnMessage on_message, bool retry_unavailable,
                 int poll_timeout_ms)
    : port_(std::stoi(http.substr(http.rfind(':') + 1))),
      checker_(checker),
      on_message_(std::move(on_message)),
      retry_unavailable_(retry_unavailable),
      poll_timeout_ms_(poll_timeout_ms),
      work_(net::make_work_guard(io_)) {
  for (const BenchUser& user : users) polls_.push_back(std::make_shared<Poll>(io_, user));
  for (int i = 0; i < kThreads; ++i) threads_.emplace_back([this] { io_.run(); });
  for (const auto& poll : polls_) {
    net::post(poll->stream.get_executor(), [this, poll] { Connect(poll); });
  }
  std::unique_lock lock(mutex_);
  if (!started_cv_.wait_for(lock, kStartWait, [this] { return started_ == polls_.size(); })) {
    checker_.PollFailed("(pollers)", "first syncs unanswered after 5 minutes");
  }
}

Pollers::~Pollers() {
  stop_ = true;
  for (const auto& poll : polls_) {
    net::post(poll->stream.get_executor(), [poll] {
      poll->stream.close();
      poll->retry.cancel();
    });
  }
  work_.reset();
  for (std::thread& t : threads_) t.join();
}

void Pollers::Connect(std::shared_ptr<Poll> poll) {
  if (stop_) return;
  poll->stream.expires_after(kConnectTimeout);
  poll->stream.async_connect(
      net::ip::tcp::endpoint(net::ip::address_v4::loopback(), static_cast<uint16_t>(port_)),
      [this, poll](beast::error_code ec) {
        if (ec) return Failed(poll, 0, "connect: " + ec.message());
        beast::error_code ignored;
        poll->stream.socket().set_option(net::ip::tcp::no_delay(true), ignored);
        Send(poll);
      });
}

void Pollers::Send(std::shared_ptr<Poll> poll) {
  if (stop_) return;
  std::string target = "/v1/sync";
  if (poll->started) {
    target += "?timeout_ms=" + std::to_string(poll_timeout_ms_) + "&since=" + poll->since;
  }
  poll->request = {http::verb::get, target, 11};
  poll->request.set(http::field::host, "127.0.0.1");
  poll->request.set(http::field::authorization, "Bearer " + poll->user.access_token);
  poll->request.keep_alive(true);
  poll->response = {};
  poll->stream.expires_after(std::chrono::milliseconds(poll_timeout_ms_) + kAnswerSlack);
  http::async_write(poll->stream, poll->request, [this, poll](beast::error_code ec, size_t) {
    if (ec) return Failed(poll, 0, "write: " + ec.message());
    http::async_read(poll->stream, poll->buffer, poll->response,
                     [this, poll](beast::error_code ec, size_t) {
                       if (ec) return Failed(poll, 0, "read: " + ec.message());
                       OnAnswer(poll);
                     });
  });
}

void Pollers::OnAnswer(std::shared_ptr<Poll> poll) {
  const absl::Time arrived = absl::Now();
  const int status = poll->response.result_int();
  if (poll->started) ++sync_calls_;
  if (status != 200) return Failed(poll, status, "status " + std::to_string(status));
  const nlohmann::json body = nlohmann::json::parse(poll->response.body(), nullptr, false);
  if (!body.is_object()) return Failed(poll, status, "an answer that is not JSON");
  if (!poll->started) {
    poll->since = body.value("next", "");
    Started(poll, true);
  } else {
    poll->since = body.value("next", poll->since);
    for (const auto& e : body.value("events", nlohmann::json::array())) {
      if (e.value("type", "") != "message") continue;
      const auto& m = e["message"];
      const std::string text = m.value("text", "");
      const std::string id = m.value("message_id", "");
      checker_.Observe(poll->user.user_id, text, id);
      if (on_message_) on_message_(poll->user.user_id, text, id, arrived);
    }
  }
  if (!poll->response.keep_alive()) {
    poll->stream.close();
    return Connect(poll);
  }
  Send(poll);
}

void Pollers::Failed(std::shared_ptr<Poll> poll, int status, const std::string& why) {
  if (stop_) return;
  if (!poll->started && status != 0) {
    checker_.PollFailed(poll->user.user_id, "first sync: " + why);
    return Started(poll, false);
  }
  if (poll->started) {
    if (retry_unavailable_ && status >= 502 && status <= 504) {
      ++unavailable_;
    } else {
      checker_.PollFailed(poll->user.user_id, why);
    }
  }
  // Without an answer the connection is in an unknown state: a new one.
  const bool reconnect = status == 0 || !poll->response.keep_alive();
  if (reconnect) poll->stream.close();
  poll->retry.expires_after(kRetryDelay);
  poll->retry.async_wait([this, poll, reconnect](beast::error_code) {
    if (reconnect) return Connect(poll);
    Send(poll);
  });
}

void Pollers::Started(std::shared_ptr<Poll> poll, bool ok) {
  poll->started = ok;
  {
    std::lock_guard lock(mutex_);
    ++started_;
  }
  started_cv_.notify_all();
}

}  // namespace messenger::bench
