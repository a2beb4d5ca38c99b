// Joining a room this server does not know (fedjoin): forwarded to
// messaging's FederationRoomService::JoinRemoteRoom with the servers to ask,
// the ?server_name= values then the room id's domain.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/params.h"

namespace messenger::gateway::matrix {

constexpr size_t kMaxServerNames = 5;

absl::StatusOr<http::Response> JoinUnknownRoom(ClientApi& api, ClientRequest& c,
                                               const std::string& room_id,
                                               absl::StatusOr<http::Response> local) {
  if (local.ok() || !absl::IsNotFound(local.status())) return local;
  federation::v1::JoinRemoteRoomRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_matrix_user_id(c.me().user_id);
  request.set_room_id(room_id);
  ASSIGN_OR_RETURN(std::vector<std::string> servers,
                   RepeatedQueryParam(c.http.query, "server_name", kMaxServerNames));
  for (std::string& s : servers) request.add_servers(std::move(s));
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

}  // namespace messenger::gateway::matrix
