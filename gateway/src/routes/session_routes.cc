// /v1/sessions: the caller's devices.
#include "common/status.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {

void AddSessionRoutes(Gateway& gw) {
  gw.Route("GET", "/v1/sessions", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    session::v1::ListSessionsRequest request;
    request.set_user_id(c.user_id());
    session::v1::ListSessionsResponse response;
    RETURN_IF_ERROR(gw.Call(*gw.stubs().session, &session::v1::SessionService::Stub::ListSessions,
                            request, &response));
    nlohmann::json sessions = nlohmann::json::array();
    for (const auto& s : response.sessions()) {
      sessions.push_back({{"session_id", s.session_id()},
                          {"device_id", s.device_id()},
                          {"device_name", s.device_name()},
                          {"created_at", Rfc3339(s.created_at())},
                          {"last_seen_at", Rfc3339(s.last_seen_at())},
                          {"current", s.session_id() == c.principal->session_id}});
    }
    return http::Response::Json(200, {{"sessions", sessions}});
  });

  gw.Route("DELETE", "/v1/sessions/{session_id:uuid}", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             session::v1::RevokeSessionRequest request;
             request.set_session_id(c.params["session_id"]);
             request.set_user_id(c.user_id());
             request.set_reason(session::v1::REVOKE_REASON_REVOKED);
             session::v1::RevokeSessionResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().session,
                                     &session::v1::SessionService::Stub::RevokeSession, request,
                                     &response));
             gw.bearer_auth().InvalidateSession(request.session_id());
             return http::Response::Empty(204);
           });
}

}  // namespace messenger::gateway
