// The relations' RPCs of MessagingGrpcService (edits, deletes, reactions).
#include "common/status.h"
#include "common/time_util.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"

namespace messenger::messaging {

grpc::ServerUnaryReactor* MessagingGrpcService::EditMessage(grpc::CallbackServerContext* context,
                                                            const v1::EditMessageRequest* request,
                                                            v1::EditMessageResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(EditedMessage edited,
                     relations_.Edit(request->user_id(), request->message_id(), request->text()));
    response->set_message_id(edited.message_id);
    response->set_edit_id(edited.edit_id);
    messenger::ToProto(absl::FromUnixMillis(edited.edited_at_ms), response->mutable_edited_at());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::DeleteMessage(
    grpc::CallbackServerContext* context, const v1::DeleteMessageRequest* request,
    v1::DeleteMessageResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return relations_.Delete(request->user_id(), request->message_id());
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::AddReaction(grpc::CallbackServerContext* context,
                                                            const v1::ReactionRequest* request,
                                                            v1::ReactionResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return relations_.React(request->user_id(), request->message_id(), request->key());
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::RemoveReaction(grpc::CallbackServerContext* context,
                                                               const v1::ReactionRequest* request,
                                                               v1::ReactionResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return relations_.Unreact(request->user_id(), request->message_id(), request->key());
  });
}

}  // namespace messenger::messaging
