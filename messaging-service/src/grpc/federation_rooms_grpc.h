// gRPC adapter of the federation room routes (FederationRoomService): each
// call runs FederationRooms on the work pool (it may wait on other servers'
// keys and on the database) and answers its JSON as text.
#pragma once

#include "common/grpc/work_pool.h"
#include "messaging-service/src/federation/federation_e2ee.h"
#include "messaging-service/src/federation/federation_rooms.h"
#include "messaging-service/src/federation/outgoing_join.h"
#include "messenger/federation/v1/federation.grpc.pb.h"

namespace messenger::messaging {

class FederationRoomGrpcService final
    : public federation::v1::FederationRoomService::CallbackService {
 public:
  using Request = federation::v1::FederationRoomRequest;
  using Response = federation::v1::JsonDocument;

  FederationRoomGrpcService(federation::FederationRooms& rooms, federation::OutgoingJoin& join,
                            grpcx::WorkPool& pool)
      : rooms_(rooms), join_(join), pool_(pool) {}

  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* context, const Request* request,
                                     Response* response) override;
  grpc::ServerUnaryReactor* GetState(grpc::CallbackServerContext* context, const Request* request,
                                     Response* response) override;
  grpc::ServerUnaryReactor* GetStateIds(grpc::CallbackServerContext* context,
                                        const Request* request, Response* response) override;
  grpc::ServerUnaryReactor* Backfill(grpc::CallbackServerContext* context, const Request* request,
                                     Response* response) override;
  grpc::ServerUnaryReactor* GetMissingEvents(grpc::CallbackServerContext* context,
                                             const Request* request, Response* response) override;
  grpc::ServerUnaryReactor* MakeJoin(grpc::CallbackServerContext* context, const Request* request,
                                     Response* response) override;
  grpc::ServerUnaryReactor* SendJoin(grpc::CallbackServerContext* context, const Request* request,
                                     Response* response) override;
  grpc::ServerUnaryReactor* MakeLeave(grpc::CallbackServerContext* context, const Request* request,
                                      Response* response) override;
  grpc::ServerUnaryReactor* SendLeave(grpc::CallbackServerContext* context, const Request* request,
                                      Response* response) override;
  grpc::ServerUnaryReactor* Invite(grpc::CallbackServerContext* context, const Request* request,
                                   Response* response) override;
  grpc::ServerUnaryReactor* SendTransaction(grpc::CallbackServerContext* context,
                                            const Request* request, Response* response) override;
  // federation_join_grpc.cc (fedjoin).
  grpc::ServerUnaryReactor* JoinRemoteRoom(
      grpc::CallbackServerContext* context, const federation::v1::JoinRemoteRoomRequest* request,
      federation::v1::JoinRemoteRoomResponse* response) override;
  grpc::ServerUnaryReactor* DeclineRemoteInvite(
      grpc::CallbackServerContext* context, const federation::v1::JoinRemoteRoomRequest* request,
      federation::v1::JoinRemoteRoomResponse* response) override;
  grpc::ServerUnaryReactor* InviteRemoteUser(
      grpc::CallbackServerContext* context, const federation::v1::InviteRemoteUserRequest* request,
      federation::v1::JoinRemoteRoomResponse* response) override;
  // federation_e2ee_grpc.cc (fede2ee); UNIMPLEMENTED until SetE2ee.
  void SetE2ee(federation::FederationE2ee* e2ee) { e2ee_ = e2ee; }
  grpc::ServerUnaryReactor* QueryUserKeys(grpc::CallbackServerContext* context,
                                          const Request* request, Response* response) override;
  grpc::ServerUnaryReactor* ClaimUserKeys(grpc::CallbackServerContext* context,
                                          const Request* request, Response* response) override;
  grpc::ServerUnaryReactor* GetUserDevices(grpc::CallbackServerContext* context,
                                           const Request* request, Response* response) override;

 private:
  using Call = absl::StatusOr<nlohmann::json> (federation::FederationRooms::*)(
      const federation::InboundRequest&, const federation::RoomRoute&);
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, const Request* request,
                                Response* response, Call call);

  federation::FederationRooms& rooms_;
  federation::OutgoingJoin& join_;
  grpcx::WorkPool& pool_;
  federation::FederationE2ee* e2ee_ = nullptr;
};

}  // namespace messenger::messaging
