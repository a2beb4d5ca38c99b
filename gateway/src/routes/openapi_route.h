// GET /v1/openapi.json: the published OpenAPI document (api/openapi.yaml,
// embedded as JSON at build time). Public.
#pragma once

#include <string_view>

namespace messenger::gateway {

class Gateway;

// api/openapi.yaml as JSON (generated source).
extern const std::string_view kOpenApiJson;

void AddOpenApiRoute(Gateway& gateway);

}  // namespace messenger::gateway
