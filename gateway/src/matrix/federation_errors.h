// Matrix error bodies ({"errcode", "error"}) for /_matrix/key/ and
// /_matrix/federation/ answers. Federation-local for now: the client API's
// errcode mapping (matrix_errors.h) is being built beside it; both should
// become one table.
#pragma once

#include "absl/status/status.h"
#include "common/http/http_server.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {

// The HTTP status of api.md's table with a Matrix errcode: M_UNAUTHORIZED
// (401), M_FORBIDDEN (403), M_NOT_FOUND (404), M_INVALID_PARAM (400),
// M_LIMIT_EXCEEDED (429, with retry_after_ms), M_UNKNOWN otherwise.
http::Response MatrixErrorResponse(const absl::Status& status);

// `handler` with its errors answered as Matrix error bodies.
RouteHandler MatrixRoute(RouteHandler handler);

}  // namespace messenger::gateway
