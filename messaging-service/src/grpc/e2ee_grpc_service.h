// gRPC adapter of the end-to-end encryption relay (E2eeService): converts
// messages and runs the calls on the work pool. Not forwarded between
// replicas: no room is written, and every replica reads the same tables.
#pragma once

#include "common/grpc/work_pool.h"
#include "messaging-service/src/service/e2ee_manager.h"
#include "messenger/e2ee/v1/e2ee.grpc.pb.h"

namespace messenger::messaging {

class E2eeGrpcService final : public e2ee::v1::E2eeService::CallbackService {
 public:
  E2eeGrpcService(E2eeManager& manager, grpcx::WorkPool& pool) : manager_(manager), pool_(pool) {}

  grpc::ServerUnaryReactor* UploadKeys(grpc::CallbackServerContext* context,
                                       const e2ee::v1::KeysRequest* request,
                                       e2ee::v1::KeysResponse* response) override;
  grpc::ServerUnaryReactor* QueryKeys(grpc::CallbackServerContext* context,
                                      const e2ee::v1::KeysRequest* request,
                                      e2ee::v1::KeysResponse* response) override;
  grpc::ServerUnaryReactor* ClaimKeys(grpc::CallbackServerContext* context,
                                      const e2ee::v1::KeysRequest* request,
                                      e2ee::v1::KeysResponse* response) override;
  grpc::ServerUnaryReactor* KeyChanges(grpc::CallbackServerContext* context,
                                       const e2ee::v1::KeyChangesRequest* request,
                                       e2ee::v1::KeyChangesResponse* response) override;
  grpc::ServerUnaryReactor* SendToDevice(grpc::CallbackServerContext* context,
                                         const e2ee::v1::SendToDeviceRequest* request,
                                         e2ee::v1::SendToDeviceResponse* response) override;
  grpc::ServerUnaryReactor* UploadSigningKeys(grpc::CallbackServerContext* context,
                                              const e2ee::v1::SigningKeysRequest* request,
                                              e2ee::v1::SigningKeysResponse* response) override;
  grpc::ServerUnaryReactor* UploadSignatures(grpc::CallbackServerContext* context,
                                             const e2ee::v1::KeysRequest* request,
                                             e2ee::v1::KeysResponse* response) override;

 private:
  using KeysCall = absl::StatusOr<std::string> (E2eeManager::*)(const E2eeCaller&,
                                                                std::string_view);
  grpc::ServerUnaryReactor* Keys(grpc::CallbackServerContext* context,
                                 const e2ee::v1::KeysRequest* request,
                                 e2ee::v1::KeysResponse* response, KeysCall call);

  E2eeManager& manager_;
  grpcx::WorkPool& pool_;
};

}  // namespace messenger::messaging
