#include "common/http/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "common/status_mapping.h"

namespace messenger::http {
namespace {

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST(HttpResponse, Every429SaysWhenToRetry) {
  Response hinted = Response::Error(RetryLaterError("slow down", absl::Milliseconds(2500)));
  EXPECT_EQ(hinted.status, 429);
  EXPECT_EQ(HeaderOf(hinted, "Retry-After"), "3");
  EXPECT_EQ(HeaderOf(Response::Error(absl::ResourceExhaustedError("busy")), "Retry-After"), "1");
  EXPECT_EQ(HeaderOf(Response::Error(429, absl::StatusCode::kResourceExhausted, "busy"), "Retry-After"),
            "1");
  EXPECT_EQ(HeaderOf(Response::Error(absl::NotFoundError("x")), "Retry-After"), "");
  // 503 is retryable too (a service away, a process draining).
  EXPECT_EQ(HeaderOf(Response::Error(absl::UnavailableError("down")), "Retry-After"), "1");
}

// Sends raw bytes and returns the whole answer (the server closes after it).
std::string RawExchange(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
  (void)!write(fd, bytes.data(), bytes.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = Server::Start({.host = "127.0.0.1", .port = 0, .io_threads = 1},
                                [this](Request&& request, Responder respond) {
                                  Handle(std::move(request), std::move(respond));
                                });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void TearDown() override {
    ReleaseWaiters();
    server_->Stop(absl::Seconds(1));
  }

  void Handle(Request&& request, Responder respond) {
    if (request.path == "/wait") {
      // Parked: answered later from another thread.
      std::lock_guard lock(mutex_);
      waiters_.push_back(std::move(respond));
      return;
    }
    if (request.path == "/echo") {
      Response r = Response::Json(200, {{"method", request.method},
                                        {"body", request.body},
                                        {"q", request.QueryParam("q").value_or("")},
                                        {"h", std::string(request.Header("X-Test"))}});
      respond(std::move(r));
      return;
    }
    respond(Response::Error(404, absl::StatusCode::kNotFound, "no route"));
  }

  size_t Waiting() {
    std::lock_guard lock(mutex_);
    return waiters_.size();
  }

  void ReleaseWaiters() {
    std::vector<Responder> waiters;
    {
      std::lock_guard lock(mutex_);
      waiters.swap(waiters_);
    }
    for (auto& respond : waiters) respond(Response::Json(200, {{"woken", true}}));
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_tcp_nodelay(true);
    client.set_keep_alive(true);
    return client;
  }

  std::unique_ptr<Server> server_;
  std::mutex mutex_;
  std::vector<Responder> waiters_;
};

TEST_F(HttpServerTest, AnswersWithHeadersQueryAndBody) {
  auto client = Client();
  httplib::Headers headers = {{"X-Test", "yes"}};
  auto res = client.Post("/echo?q=a%20b&x=1", headers, "hello", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["body"], "hello");
  EXPECT_EQ(body["q"], "a b");
  EXPECT_EQ(body["h"], "yes");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto client = Client();
  for (int i = 0; i < 50; ++i) {
    auto res = client.Get("/echo");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(HttpServerTest, OversizeBodyGets413WithErrorBody) {
  auto client = Client();
  std::string big((1 << 20) + 1, 'x');
  auto res = client.Post("/echo", big, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["error"]["code"], "INVALID_ARGUMENT");
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  std::string answer = RawExchange(server_->port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"INVALID_ARGUMENT\""), std::string::npos) << answer;
}

TEST_F(HttpServerTest, ParkedRequestsHoldNoThread) {
  // 200 parked requests on a server with one I/O thread; others still answer.
  std::vector<std::thread> clients;
  std::atomic<int> woken{0};
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_read_timeout(30, 0);
      auto res = c.Get("/wait");
      if (res && res->status == 200) ++woken;
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Waiting() < 200 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(Waiting(), 200u);
  auto client = Client();
  auto res = client.Get("/echo");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  ReleaseWaiters();
  for (auto& t : clients) t.join();
  EXPECT_EQ(woken.load(), 200);
}

// Drain: a request in flight is answered; one read after Refuse() gets a
// retryable 503 (Retry-After, connection closed) without reaching the handler.
TEST_F(HttpServerTest, RefuseAnswersNewRequests503AndLetsThoseInFlightFinish) {
  std::thread parked([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(30, 0);
    auto res = c.Get("/wait");
    EXPECT_TRUE(res && res->status == 200);
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Waiting() < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(Waiting(), 1u);
  auto client = Client();
  ASSERT_TRUE(client.Get("/echo"));  // a keep-alive connection open before the drain
  server_->Refuse();
  auto refused = client.Get("/echo");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  EXPECT_EQ(refused->get_header_value("Connection"), "close");
  EXPECT_EQ(nlohmann::json::parse(refused->body)["error"]["code"], "UNAVAILABLE");
  EXPECT_EQ(server_->in_flight(), 1u);
  ReleaseWaiters();
  parked.join();
  EXPECT_EQ(server_->in_flight(), 0u);
}

TEST(PercentDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(PercentDecode("a%2Fb+c%zz%4"), "a/b c%zz%4");
}

}  // namespace
}  // namespace messenger::http
