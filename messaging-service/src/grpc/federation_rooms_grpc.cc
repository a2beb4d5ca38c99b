#include "messaging-service/src/grpc/federation_rooms_grpc.h"

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/grpc/federation_grpc_service.h"

namespace messenger::messaging {
namespace {

federation::RoomRoute RouteFromProto(const federation::v1::FederationRoomRequest& in) {
  return {.room_id = in.room_id(),
          .event_id = in.event_id(),
          .user_id = in.user_id(),
          .txn_id = in.txn_id(),
          .at_event_id = in.at_event_id(),
          .backfill_from = {in.backfill_from().begin(), in.backfill_from().end()},
          .limit = in.limit(),
          .room_versions = {in.room_versions().begin(), in.room_versions().end()}};
}

}  // namespace

grpc::ServerUnaryReactor* FederationRoomGrpcService::Run(grpc::CallbackServerContext* context,
                                                         const Request* request, Response* response,
                                                         Call call) {
  return grpcx::RunBlocking(context, pool_, [this, request, response, call]() -> absl::Status {
    ASSIGN_OR_RETURN(nlohmann::json answer,
                     (rooms_.*call)(FromProto(request->request()), RouteFromProto(*request)));
    ASSIGN_OR_RETURN(*response->mutable_json(), matrix::CanonicalJson(answer));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* FederationRoomGrpcService::GetEvent(grpc::CallbackServerContext* c,
                                                              const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::GetEvent);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::GetState(grpc::CallbackServerContext* c,
                                                              const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::GetState);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::GetStateIds(grpc::CallbackServerContext* c,
                                                                 const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::GetStateIds);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::Backfill(grpc::CallbackServerContext* c,
                                                              const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::Backfill);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::GetMissingEvents(
    grpc::CallbackServerContext* c, const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::GetMissingEvents);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::MakeJoin(grpc::CallbackServerContext* c,
                                                              const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::MakeJoin);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::SendJoin(grpc::CallbackServerContext* c,
                                                              const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::SendJoin);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::MakeLeave(grpc::CallbackServerContext* c,
                                                               const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::MakeLeave);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::SendLeave(grpc::CallbackServerContext* c,
                                                               const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::SendLeave);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::Invite(grpc::CallbackServerContext* c,
                                                            const Request* q, Response* r) {
  return Run(c, q, r, &federation::FederationRooms::Invite);
}
grpc::ServerUnaryReactor* FederationRoomGrpcService::SendTransaction(grpc::CallbackServerContext* c,
                                                                     const Request* q,
                                                                     Response* r) {
  return Run(c, q, r, &federation::FederationRooms::SendTransaction);
}

}  // namespace messenger::messaging
