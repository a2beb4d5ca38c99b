// gRPC adapter of federation (FederationService): converts messages and runs
// the calls that may wait on other servers or the database on the work pool.
#pragma once

#include "common/grpc/work_pool.h"
#include "messaging-service/src/federation/federation.h"
#include "messenger/federation/v1/federation.grpc.pb.h"

namespace messenger::messaging {

// A request as the gateway forwarded it.
inline federation::InboundRequest FromProto(const federation::v1::InboundRequest& in) {
  return {in.method(), in.uri(), {in.authorization().begin(), in.authorization().end()}, in.body()};
}

class FederationGrpcService final : public federation::v1::FederationService::CallbackService {
 public:
  FederationGrpcService(federation::Federation& federation, grpcx::WorkPool& pool)
      : federation_(federation), pool_(pool) {}

  grpc::ServerUnaryReactor* GetServerKeys(grpc::CallbackServerContext* context,
                                          const federation::v1::GetServerKeysRequest* request,
                                          federation::v1::JsonDocument* response) override;
  grpc::ServerUnaryReactor* QueryServerKeys(grpc::CallbackServerContext* context,
                                            const federation::v1::JsonDocument* request,
                                            federation::v1::JsonDocument* response) override;
  grpc::ServerUnaryReactor* AuthenticateRequest(
      grpc::CallbackServerContext* context, const federation::v1::InboundRequest* request,
      federation::v1::AuthenticateResponse* response) override;
  grpc::ServerUnaryReactor* QueryLocalUser(
      grpc::CallbackServerContext* context, const federation::v1::QueryLocalUserRequest* request,
      federation::v1::QueryLocalUserResponse* response) override;
  grpc::ServerUnaryReactor* QueryRemoteProfile(
      grpc::CallbackServerContext* context,
      const federation::v1::QueryRemoteProfileRequest* request,
      federation::v1::JsonDocument* response) override;

 private:
  federation::Federation& federation_;
  grpcx::WorkPool& pool_;
};

}  // namespace messenger::messaging
