// Joining a room this server does not know (fedjoin): forwarded to
// messaging's FederationRoomService::JoinRemoteRoom with the servers to ask,
// the ?server_name= values then the room id's domain. Declining an invite
// into one (fedinvite): DeclineRemoteInvite; inviting a user of another
// server: InviteRemoteUser.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_json.h"
#include "gateway/src/params.h"

namespace messenger::gateway::matrix {

constexpr size_t kMaxServerNames = 5;

namespace {

federation::v1::JoinRemoteRoomRequest RemoteRoomRequest(ClientRequest& c,
                                                        const std::string& room_id) {
  federation::v1::JoinRemoteRoomRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_matrix_user_id(c.me().user_id);
  request.set_room_id(room_id);
  return request;
}

}  // namespace

absl::StatusOr<http::Response> JoinUnknownRoom(ClientApi& api, ClientRequest& c,
                                               const std::string& room_id,
                                               absl::StatusOr<http::Response> local,
                                               const std::vector<std::string>& alias_servers) {
  if (local.ok() || !absl::IsNotFound(local.status())) return local;
  federation::v1::JoinRemoteRoomRequest request = RemoteRoomRequest(c, room_id);
  ASSIGN_OR_RETURN(std::vector<std::string> servers,
                   RepeatedQueryParam(c.http.query, "server_name", kMaxServerNames));
  for (std::string& s : servers) request.add_servers(std::move(s));
  for (const std::string& s : alias_servers) {
    if (s != api.config().server_name) request.add_servers(s);
  }
  if (const size_t colon = room_id.find(':'); colon != std::string::npos) {
    request.add_servers(room_id.substr(colon + 1));
  }
  federation::v1::JoinRemoteRoomResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().federation_rooms,
                          &federation::v1::FederationRoomService::Stub::JoinRemoteRoom, request,
                          &response));
  return http::Response::Json(200, {{"room_id", response.room_id()}});
}

absl::StatusOr<http::Response> DeclineUnknownRoom(ClientApi& api, ClientRequest& c,
                                                  const std::string& room_id,
                                                  absl::StatusOr<http::Response> local) {
  if (local.ok() || !absl::IsNotFound(local.status())) return local;
  const federation::v1::JoinRemoteRoomRequest request = RemoteRoomRequest(c, room_id);
  federation::v1::JoinRemoteRoomResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().federation_rooms,
                          &federation::v1::FederationRoomService::Stub::DeclineRemoteInvite,
                          request, &response));
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<std::optional<http::Response>> InviteRemoteUser(ClientApi& api, ClientRequest& c,
                                                               const std::string& room_id) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  ASSIGN_OR_RETURN(std::string invitee, body.RequiredString("user_id"));
  const size_t colon = invitee.find(':');
  if (colon == std::string::npos || invitee.substr(colon + 1) == api.config().server_name) {
    return std::optional<http::Response>();  // a local user (or none): the local invite answers
  }
  federation::v1::InviteRemoteUserRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_matrix_user_id(c.me().user_id);
  request.set_room_id(room_id);
  request.set_invitee(invitee);
  ASSIGN_OR_RETURN(std::optional<std::string> reason, body.OptionalString("reason"));
  if (reason) request.set_reason(*reason);
  federation::v1::JoinRemoteRoomResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(gw.Call(*gw.stubs().federation_rooms,
                          &federation::v1::FederationRoomService::Stub::InviteRemoteUser, request,
                          &response));
  return std::optional<http::Response>(http::Response::Json(200, nlohmann::json::object()));
}

}  // namespace messenger::gateway::matrix
