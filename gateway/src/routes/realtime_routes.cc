// /v1/ws (the sync feed over a WebSocket) and /v1/ws/ticket (what a browser
// opens it with).
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/realtime/realtime_stream.h"

namespace messenger::gateway {

void AddRealtimeRoutes(Gateway& gw) {
  gw.Route("POST", "/v1/ws/ticket", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    return http::Response::Json(
        200, {{"ticket", gw.ws_tickets().Issue(*c.principal)},
              {"expires_in_ms", absl::ToInt64Milliseconds(gw.ws_tickets().ttl())}});
  });

  // Authenticated here, not by the route table: by ?ticket=, by an
  // Authorization header (non-browser clients), or by the first frame.
  gw.Route("GET", "/v1/ws", false, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    if (!c.request.websocket_upgrade) {
      return http::Response::Error(426, absl::StatusCode::kFailedPrecondition,
                                   "GET /v1/ws wants a WebSocket handshake");
    }
    // Browsers do not apply CORS to WebSockets: refuse foreign pages here.
    const std::string_view origin = c.request.Header("origin");
    if (!origin.empty() && !gw.cors().Allows(origin)) {
      const std::string host(c.request.Header("host"));
      const bool same_origin = origin == "http://" + host || origin == "https://" + host;
      if (!same_origin) return absl::PermissionDeniedError("this origin may not open /v1/ws");
    }
    ASSIGN_OR_RETURN(std::string since, c.query.SyncToken("since"));
    std::optional<Principal> principal;
    if (std::optional<std::string_view> ticket = c.query.Get("ticket")) {
      ASSIGN_OR_RETURN(principal, gw.ws_tickets().Redeem(*ticket));
    } else if (!c.request.Header("authorization").empty()) {
      ASSIGN_OR_RETURN(principal, gw.bearer_auth().Authenticate(c.request.Header("authorization")));
    }
    auto stream = std::make_shared<RealtimeStream>(gw, std::move(principal), std::move(since));
    return http::Response::AcceptWebSocket(stream->Callbacks());
  });
}

}  // namespace messenger::gateway
