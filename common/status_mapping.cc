#include "common/status_mapping.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace messenger {
namespace {

// Payload key of the retry hint inside absl::Status, and its prefix in the
// gRPC error details (opaque bytes for grpc, read only by FromGrpcStatus).
constexpr absl::string_view kRetryAfterPayload = "messenger/retry-after-ms";
constexpr absl::string_view kRetryAfterDetail = "retry-after-ms:";

}  // namespace

absl::Status RetryLaterError(std::string_view message, absl::Duration retry_after) {
  absl::Status status = absl::ResourceExhaustedError(absl::string_view(message.data(), message.size()));
  const int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(retry_after));
  status.SetPayload(kRetryAfterPayload, absl::Cord(std::to_string(ms)));
  return status;
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kRetryAfterPayload);
  if (!payload.has_value()) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &ms) || ms < 0) return std::nullopt;
  return absl::Milliseconds(ms);
}

int RetryAfterSeconds(const absl::Status& status) {
  const std::optional<absl::Duration> after = RetryAfter(status);
  if (!after.has_value()) return 1;
  const int64_t ms = absl::ToInt64Milliseconds(*after);
  return static_cast<int>(std::max<int64_t>(1, (ms + 999) / 1000));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (std::optional<absl::Duration> after = RetryAfter(status); after.has_value()) {
    return grpc::Status(code, std::string(status.message()),
                        absl::StrCat(kRetryAfterDetail, absl::ToInt64Milliseconds(*after)));
  }
  return grpc::Status(code, std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  // Our callers never cancel their own calls, so a CANCELLED that comes back
  // was ended by the service (a shutdown past its drain): nothing was
  // answered, and a retry (idempotent everywhere) is the right move.
  if (code == absl::StatusCode::kCancelled) {
    return absl::UnavailableError(
        absl::StrCat("the service ended the call before answering (", status.error_message(), ")"));
  }
  const std::string& details = status.error_details();
  int64_t ms = 0;
  if (code == absl::StatusCode::kResourceExhausted && absl::StartsWith(details, kRetryAfterDetail) &&
      absl::SimpleAtoi(absl::string_view(details).substr(kRetryAfterDetail.size()), &ms)) {
    return RetryLaterError(status.error_message(), absl::Milliseconds(ms));
  }
  return absl::Status(code, status.error_message());
}

std::string_view StatusCodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return "OK";
    case absl::StatusCode::kCancelled: return "CANCELLED";
    case absl::StatusCode::kUnknown: return "UNKNOWN";
    case absl::StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case absl::StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case absl::StatusCode::kNotFound: return "NOT_FOUND";
    case absl::StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case absl::StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case absl::StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case absl::StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case absl::StatusCode::kAborted: return "ABORTED";
    case absl::StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case absl::StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case absl::StatusCode::kInternal: return "INTERNAL";
    case absl::StatusCode::kUnavailable: return "UNAVAILABLE";
    case absl::StatusCode::kDataLoss: return "DATA_LOSS";
    case absl::StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kFailedPrecondition: return 412;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

nlohmann::json ErrorBody(const absl::Status& status) {
  const bool internal = HttpStatusFor(status.code()) == 500;
  return {{"error",
           {{"code", StatusCodeName(status.code())},
            {"message", internal ? std::string("internal error") : std::string(status.message())}}}};
}

}  // namespace messenger
