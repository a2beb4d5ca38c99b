// The one mapping between absl::Status, grpc::Status and HTTP.
#pragma once

#include <string>
#include <string_view>

#include <grpcpp/support/status.h>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include <optional>

namespace messenger {

// RESOURCE_EXHAUSTED that tells the client when to try again. The hint
// survives the gRPC hop (ToGrpcStatus/FromGrpcStatus) and becomes the
// `Retry-After` header (and Matrix `retry_after_ms`).
absl::Status RetryLaterError(std::string_view message, absl::Duration retry_after);
// The hint of a RetryLaterError; nullopt when the status has none.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);
// Whole seconds for a `Retry-After` header: at least 1, rounded up. Every 429
// carries one; a RESOURCE_EXHAUSTED without a hint says 1.
int RetryAfterSeconds(const absl::Status& status);

grpc::Status ToGrpcStatus(const absl::Status& status);
// A received CANCELLED becomes UNAVAILABLE (retryable): see the definition.
absl::Status FromGrpcStatus(const grpc::Status& status);

// "INVALID_ARGUMENT", "NOT_FOUND", ... (the gRPC code names).
std::string_view StatusCodeName(absl::StatusCode code);

// HTTP status for a code, as in api.md's table.
int HttpStatusFor(absl::StatusCode code);

// {"error": {"code": "...", "message": "..."}}. INTERNAL errors carry a generic
// message: details go to the log, not to clients.
nlohmann::json ErrorBody(const absl::Status& status);

}  // namespace messenger
