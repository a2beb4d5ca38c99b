// Cross-origin resource sharing for the public API (/v1 and /_matrix): which
// origins may call it from a browser, and the headers that say so. Tokens
// travel in the Authorization header, never in cookies, so no response
// allows credentials.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/http/http_server.h"

namespace messenger::gateway {

class CorsPolicy {
 public:
  // "" (no cross-origin access), "*" (any origin: development only), or a
  // comma-separated list of exact origins ("https://app.example.com").
  static absl::StatusOr<CorsPolicy> Parse(std::string_view origins);
  CorsPolicy() = default;

  bool enabled() const { return any_ || !origins_.empty(); }
  // Whether requests to `path` take part (the API paths, not the static app).
  static bool Applies(std::string_view path);
  bool Allows(std::string_view origin) const;
  // A preflight: OPTIONS with Origin and Access-Control-Request-Method.
  static bool IsPreflight(const http::Request& request);
  // The answer to a preflight for a path that accepts `methods`: 204 with the
  // allowed methods and headers from an allowed origin, 403 without any CORS
  // header from another.
  http::Response Preflight(const http::Request& request,
                           const std::vector<std::string>& methods) const;
  // Adds the CORS headers to the answer of an actual request from `origin`
  // (none when it is empty or not allowed).
  void Decorate(std::string_view origin, http::Response& response) const;

 private:
  bool any_ = false;
  std::set<std::string, std::less<>> origins_;
};

}  // namespace messenger::gateway
