// gRPC adapter of the outgoing join (fedjoin): a local user joins a room of
// another server, or declines an invite into one (fedinvite).
#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "messaging-service/src/grpc/federation_rooms_grpc.h"

namespace messenger::messaging {

grpc::ServerUnaryReactor* FederationRoomGrpcService::JoinRemoteRoom(
    grpc::CallbackServerContext* context, const federation::v1::JoinRemoteRoomRequest* request,
    federation::v1::JoinRemoteRoomResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(
        *response->mutable_room_id(),
        join_.Join({.user_id = request->user_id(),
                    .matrix_user_id = request->matrix_user_id(),
                    .room_id = request->room_id(),
                    .servers = {request->servers().begin(), request->servers().end()}}));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* FederationRoomGrpcService::DeclineRemoteInvite(
    grpc::CallbackServerContext* context, const federation::v1::JoinRemoteRoomRequest* request,
    federation::v1::JoinRemoteRoomResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    RETURN_IF_ERROR(join_.Decline({.user_id = request->user_id(),
                                   .matrix_user_id = request->matrix_user_id(),
                                   .room_id = request->room_id()}));
    response->set_room_id(request->room_id());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* FederationRoomGrpcService::InviteRemoteUser(
    grpc::CallbackServerContext* context, const federation::v1::InviteRemoteUserRequest* request,
    federation::v1::JoinRemoteRoomResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    std::optional<std::string> reason;
    if (!request->reason().empty()) reason = request->reason();
    RETURN_IF_ERROR(join_.Invite({.user_id = request->user_id(),
                                  .matrix_user_id = request->matrix_user_id(),
                                  .room_id = request->room_id(),
                                  .invitee = request->invitee(),
                                  .reason = reason}));
    response->set_room_id(request->room_id());
    return absl::OkStatus();
  });
}

}  // namespace messenger::messaging
