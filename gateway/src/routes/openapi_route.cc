#include "gateway/src/routes/openapi_route.h"

#include "gateway/src/gateway.h"

namespace messenger::gateway {

void AddOpenApiRoute(Gateway& gw) {
  gw.Route("GET", "/v1/openapi.json", false, [](RouteContext&) -> absl::StatusOr<http::Response> {
    http::Response r;
    r.status = 200;
    r.body = std::string(kOpenApiJson);
    r.headers.emplace_back("Content-Type", "application/json");
    return r;
  });
}

}  // namespace messenger::gateway
