// Errors of /_matrix/key/ and /_matrix/federation/ routes: the one Matrix
// mapping (matrix_errors.h), except that an unauthenticated request is
// M_UNAUTHORIZED (a bad or missing X-Matrix signature), not a token error.
#pragma once

#include "gateway/src/gateway.h"

namespace messenger::gateway {

// `handler` with its UNAUTHENTICATED errors turned into M_UNAUTHORIZED; the
// gateway answers every /_matrix/ error with matrix::MatrixErrorResponse.
RouteHandler FederationRoute(RouteHandler handler);

}  // namespace messenger::gateway
