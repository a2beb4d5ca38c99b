#include "gateway/src/cors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace messenger::gateway {
namespace {

constexpr char kAllowHeaders[] = "Authorization, Content-Type, If-None-Match, Traceparent";
constexpr char kExposeHeaders[] = "ETag, Retry-After, X-Trace-Id";
// Browsers cap it anyway (Chromium: 2 hours).
constexpr char kMaxAgeSeconds[] = "7200";

// "https://host[:port]" or "http://host[:port]", no path, no trailing slash.
bool WellFormedOrigin(absl::string_view origin) {
  absl::string_view rest = origin;
  if (!absl::ConsumePrefix(&rest, "https://") && !absl::ConsumePrefix(&rest, "http://")) {
    return false;
  }
  if (rest.empty()) return false;
  for (char c : rest) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
        c != ':' && c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

void SetAllowOrigin(std::string_view origin, bool any, http::Response& response) {
  response.SetHeader("Access-Control-Allow-Origin", any ? "*" : std::string(origin));
  // Answers differ by Origin: caches must keep them apart.
  if (!any) response.SetHeader("Vary", "Origin");
}

}  // namespace

absl::StatusOr<CorsPolicy> CorsPolicy::Parse(std::string_view origins) {
  CorsPolicy policy;
  for (absl::string_view item : absl::StrSplit(absl::string_view(origins.data(), origins.size()),
                                               ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    if (item == "*") {
      policy.any_ = true;
    } else if (WellFormedOrigin(item)) {
      policy.origins_.insert(absl::AsciiStrToLower(item));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "MESSENGER_CORS_ORIGINS: '", item, "' is not an origin like https://app.example.com"));
    }
  }
  return policy;
}

bool CorsPolicy::Applies(std::string_view path) {
  return path.starts_with("/v1/") || path == "/v1" || path.starts_with("/_matrix/");
}

bool CorsPolicy::Allows(std::string_view origin) const {
  if (origin.empty()) return false;
  if (any_) return true;
  return origins_.contains(absl::AsciiStrToLower(absl::string_view(origin.data(), origin.size())));
}

bool CorsPolicy::IsPreflight(const http::Request& request) {
  return request.method == "OPTIONS" && !request.Header("origin").empty() &&
         !request.Header("access-control-request-method").empty();
}

http::Response CorsPolicy::Preflight(const http::Request& request,
                                     const std::vector<std::string>& methods) const {
  const std::string_view origin = request.Header("origin");
  if (!Allows(origin)) {
    return http::Response::Error(403, absl::StatusCode::kPermissionDenied,
                                 "this origin may not call the API");
  }
  http::Response response = http::Response::Empty(204);
  SetAllowOrigin(origin, any_, response);
  response.SetHeader("Access-Control-Allow-Methods", absl::StrJoin(methods, ", "));
  response.SetHeader("Access-Control-Allow-Headers", kAllowHeaders);
  response.SetHeader("Access-Control-Max-Age", kMaxAgeSeconds);
  return response;
}

void CorsPolicy::Decorate(std::string_view origin, http::Response& response) const {
  if (!Allows(origin)) return;
  SetAllowOrigin(origin, any_, response);
  response.SetHeader("Access-Control-Expose-Headers", kExposeHeaders);
}

}  // namespace messenger::gateway
