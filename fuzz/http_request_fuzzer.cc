// The HTTP request reader: one http::Server on an ephemeral port for the
// whole run; each input is written to a fresh connection as raw bytes, then
// the write side closes and the fuzzer reads until the server closes. The
// server must answer or close, never crash or hang.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/time/clock.h"
#include "common/http/http_server.h"

namespace {

namespace http = messenger::http;

// Serves like the gateway's front: reads what a route would read and answers
// with parts of the request echoed (JSON encoding of arbitrary bytes).
void Handle(http::Request&& request, http::Responder respond) {
  nlohmann::json echo = {{"method", request.method},
                         {"path", http::PercentDecodePath(request.path)},
                         {"since", request.QueryParam("since").value_or("")},
                         {"authorization", std::string(request.Header("authorization"))},
                         {"body_bytes", request.body.size()}};
  if (request.path == "/error") {
    return respond(http::Response::Error(absl::InvalidArgumentError(request.body)));
  }
  respond(http::Response::Json(200, echo));
}

http::Server& TheServer() {
  static http::Server* server = [] {
    http::Server::Options options;
    options.port = 0;
    options.io_threads = 1;
    options.idle_timeout = absl::Seconds(5);
    auto server = http::Server::Start(options, Handle);
    if (!server.ok()) {
      std::fprintf(stderr, "cannot start the server: %s\n", server.status().ToString().c_str());
      std::abort();
    }
    return server.value().release();  // lives for the whole run
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::Server& server = TheServer();
  const int port = server.port();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Tens of thousands of short connections a run leave the loopback's port
  // pairs in TIME_WAIT: a connect that finds none free waits for one (a
  // fresh socket each try, since a failed connect leaves its socket unusable).
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  int fd = -1;
  for (;;) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) std::abort();
    // Generous for a busy machine: the server closes within its idle timeout.
    timeval timeout{20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) break;
    const int error = errno;
    close(fd);
    const bool transient = error == EINTR || error == EADDRNOTAVAIL || error == EAGAIN;
    if (!transient || absl::Now() > give_up) {
      std::fprintf(stderr, "cannot connect to the server (errno %d)\n", error);
      std::abort();
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;  // libFuzzer's timer (SIGALRM)
    if (n <= 0) break;  // the server may close early (e.g. on a bad request line)
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  char buffer[4096];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;  // libFuzzer's timer (SIGALRM), not the server
      if (errno == ECONNRESET) break;
      std::fprintf(stderr, "the server neither answered nor closed (errno %d)\n", errno);
      std::abort();
    }
  }
  close(fd);
  // The session is gone before the next input: each run starts from the same
  // state, and libFuzzer's leak check sees what this input allocated freed.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (server.open_connections() > 0) {
    if (absl::Now() > deadline) {
      std::fprintf(stderr, "the server kept a closed connection\n");
      std::abort();
    }
    absl::SleepFor(absl::Microseconds(50));
  }
  return 0;
}
