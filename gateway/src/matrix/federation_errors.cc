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

}  // namespace messenger::gateway
