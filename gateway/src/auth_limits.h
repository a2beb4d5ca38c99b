// Limits of the public /v1/auth/* routes: a token bucket per client address
// and one per account (the lowercased login, username or email, or the hash
// of a refresh or verification token). Both answer 429 with Retry-After; the
// auth service's lockout and hashing queue stand behind them.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/http/http_server.h"
#include "gateway/src/client_ip.h"
#include "gateway/src/rate_limiter.h"

namespace messenger::gateway {

struct AuthLimitConfig {
  double ip_rate_per_second = 2;               // MESSENGER_AUTH_IP_RATE_PER_MIN
  double ip_burst = 30;                        // MESSENGER_AUTH_IP_BURST
  double account_rate_per_second = 10.0 / 60;  // MESSENGER_AUTH_ACCOUNT_RATE_PER_MIN
  double account_burst = 10;                   // MESSENGER_AUTH_ACCOUNT_BURST
  size_t max_keys = 100'000;                   // MESSENGER_AUTH_LIMITER_KEYS, per limiter
  TrustedProxies trusted_proxies;              // MESSENGER_TRUSTED_PROXIES
  static AuthLimitConfig FromEnv(EnvReader& env);
};

class AuthLimits {
 public:
  AuthLimits(const AuthLimitConfig& config, const Clock& clock);

  // Takes a token of the request's client address.
  absl::Status TakeForClient(const http::Request& request);
  // Takes a token of an account; `kind` keeps the routes' keys apart
  // ("login", "refresh", ...). The key is stored hashed (bounded size).
  absl::Status TakeForAccount(std::string_view kind, std::string_view key);
  std::string ClientAddress(const http::Request& request) const;

 private:
  TrustedProxies proxies_;
  RateLimiter by_client_;
  RateLimiter by_account_;
};

}  // namespace messenger::gateway
