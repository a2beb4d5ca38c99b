#include "common/app/admin.h"

#include "absl/strings/numbers.h"
#include "common/metrics.h"

namespace messenger {

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("want host:port, got \"" + address + "\"");
  }
  return std::make_pair(address.substr(0, colon), port);
}

http::Handler AdminHandler(std::function<absl::Status()> ready) {
  return [ready = std::move(ready)](http::Request&& request, http::Responder respond) {
    if (request.path == "/healthz") return respond(http::Response::Json(200, {{"status", "ok"}}));
    if (request.path == "/readyz") {
      absl::Status status = ready();
      if (!status.ok()) return respond(http::Response::Error(status));
      return respond(http::Response::Json(200, {{"status", "ready"}}));
    }
    if (request.path == "/metrics") {
      http::Response r;
      r.body = metrics::Registry::Default().Render();
      r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
      return respond(std::move(r));
    }
    respond(http::Response::Error(404, absl::StatusCode::kNotFound, "no such route"));
  };
}

}  // namespace messenger
