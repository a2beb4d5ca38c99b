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

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query, percent-decoding left to routes
  std::string query;   // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote_address;

  // "" when absent; names are case-insensitive.
  std::string_view Header(std::string_view name) const;
  // Percent-decoded query parameter.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

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
  };

  static absl::StatusOr<std::unique_ptr<Server>> Start(Options options, Handler handler);
  ~Server();

  int port() const;
  size_t open_connections() const;
  // Stops accepting; waits up to `grace` for requests being handled; closes all.
  void Stop(absl::Duration grace);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace messenger::http
