#include "messaging-service/src/grpc/e2ee_grpc_service.h"

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix_sync_token.h"
#include "messaging-service/src/service/e2ee_sync_sections.h"

namespace messenger::messaging {
namespace {

E2eeCaller CallerOf(const e2ee::v1::Caller& c) {
  return {c.user_id(), c.matrix_user_id(), c.device_id(), c.session_id()};
}

absl::Status CheckCaller(const e2ee::v1::Caller& c) {
  if (c.user_id().empty() || c.matrix_user_id().empty() || c.device_id().empty()) {
    return absl::InvalidArgumentError("the caller's user, Matrix id and device are required");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* E2eeGrpcService::Keys(grpc::CallbackServerContext* context,
                                                const e2ee::v1::KeysRequest* request,
                                                e2ee::v1::KeysResponse* response, KeysCall call) {
  return grpcx::RunBlocking(context, pool_, [this, request, response, call]() -> absl::Status {
    RETURN_IF_ERROR(CheckCaller(request->caller()));
    ASSIGN_OR_RETURN(*response->mutable_json(),
                     (manager_.*call)(CallerOf(request->caller()), request->json()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* E2eeGrpcService::UploadKeys(grpc::CallbackServerContext* context,
                                                      const e2ee::v1::KeysRequest* request,
                                                      e2ee::v1::KeysResponse* response) {
  return Keys(context, request, response, &E2eeManager::UploadKeys);
}

grpc::ServerUnaryReactor* E2eeGrpcService::QueryKeys(grpc::CallbackServerContext* context,
                                                     const e2ee::v1::KeysRequest* request,
                                                     e2ee::v1::KeysResponse* response) {
  return Keys(context, request, response, &E2eeManager::QueryKeys);
}

grpc::ServerUnaryReactor* E2eeGrpcService::ClaimKeys(grpc::CallbackServerContext* context,
                                                     const e2ee::v1::KeysRequest* request,
                                                     e2ee::v1::KeysResponse* response) {
  return Keys(context, request, response, &E2eeManager::ClaimKeys);
}

grpc::ServerUnaryReactor* E2eeGrpcService::UploadSignatures(grpc::CallbackServerContext* context,
                                                            const e2ee::v1::KeysRequest* request,
                                                            e2ee::v1::KeysResponse* response) {
  return Keys(context, request, response, &E2eeManager::UploadSignatures);
}

grpc::ServerUnaryReactor* E2eeGrpcService::UploadSigningKeys(
    grpc::CallbackServerContext* context, const e2ee::v1::SigningKeysRequest* request,
    e2ee::v1::SigningKeysResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    RETURN_IF_ERROR(CheckCaller(request->caller()));
    ASSIGN_OR_RETURN(bool stored,
                     manager_.UploadSigningKeys(CallerOf(request->caller()), request->json(),
                                                request->password_confirmed()));
    response->set_auth_required(!stored);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* E2eeGrpcService::KeyChanges(grpc::CallbackServerContext* context,
                                                      const e2ee::v1::KeyChangesRequest* request,
                                                      e2ee::v1::KeyChangesResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    RETURN_IF_ERROR(CheckCaller(request->caller()));
    int64_t from = request->from();
    if (!request->from_token().empty()) {
      ASSIGN_OR_RETURN(from, SectionCursor(request->from_token(), kDeviceListsSection));
      RETURN_IF_ERROR(SectionCursor(request->to_token(), kDeviceListsSection).status());
    }
    if (from < 0 || request->to() < 0) {
      return absl::InvalidArgumentError("from and to are device-list positions");
    }
    ASSIGN_OR_RETURN(messaging::KeyChanges changes,
                     manager_.Changes(CallerOf(request->caller()), from));
    for (auto& user : changes.changed) response->add_changed(std::move(user));
    for (auto& user : changes.left) response->add_left(std::move(user));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* E2eeGrpcService::SendToDevice(
    grpc::CallbackServerContext* context, const e2ee::v1::SendToDeviceRequest* request,
    e2ee::v1::SendToDeviceResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    RETURN_IF_ERROR(CheckCaller(request->caller()));
    if (request->event_type().empty() || request->txn_id().empty()) {
      return absl::InvalidArgumentError("the event type and transaction id are required");
    }
    return manager_.SendToDevice(CallerOf(request->caller()), request->event_type(),
                                 request->txn_id(), request->json());
  });
}

}  // namespace messenger::messaging
