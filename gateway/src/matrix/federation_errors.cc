#include "gateway/src/matrix/federation_errors.h"

#include "common/log.h"
#include "common/status_mapping.h"

namespace messenger::gateway {
namespace {

const char* Errcode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return "M_UNAUTHORIZED";
    case absl::StatusCode::kPermissionDenied:
      return "M_FORBIDDEN";
    case absl::StatusCode::kNotFound:
      return "M_NOT_FOUND";
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return "M_INVALID_PARAM";
    case absl::StatusCode::kResourceExhausted:
      return "M_LIMIT_EXCEEDED";
    default:
      return "M_UNKNOWN";
  }
}

}  // namespace

http::Response MatrixErrorResponse(const absl::Status& status) {
  const int http_status = HttpStatusFor(status.code());
  // Internal details go to the log, as for /v1.
  const std::string message = http_status == 500 ? "internal error" : std::string(status.message());
  nlohmann::json body = {{"errcode", Errcode(status.code())}, {"error", message}};
  http::Response r;
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    const int seconds = RetryAfterSeconds(status);
    body["retry_after_ms"] = int64_t{seconds} * 1000;
    r = http::Response::Json(http_status, body);
    r.SetHeader("Retry-After", std::to_string(seconds));
    return r;
  }
  return http::Response::Json(http_status, body);
}

RouteHandler MatrixRoute(RouteHandler handler) {
  return [handler = std::move(handler)](RouteContext& c) -> absl::StatusOr<http::Response> {
    absl::StatusOr<http::Response> response = handler(c);
    if (response.ok()) return response;
    if (HttpStatusFor(response.status().code()) >= 500) {
      log::Warn("federation request failed",
                {{"path", c.request.path},
                 {"code", std::string(StatusCodeName(response.status().code()))},
                 {"error", std::string(response.status().message())}});
    }
    return MatrixErrorResponse(response.status());
  };
}

}  // namespace messenger::gateway
