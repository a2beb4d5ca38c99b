// Devices: the caller's sessions seen as Matrix devices. Deleting one revokes
// its session (after the m.login.password stage).
#include <algorithm>

#include "common/status.h"
#include "common/time_util.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

using session::v1::SessionService;

// Devices named in one delete_devices call (a bound on the revocations one
// request makes).
constexpr size_t kMaxDevicesPerDelete = 100;

absl::StatusOr<std::vector<session::v1::Session>> Sessions(Gateway& gw, const ClientUser& me) {
  session::v1::ListSessionsRequest request;
  request.set_user_id(me.session.user_id);
  session::v1::ListSessionsResponse response;
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().session, &SessionService::Stub::ListSessions, request, &response));
  return std::vector<session::v1::Session>(response.sessions().begin(), response.sessions().end());
}

absl::StatusOr<session::v1::Session> FindDevice(Gateway& gw, const ClientUser& me,
                                                const std::string& device_id) {
  ASSIGN_OR_RETURN(std::vector<session::v1::Session> sessions, Sessions(gw, me));
  for (session::v1::Session& s : sessions) {
    if (s.device_id() == device_id) return std::move(s);
  }
  return MatrixError(kNotFound, "no such device");
}

nlohmann::json DeviceJson(const session::v1::Session& s) {
  // Addresses are not recorded per session; the key stays because clients
  // of the r0 era (matrix-nio) require it.
  return {{"device_id", s.device_id()},
          {"display_name", s.device_name()},
          {"last_seen_ip", ""},
          {"last_seen_ts", absl::ToUnixMillis(FromProto(s.last_seen_at()))}};
}

// Revokes the sessions of `device_ids` that exist (unknown ones are skipped,
// as the spec's delete_devices does).
absl::Status RevokeDevices(Gateway& gw, const ClientUser& me,
                           const std::vector<std::string>& device_ids) {
  ASSIGN_OR_RETURN(std::vector<session::v1::Session> sessions, Sessions(gw, me));
  for (const session::v1::Session& s : sessions) {
    if (std::find(device_ids.begin(), device_ids.end(), s.device_id()) == device_ids.end()) {
      continue;
    }
    session::v1::RevokeSessionRequest request;
    request.set_session_id(s.session_id());
    request.set_user_id(me.session.user_id);
    request.set_reason(session::v1::REVOKE_REASON_REVOKED);
    session::v1::RevokeSessionResponse response;
    absl::Status revoked =
        gw.Call(*gw.stubs().session, &SessionService::Stub::RevokeSession, request, &response);
    // Gone meanwhile (another logout): what was asked holds.
    if (!revoked.ok() && revoked.code() != absl::StatusCode::kNotFound) return revoked;
    gw.bearer_auth().InvalidateSession(s.session_id());
  }
  return absl::OkStatus();
}

absl::StatusOr<http::Response> DeleteDevices(ClientApi& api, ClientRequest& c,
                                             std::vector<std::string> device_ids) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::optional<http::Response> challenge,
                   PasswordStage(api, c.me(), body, std::nullopt));
  if (challenge.has_value()) return std::move(*challenge);
  RETURN_IF_ERROR(RevokeDevices(api.gateway(), c.me(), device_ids));
  return http::Response::Json(200, nlohmann::json::object());
}

}  // namespace

void AddDeviceRoutes(ClientApi& api) {
  Gateway& gw = api.gateway();
  api.Route("GET", "/devices", Access::kUser, Versions::kV3AndR0,
            [&gw](ClientRequest& c) -> absl::StatusOr<http::Response> {
              ASSIGN_OR_RETURN(std::vector<session::v1::Session> sessions, Sessions(gw, c.me()));
              nlohmann::json devices = nlohmann::json::array();
              for (const auto& s : sessions) devices.push_back(DeviceJson(s));
              return http::Response::Json(200, {{"devices", devices}});
            });
  api.Route("GET", "/devices/{device_id}", Access::kUser, Versions::kV3AndR0,
            [&gw](ClientRequest& c) -> absl::StatusOr<http::Response> {
              ASSIGN_OR_RETURN(session::v1::Session s,
                               FindDevice(gw, c.me(), c.params["device_id"]));
              return http::Response::Json(200, DeviceJson(s));
            });
  api.Route("PUT", "/devices/{device_id}", Access::kUser, Versions::kV3AndR0,
            [&gw](ClientRequest& c) -> absl::StatusOr<http::Response> {
              ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
              ASSIGN_OR_RETURN(std::optional<std::string> name,
                               body.OptionalString("display_name"));
              ASSIGN_OR_RETURN(session::v1::Session s,
                               FindDevice(gw, c.me(), c.params["device_id"]));
              if (name.has_value()) {
                session::v1::RenameSessionRequest request;
                request.set_session_id(s.session_id());
                request.set_user_id(c.me().session.user_id);
                request.set_device_name(*name);
                session::v1::RenameSessionResponse response;
                RETURN_IF_ERROR(gw.Call(*gw.stubs().session, &SessionService::Stub::RenameSession,
                                        request, &response));
              }
              return http::Response::Json(200, nlohmann::json::object());
            });
  api.Route("DELETE", "/devices/{device_id}", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) {
              return DeleteDevices(api, c, {c.params["device_id"]});
            });
  api.Route("POST", "/delete_devices", Access::kUser, Versions::kV3AndR0,
            [&api](ClientRequest& c) -> absl::StatusOr<http::Response> {
              ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
              auto it = body.json().find("devices");
              if (it == body.json().end()) return MatrixError(kMissingParam, "'devices' is required");
              if (!it->is_array() || it->size() > kMaxDevicesPerDelete) {
                return MatrixError(kBadJson, "'devices' must be an array of at most 100 ids");
              }
              std::vector<std::string> ids;
              for (const auto& id : *it) {
                if (!id.is_string()) return MatrixError(kBadJson, "'devices' holds device ids");
                ids.push_back(id.get<std::string>());
              }
              return DeleteDevices(api, c, std::move(ids));
            });
}

}  // namespace messenger::gateway::matrix
