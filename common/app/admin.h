// The admin HTTP endpoints every process serves (/healthz, /readyz, /metrics)
// and address parsing for listen addresses.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http/http_server.h"

namespace messenger {

// Splits "host:port"; INVALID_ARGUMENT when malformed.
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(const std::string& address);

// /healthz, /readyz (via `ready`) and /metrics.
http::Handler AdminHandler(std::function<absl::Status()> ready);

}  // namespace messenger
