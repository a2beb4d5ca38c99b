#include "gateway/src/matrix/federation_errors.h"

#include <string>

#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway {

RouteHandler FederationRoute(RouteHandler handler) {
  return [handler = std::move(handler)](RouteContext& c) -> absl::StatusOr<http::Response> {
    absl::StatusOr<http::Response> response = handler(c);
    if (response.ok() || response.status().code() != absl::StatusCode::kUnauthenticated) {
      return response;
    }
    return matrix::MatrixError(matrix::kUnauthorized, std::string(response.status().message()));
  };
}

void FillInbound(const http::Request& request, federation::v1::InboundRequest* out) {
  out->set_method(request.method);
  out->set_uri(request.query.empty() ? request.path : request.path + "?" + request.query);
  for (const auto& [name, value] : request.headers) {
    if (name == "authorization") out->add_authorization(value);
  }
  out->set_body(request.body);
}

http::Response JsonText(std::string text) {
  http::Response r;
  r.status = 200;
  r.body = std::move(text);
  r.SetHeader("Content-Type", "application/json");
  return r;
}

}  // namespace messenger::gateway
