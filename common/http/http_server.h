// An asynchronous HTTP/1.1 server (Boost.Beast): a few I/O threads serve any
// number of keep-alive connections, and a handler answers through a Responder
// whenever it is ready, so a long poll holds no thread. Bodies over the limit
// get 413 and malformed requests 400, both with the api.md error body.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/percent.h"

namespace messenger::http {

struct WebSocketCallbacks;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query, percent-decoding left to routes
  std::string query;   // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote_address;
  // A WebSocket handshake (GET with Upgrade: websocket): a Response with
  // `websocket` set accepts it.
  bool websocket_upgrade = false;

  // "" when absent; names are case-insensitive.
  std::string_view Header(std::string_view name) const;
  // Percent-decoded query parameter.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set (with status 101) to accept a WebSocket handshake; ignored when the
  // request was not one.
  std::shared_ptr<WebSocketCallbacks> websocket;

  static Response AcceptWebSocket(std::shared_ptr<WebSocketCallbacks> callbacks);
  void SetHeader(std::string name, std::string value);
  static Response Json(int status, const nlohmann::json& body);
  static Response Empty(int status);
  // The api.md error body for a status.
  static Response Error(const absl::Status& status);
  static Response Error(int http_status, absl::StatusCode code, std::string_view message);
};

// The method as a metrics label: one of a fixed set, "other" for anything a
// client made up (labels must not grow without bound).
std::string_view MethodLabel(std::string_view method);

// An open WebSocket. Thread-safe; every call returns at once.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // Queues a text frame. False, queueing nothing, when the socket is closing
  // or the queue is not empty and would pass
  // Options::websocket_max_queue_bytes (the peer reads too slowly: the caller
  // closes it).
  virtual bool Send(std::string text) = 0;
  // Drops what is queued and closes with `code` (RFC 6455 close code). A
  // peer that does not take the close frame within a few seconds loses the
  // TCP connection instead.
  virtual void Close(uint16_t code, std::string reason) = 0;
  virtual size_t queued_bytes() const = 0;
  // Closes with `code` at `deadline` (an unauthenticated socket, a token that
  // expires); InfiniteFuture clears it.
  virtual void SetDeadline(absl::Time deadline, uint16_t code, std::string reason) = 0;
};

// What a WebSocket reports, each on the connection's strand (one at a time).
struct WebSocketCallbacks {
  std::function<void(std::shared_ptr<WebSocket>)> on_open;  // handshake done
  std::function<void(std::string text)> on_message;          // a text frame
  // Once, however it ended (also when the handshake failed, without on_open).
  std::function<void()> on_closed;
};

// Answers one request; call exactly once, from any thread.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&& request, Responder respond)>;

class Server {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 8080;  // 0 = pick a free port
    int io_threads = 2;
    size_t max_body_bytes = 1 << 20;
    // Between requests on a keep-alive connection.
    absl::Duration idle_timeout = absl::Seconds(75);
    // Past this many open connections a new one is answered 503 (with
    // Retry-After) and closed.
    size_t max_connections = 20'000;
    // From a request's first byte to the end of its headers (slow clients
    // holding sockets), and from there to the end of its body.
    absl::Duration header_timeout = absl::Seconds(10);
    absl::Duration body_timeout = absl::Seconds(30);
    // Upper bound for a handler to answer (long polls stay below it).
    absl::Duration handler_timeout = absl::Seconds(90);
    // WebSockets: pings after half this long without a frame from the peer,
    // closed after all of it.
    absl::Duration websocket_idle_timeout = absl::Seconds(40);
    size_t websocket_max_queue_bytes = 1 << 20;
    size_t websocket_max_message_bytes = 64 * 1024;  // from the peer
    // SO_SNDBUF of a WebSocket (0: the kernel's default): bounds what a slow
    // reader holds in kernel memory before the queue fills.
    int websocket_send_buffer_bytes = 0;
    // The answer to a request refused before its handler runs (413: body too
    // large), given its path: APIs with their own error bodies (Matrix) set
    // it; unset, the api.md error body.
    std::function<Response(std::string_view path, int status, std::string_view message)> refusal;
  };

  static absl::StatusOr<std::unique_ptr<Server>> Start(Options options, Handler handler);
  ~Server();

  int port() const;
  size_t open_connections() const;
  size_t open_websockets() const;
  // Drain: every request read from now on is answered 503 UNAVAILABLE with
  // Retry-After and the connection closed; those in flight go on.
  void Refuse();
  size_t in_flight() const;
  // Stops accepting; waits up to `grace` for requests being handled; closes all.
  void Stop(absl::Duration grace);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace messenger::http
