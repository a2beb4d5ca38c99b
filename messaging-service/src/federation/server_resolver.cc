#include "messaging-service/src/federation/server_resolver.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::federation {
namespace {

// How long a /.well-known answer (or its absence) is believed.
constexpr absl::Duration kWellKnownTtl = absl::Hours(24);
constexpr absl::Duration kWellKnownErrorTtl = absl::Hours(1);

bool IsIpv4(absl::string_view host) {
  int parts = 0;
  for (absl::string_view part : absl::StrSplit(host, '.')) {
    int value = 0;
    if (part.empty() || part.size() > 3 || !absl::SimpleAtoi(part, &value) || value > 255) {
      return false;
    }
    ++parts;
  }
  return parts == 4;
}

Endpoint ToEndpoint(const HostPort& hp, const std::string& host_header) {
  std::string host = hp.host;
  // httplib wants an IPv6 address without brackets.
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return Endpoint{host, hp.port.value_or(kDefaultFederationPort), host_header};
}

}  // namespace

absl::StatusOr<HostPort> SplitServerName(absl::string_view name) {
  if (!matrix::IsValidServerName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid server name: ", name));
  }
  HostPort hp;
  absl::string_view host = name;
  const size_t bracket = name.rfind(']');
  const size_t colon = name.rfind(':');
  if (colon != absl::string_view::npos && (bracket == absl::string_view::npos || colon > bracket)) {
    int port = 0;
    if (!absl::SimpleAtoi(name.substr(colon + 1), &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("invalid port in server name: ", name));
    }
    hp.port = port;
    host = name.substr(0, colon);
  }
  hp.host = std::string(host);
  hp.ip_literal = absl::StartsWith(host, "[") || IsIpv4(host);
  return hp;
}

std::optional<std::string> ParseWellKnown(absl::string_view body) {
  absl::StatusOr<nlohmann::json> json = matrix::ParseJson(body);
  if (!json.ok() || !json->is_object()) return std::nullopt;
  const auto server = json->find("m.server");
  if (server == json->end() || !server->is_string()) return std::nullopt;
  const std::string& name = server->get_ref<const std::string&>();
  if (!matrix::IsValidServerName(name)) return std::nullopt;
  return name;
}

ServerResolver::ServerResolver(std::map<std::string, std::string> hosts, HttpFetcher& fetcher,
                               const Clock& clock, size_t cache_entries)
    : hosts_(std::move(hosts)),
      fetcher_(fetcher),
      clock_(clock),
      well_known_("federation_well_known", cache_entries) {}

absl::StatusOr<Endpoint> ServerResolver::Resolve(const std::string& server_name) {
  if (const auto it = hosts_.find(server_name); it != hosts_.end()) {
    const size_t colon = it->second.rfind(':');
    int port = 0;
    if (!absl::SimpleAtoi(it->second.substr(colon + 1), &port)) {
      return absl::InvalidArgumentError("bad MESSENGER_FEDERATION_HOSTS entry");
    }
    return Endpoint{it->second.substr(0, colon), port, server_name};
  }
  ASSIGN_OR_RETURN(HostPort hp, SplitServerName(server_name));
  // Steps 1 and 2: an IP literal or an explicit port is used as it is.
  if (hp.ip_literal || hp.port) return ToEndpoint(hp, server_name);
  // Step 3: delegation through /.well-known/matrix/server.
  if (std::optional<std::string> delegated = LookupWellKnown(hp.host)) {
    absl::StatusOr<HostPort> target = SplitServerName(*delegated);
    if (target.ok()) return ToEndpoint(*target, *delegated);
  }
  // Step 6 (SRV lookups, steps 4 and 5, are not done): the name on 8448.
  return ToEndpoint(hp, server_name);
}

std::optional<std::string> ServerResolver::LookupWellKnown(const std::string& host) {
  const absl::Time now = clock_.Now();
  if (std::optional<WellKnown> cached = well_known_.Get(host); cached && cached->expires > now) {
    return cached->delegated;
  }
  WellKnown answer{std::nullopt, now + kWellKnownErrorTtl};
  const Endpoint endpoint{host, fetcher_.tls() ? 443 : 80, host};
  absl::StatusOr<HttpReply> reply =
      fetcher_.Fetch(endpoint, "GET", "/.well-known/matrix/server", {}, "");
  if (reply.ok() && reply->status == 200) {
    answer.delegated = ParseWellKnown(reply->body);
    if (answer.delegated) answer.expires = now + kWellKnownTtl;
  }
  well_known_.Put(host, answer);
  return answer.delegated;
}

}  // namespace messenger::federation
