// The one mapping between absl::Status, grpc::Status and HTTP.
#pragma once

#include <string>
#include <string_view>

#include <grpcpp/support/status.h>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"

namespace messenger {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// "INVALID_ARGUMENT", "NOT_FOUND", ... (the gRPC code names).
std::string_view StatusCodeName(absl::StatusCode code);

// HTTP status for a code, as in api.md's table.
int HttpStatusFor(absl::StatusCode code);

// {"error": {"code": "...", "message": "..."}}. INTERNAL errors carry a generic
// message: details go to the log, not to clients.
nlohmann::json ErrorBody(const absl::Status& status);

}  // namespace messenger
