#include "gateway/src/matrix/matrix_errors.h"

#include <algorithm>
#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_join.h"
#include "common/status_mapping.h"

namespace messenger::gateway::matrix {
namespace {

constexpr absl::string_view kErrcodePayload = "messenger/matrix-errcode";
constexpr absl::string_view kSoftLogoutPayload = "messenger/matrix-soft-logout";

struct Known {
  std::string_view errcode;
  int http;
  absl::StatusCode code;
};

// The spec's status for each errcode we send.
constexpr Known kKnown[] = {
    {kForbidden, 403, absl::StatusCode::kPermissionDenied},
    {kUnknownToken, 401, absl::StatusCode::kUnauthenticated},
    {kMissingToken, 401, absl::StatusCode::kUnauthenticated},
    {kBadJson, 400, absl::StatusCode::kInvalidArgument},
    {kNotJson, 400, absl::StatusCode::kInvalidArgument},
    {kNotFound, 404, absl::StatusCode::kNotFound},
    {kLimitExceeded, 429, absl::StatusCode::kResourceExhausted},
    {kUnrecognized, 404, absl::StatusCode::kUnimplemented},
    {kUnknown, 400, absl::StatusCode::kInvalidArgument},
    {kUserInUse, 400, absl::StatusCode::kAlreadyExists},
    {kInvalidUsername, 400, absl::StatusCode::kInvalidArgument},
    {kInvalidParam, 400, absl::StatusCode::kInvalidArgument},
    {kMissingParam, 400, absl::StatusCode::kInvalidArgument},
    {kTooLarge, 413, absl::StatusCode::kInvalidArgument},
    {kWeakPassword, 400, absl::StatusCode::kInvalidArgument},
    {kUserDeactivated, 403, absl::StatusCode::kPermissionDenied},
    {kThreepidNotFound, 400, absl::StatusCode::kNotFound},
    {kUnsupportedRoomVersion, 400, absl::StatusCode::kFailedPrecondition},
    {kIncompatibleRoomVersion, 400, absl::StatusCode::kFailedPrecondition},
    {kUnauthorized, 401, absl::StatusCode::kUnauthenticated},
    {kRoomInUse, 409, absl::StatusCode::kAlreadyExists},
    {kDuplicateAnnotation, 400, absl::StatusCode::kAlreadyExists},
};

const Known* Find(std::string_view errcode) {
  for (const Known& k : kKnown) {
    if (k.errcode == errcode) return &k;
  }
  return nullptr;
}

std::optional<std::string> PayloadErrcode(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrcodePayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

}  // namespace

absl::Status MatrixError(std::string_view errcode, std::string_view message) {
  const Known* known = Find(errcode);
  absl::Status status(known ? known->code : absl::StatusCode::kInvalidArgument,
                      absl::string_view(message.data(), message.size()));
  status.SetPayload(kErrcodePayload, absl::Cord(absl::string_view(errcode.data(), errcode.size())));
  return status;
}

absl::Status OutOfRangeAsTooLarge(absl::Status status) {
  if (status.code() != absl::StatusCode::kOutOfRange) return status;
  return MatrixError(kTooLarge, std::string(status.message()));
}

absl::Status SoftLogoutError(std::string_view message) {
  absl::Status status = MatrixError(kUnknownToken, message);
  status.SetPayload(kSoftLogoutPayload, absl::Cord("1"));
  return status;
}

std::string ErrcodeOf(const absl::Status& status) {
  if (std::optional<std::string> errcode = PayloadErrcode(status)) return *errcode;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return kInvalidParam;
    case absl::StatusCode::kUnauthenticated: return kUnknownToken;
    case absl::StatusCode::kPermissionDenied: return kForbidden;
    case absl::StatusCode::kNotFound: return kNotFound;
    case absl::StatusCode::kResourceExhausted: return kLimitExceeded;
    case absl::StatusCode::kUnimplemented: return kUnrecognized;
    default: return kUnknown;
  }
}

int MatrixHttpStatus(const absl::Status& status) {
  if (std::optional<std::string> errcode = PayloadErrcode(status)) {
    if (const Known* known = Find(*errcode)) return known->http;
  }
  if (status.code() == absl::StatusCode::kUnimplemented) return 404;
  if (status.code() == absl::StatusCode::kFailedPrecondition) return 400;
  return HttpStatusFor(status.code());
}

http::Response MatrixErrorResponse(const absl::Status& status) {
  const int http_status = MatrixHttpStatus(status);
  const bool internal = http_status >= 500;
  nlohmann::json body = {{"errcode", internal ? std::string(kUnknown) : ErrcodeOf(status)},
                         {"error", internal ? std::string("internal error")
                                            : std::string(status.message())}};
  if (status.GetPayload(kSoftLogoutPayload).has_value()) body["soft_logout"] = true;
  http::Response response;
  if (http_status == 429) {
    const int seconds = RetryAfterSeconds(status);
    const std::optional<absl::Duration> after = RetryAfter(status);
    body["retry_after_ms"] =
        after.has_value() ? std::max<int64_t>(0, absl::ToInt64Milliseconds(*after))
                          : int64_t{seconds} * 1000;
    response = http::Response::Json(http_status, body);
    response.SetHeader("Retry-After", std::to_string(seconds));
  } else {
    response = http::Response::Json(http_status, body);
  }
  if (http_status == 401) response.SetHeader("WWW-Authenticate", "Bearer");
  return response;
}

bool IsMatrixPath(std::string_view path) {
  return path.starts_with("/_matrix/") || path == "/_matrix" ||
         path.starts_with("/.well-known/matrix/");
}

void AddMatrixCorsHeaders(http::Response& response) {
  response.SetHeader("Access-Control-Allow-Origin", "*");
  response.SetHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
  response.SetHeader("Access-Control-Allow-Headers",
                     "X-Requested-With, Content-Type, Authorization, Traceparent");
  response.SetHeader("Access-Control-Expose-Headers", "Retry-After, X-Trace-Id");
}

http::Response MatrixPreflight() {
  http::Response response = http::Response::Empty(204);
  AddMatrixCorsHeaders(response);
  response.SetHeader("Access-Control-Max-Age", "7200");
  return response;
}

http::Response UnrecognizedResponse(bool path_known, const std::vector<std::string>& allowed) {
  if (!path_known) {
    return MatrixErrorResponse(MatrixError(kUnrecognized, "unrecognized request"));
  }
  http::Response response = MatrixErrorResponse(
      MatrixError(kUnrecognized, "method not allowed on this endpoint"));
  response.status = 405;
  response.SetHeader("Allow", absl::StrJoin(allowed, ", "));
  return response;
}

}  // namespace messenger::gateway::matrix
