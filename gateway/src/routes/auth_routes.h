// What the verify-email page shares with /v1/auth/verify-email.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {

// Spends a verification token (limited per token; the caller took the
// client's token) without holding a gateway worker: `done` gets `ok()` or the
// error, on a gRPC thread.
void VerifyEmailToken(Gateway& gw, const std::string& token, AsyncDone done,
                      std::function<http::Response()> ok);

}  // namespace messenger::gateway
