// Errors of /_matrix/key/ and /_matrix/federation/ routes (the one Matrix
// mapping (matrix_errors.h), except that an unauthenticated request is
// M_UNAUTHORIZED (a bad or missing X-Matrix signature), not a token error)
// and what every federation route does with requests and answers.
#pragma once

#include "gateway/src/gateway.h"

namespace messenger::gateway {

// `handler` with its UNAUTHENTICATED errors turned into M_UNAUTHORIZED; the
// gateway answers every /_matrix/ error with matrix::MatrixErrorResponse.
RouteHandler FederationRoute(RouteHandler handler);

// The request as messaging's federation services check it (method, target,
// Authorization headers, body).
void FillInbound(const http::Request& request, federation::v1::InboundRequest* out);
// A 200 answer whose body is JSON text already.
http::Response JsonText(std::string text);

}  // namespace messenger::gateway
