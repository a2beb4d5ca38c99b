#include "gateway/src/auth_limits.h"

#include "common/crypto.h"

namespace messenger::gateway {

AuthLimitConfig AuthLimitConfig::FromEnv(EnvReader& env) {
  AuthLimitConfig c;
  c.ip_rate_per_second = env.Int("MESSENGER_AUTH_IP_RATE_PER_MIN", 120, 1, 6'000'000) / 60.0;
  c.ip_burst = static_cast<double>(env.Int("MESSENGER_AUTH_IP_BURST", 30, 1, 1'000'000));
  c.account_rate_per_second =
      env.Int("MESSENGER_AUTH_ACCOUNT_RATE_PER_MIN", 10, 1, 6'000'000) / 60.0;
  c.account_burst = static_cast<double>(env.Int("MESSENGER_AUTH_ACCOUNT_BURST", 10, 1, 1'000'000));
  c.max_keys = static_cast<size_t>(env.Int("MESSENGER_AUTH_LIMITER_KEYS", 100'000, 1, 100'000'000));
  auto proxies = TrustedProxies::Parse(env.String("MESSENGER_TRUSTED_PROXIES", ""));
  if (proxies.ok()) {
    c.trusted_proxies = std::move(*proxies);
  } else {
    env.Invalid("MESSENGER_TRUSTED_PROXIES", std::string(proxies.status().message()));
  }
  return c;
}

AuthLimits::AuthLimits(const AuthLimitConfig& config, const Clock& clock)
    : proxies_(config.trusted_proxies),
      by_client_(config.ip_rate_per_second, config.ip_burst, clock, "auth_client_limiter",
                 config.max_keys),
      by_account_(config.account_rate_per_second, config.account_burst, clock,
                  "auth_account_limiter", config.max_keys) {}

std::string AuthLimits::ClientAddress(const http::Request& request) const {
  return proxies_.ClientAddress(request.remote_address, request.Header("x-forwarded-for"));
}

absl::Status AuthLimits::TakeForClient(const http::Request& request) {
  return by_client_.Take(ClientAddress(request), "too many requests from this address; slow down");
}

absl::Status AuthLimits::TakeForAccount(std::string_view kind, std::string_view key) {
  return by_account_.Take(std::string(kind) + ":" + Sha256(key),
                          "too many attempts for this account; try again later");
}

}  // namespace messenger::gateway
