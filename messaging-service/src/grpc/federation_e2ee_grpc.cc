// gRPC adapter of the federation key routes (fede2ee): run on the work pool
// (they wait on the origin's keys and the database).
#include <functional>

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "messaging-service/src/grpc/federation_grpc_service.h"
#include "messaging-service/src/grpc/federation_rooms_grpc.h"

namespace messenger::messaging {
namespace {

using Answer = std::function<absl::StatusOr<std::string>(federation::FederationE2ee&)>;

grpc::ServerUnaryReactor* RunE2ee(grpc::CallbackServerContext* context, grpcx::WorkPool& pool,
                                  federation::FederationE2ee* e2ee,
                                  federation::v1::JsonDocument* response, Answer answer) {
  return grpcx::RunBlocking(context, pool, [e2ee, response, answer]() -> absl::Status {
    if (e2ee == nullptr) return absl::UnimplementedError("no end-to-end encryption here");
    ASSIGN_OR_RETURN(*response->mutable_json(), answer(*e2ee));
    return absl::OkStatus();
  });
}

}  // namespace

grpc::ServerUnaryReactor* FederationRoomGrpcService::QueryUserKeys(grpc::CallbackServerContext* c,
                                                                   const Request* q, Response* r) {
  return RunE2ee(c, pool_, e2ee_, r, [q](federation::FederationE2ee& e2ee) {
    return e2ee.QueryKeys(FromProto(q->request()));
  });
}

grpc::ServerUnaryReactor* FederationRoomGrpcService::ClaimUserKeys(grpc::CallbackServerContext* c,
                                                                   const Request* q, Response* r) {
  return RunE2ee(c, pool_, e2ee_, r, [q](federation::FederationE2ee& e2ee) {
    return e2ee.ClaimKeys(FromProto(q->request()));
  });
}

grpc::ServerUnaryReactor* FederationRoomGrpcService::GetUserDevices(grpc::CallbackServerContext* c,
                                                                    const Request* q,
                                                                    Response* r) {
  return RunE2ee(c, pool_, e2ee_, r, [q](federation::FederationE2ee& e2ee) {
    return e2ee.UserDevices(FromProto(q->request()), q->user_id());
  });
}

}  // namespace messenger::messaging
