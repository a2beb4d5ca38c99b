#include "messaging-service/src/grpc/federation_grpc_service.h"

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "common/status_mapping.h"

namespace messenger::messaging {
grpc::ServerUnaryReactor* FederationGrpcService::GetServerKeys(
    grpc::CallbackServerContext* context, const federation::v1::GetServerKeysRequest*,
    federation::v1::JsonDocument* response) {
  // Signing only, no IO: answered at once (a peer checking our request asks
  // for this while our own pool may be waiting on that peer).
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> document = federation_.ServerKeys();
  if (document.ok()) response->set_json(std::move(*document));
  reactor->Finish(ToGrpcStatus(document.status()));
  return reactor;
}

grpc::ServerUnaryReactor* FederationGrpcService::QueryServerKeys(
    grpc::CallbackServerContext* context, const federation::v1::JsonDocument* request,
    federation::v1::JsonDocument* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_json(), federation_.QueryKeys(request->json()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* FederationGrpcService::AuthenticateRequest(
    grpc::CallbackServerContext* context, const federation::v1::InboundRequest* request,
    federation::v1::AuthenticateResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_origin(), federation_.Authenticate(FromProto(*request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* FederationGrpcService::QueryLocalUser(
    grpc::CallbackServerContext* context, const federation::v1::QueryLocalUserRequest* request,
    federation::v1::QueryLocalUserResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(federation::LocalUser user,
                     federation_.QueryLocalUser(FromProto(request->request()), request->user_id()));
    response->set_origin(user.origin);
    response->set_local_user_id(user.user_id);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* FederationGrpcService::QueryRemoteProfile(
    grpc::CallbackServerContext* context, const federation::v1::QueryRemoteProfileRequest* request,
    federation::v1::JsonDocument* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_json(),
                     federation_.QueryRemoteProfile(request->user_id(), request->field()));
    return absl::OkStatus();
  });
}

}  // namespace messenger::messaging
