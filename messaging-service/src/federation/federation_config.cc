#include "messaging-service/src/federation/federation_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::federation {

absl::StatusOr<std::map<std::string, std::string>> ParseHostMap(absl::string_view text) {
  std::map<std::string, std::string> hosts;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(entry, '=');
    const std::string name(absl::StripAsciiWhitespace(kv.first));
    const std::string address(absl::StripAsciiWhitespace(kv.second));
    const size_t colon = address.rfind(':');
    if (!matrix::IsValidServerName(name) || colon == std::string::npos || colon == 0 ||
        colon + 1 == address.size()) {
      return absl::InvalidArgumentError("expected name=host:port,...");
    }
    hosts[name] = address;
  }
  return hosts;
}

FederationConfig FederationConfig::FromEnv(EnvReader& env) {
  FederationConfig c;
  c.signing_key_file = env.String("MESSENGER_MATRIX_SIGNING_KEY_FILE", "");
  c.key_validity = env.Duration("MESSENGER_FEDERATION_KEY_VALIDITY_S", absl::Hours(24),
                                absl::Seconds(1), 60, 7 * 24 * 3600);
  if (auto hosts = ParseHostMap(env.String("MESSENGER_FEDERATION_HOSTS", "")); hosts.ok()) {
    c.hosts = std::move(*hosts);
  } else {
    env.Invalid("MESSENGER_FEDERATION_HOSTS", std::string(hosts.status().message()));
  }
  c.insecure_http = env.Bool("MESSENGER_FEDERATION_INSECURE_HTTP", false);
  for (absl::string_view name : absl::StrSplit(
           env.String("MESSENGER_FEDERATION_DOMAIN_WHITELIST", ""), ',', absl::SkipWhitespace())) {
    c.domain_whitelist.insert(std::string(absl::StripAsciiWhitespace(name)));
  }
  c.request_timeout = env.Duration("MESSENGER_FEDERATION_TIMEOUT_MS", absl::Seconds(3),
                                   absl::Milliseconds(1), 100, 60'000);
  c.connect_timeout = std::min(c.connect_timeout, c.request_timeout);
  c.sender.poll = env.Duration("MESSENGER_FEDERATION_SEND_POLL_MS", c.sender.poll,
                               absl::Milliseconds(1), 10, 60'000);
  c.sender.backoff_base = env.Duration("MESSENGER_FEDERATION_BACKOFF_BASE_MS",
                                       c.sender.backoff_base, absl::Milliseconds(1), 10, 600'000);
  c.sender.backoff_max = env.Duration("MESSENGER_FEDERATION_BACKOFF_MAX_MS", c.sender.backoff_max,
                                      absl::Milliseconds(1), 10, 86'400'000);
  c.sender.queue_limit =
      env.Int("MESSENGER_FEDERATION_QUEUE_LIMIT", c.sender.queue_limit, 100, 100'000'000);
  // A lease outlives any request, so a slow answer is never sent twice at once.
  c.sender.lease = std::max(c.sender.lease, 2 * c.request_timeout + absl::Seconds(5));
  c.max_response_bytes = static_cast<size_t>(
      env.Int("MESSENGER_FEDERATION_MAX_RESPONSE_BYTES", 1 << 20, 1024, int64_t{64} << 20));
  return c;
}

}  // namespace messenger::federation
