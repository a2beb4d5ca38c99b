// Connection limits of http::Server, driven with raw sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "absl/time/clock.h"
#include "common/http/http_server.h"

namespace messenger::http {
namespace {

// A connected socket whose reads give up after `read_timeout`.
int Connect(int port, absl::Duration read_timeout = absl::Seconds(10)) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{};
  tv.tv_sec = absl::ToInt64Seconds(read_timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
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

void SendAll(int fd, const std::string& bytes) { (void)!write(fd, bytes.data(), bytes.size()); }

// Everything until the server closes (or the read timeout passes).
std::string ReadUntilClosed(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  return out;
}

// Reads one answer without waiting for a close.
std::string ReadSome(int fd) {
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, n) : "";
}

bool Eventually(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

std::unique_ptr<Server> StartServer(Server::Options options) {
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 1;
  options.idle_timeout = absl::Seconds(60);  // longer than every wait below
  auto server = Server::Start(options, [](Request&&, Responder respond) {
    respond(Response::Json(200, {{"ok", true}}));
  });
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpLimits, ConnectionsPastTheCapGet503WithRetryAfter) {
  auto server = StartServer({.max_connections = 2});
  ASSERT_NE(server, nullptr);
  const int first = Connect(server->port());
  const int second = Connect(server->port());
  ASSERT_TRUE(Eventually([&] { return server->open_connections() == 2; }));

  const int third = Connect(server->port());
  const std::string refused = ReadUntilClosed(third);
  EXPECT_NE(refused.find("HTTP/1.1 503"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_NE(refused.find("too many connections"), std::string::npos) << refused;
  close(third);

  // The admitted ones are served; a freed slot admits a new connection.
  SendAll(first, kGet);
  EXPECT_NE(ReadSome(first).find("200 OK"), std::string::npos);
  close(first);
  ASSERT_TRUE(Eventually([&] { return server->open_connections() == 1; }));
  const int fourth = Connect(server->port());
  SendAll(fourth, kGet);
  EXPECT_NE(ReadSome(fourth).find("200 OK"), std::string::npos);
  close(second);
  close(fourth);
}

TEST(HttpLimits, SlowHeadersAreCutOffAtTheHeaderDeadline) {
  auto server = StartServer({.header_timeout = absl::Milliseconds(300)});
  ASSERT_NE(server, nullptr);
  const int fd = Connect(server->port());
  const absl::Time start = absl::Now();
  SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");  // and nothing more
  EXPECT_EQ(ReadUntilClosed(fd), "");
  const absl::Duration held = absl::Now() - start;
  // Closed by the 300 ms header deadline, not the 60 s idle timeout.
  EXPECT_GE(held, absl::Milliseconds(250));
  EXPECT_LT(held, absl::Seconds(5));
  close(fd);
  EXPECT_TRUE(Eventually([&] { return server->open_connections() == 0; }));
}

TEST(HttpLimits, SlowBodiesAreCutOffAtTheBodyDeadline) {
  auto server = StartServer({.body_timeout = absl::Milliseconds(300)});
  ASSERT_NE(server, nullptr);
  const int fd = Connect(server->port());
  const absl::Time start = absl::Now();
  SendAll(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten..");
  EXPECT_EQ(ReadUntilClosed(fd), "");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  close(fd);
}

TEST(HttpLimits, AnIdleKeepAliveConnectionIsNotAHeaderTimeout) {
  auto server = StartServer({.header_timeout = absl::Milliseconds(100)});
  ASSERT_NE(server, nullptr);
  const int fd = Connect(server->port());
  SendAll(fd, kGet);
  EXPECT_NE(ReadSome(fd).find("200 OK"), std::string::npos);
  // Idle between requests for longer than the header deadline: still open.
  absl::SleepFor(absl::Milliseconds(400));
  SendAll(fd, kGet);
  EXPECT_NE(ReadSome(fd).find("200 OK"), std::string::npos);
  close(fd);
}

TEST(HttpLimits, MethodLabelsComeFromAFixedSet) {
  EXPECT_EQ(MethodLabel("GET"), "GET");
  EXPECT_EQ(MethodLabel("DELETE"), "DELETE");
  EXPECT_EQ(MethodLabel("FOO1"), "other");
  EXPECT_EQ(MethodLabel("get"), "other");
  EXPECT_EQ(MethodLabel(""), "other");
}

}  // namespace
}  // namespace messenger::http
