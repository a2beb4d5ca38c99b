// Server discovery (server-server API, "Resolving server names"), in the
// spec's order without the SRV steps: a configured override, an IP literal,
// an explicit port, /.well-known/matrix/server (followed once, cached), and
// otherwise the name on port 8448.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/lru_cache.h"
#include "messaging-service/src/federation/http_fetcher.h"

namespace messenger::federation {

inline constexpr int kDefaultFederationPort = 8448;

// A server name split into host and port; IPv6 literals keep their brackets.
struct HostPort {
  std::string host;
  std::optional<int> port;
  bool ip_literal = false;
};
// InvalidArgument when `name` is not a valid server name.
absl::StatusOr<HostPort> SplitServerName(absl::string_view name);

// The `m.server` of a /.well-known/matrix/server body, when valid.
std::optional<std::string> ParseWellKnown(absl::string_view body);

class ServerResolver {
 public:
  ServerResolver(std::map<std::string, std::string> hosts, HttpFetcher& fetcher, const Clock& clock,
                 size_t cache_entries);

  absl::StatusOr<Endpoint> Resolve(const std::string& server_name);

 private:
  struct WellKnown {
    std::optional<std::string> delegated;
    absl::Time expires;
  };
  // The delegated server name of `host`, or nullopt (no or bad answer).
  std::optional<std::string> LookupWellKnown(const std::string& host);

  std::map<std::string, std::string> hosts_;
  HttpFetcher& fetcher_;
  const Clock& clock_;
  LruCache<std::string, WellKnown> well_known_;
};

}  // namespace messenger::federation
