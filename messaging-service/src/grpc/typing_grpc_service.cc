// MessagingService's typing and per-message receipt calls. Neither is
// forwarded to the room's writer: typing is shared by every replica, and
// receipts are a read.
#include "common/status.h"
#include "common/time_util.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"
#include "messaging-service/src/service/message_receipts.h"

namespace messenger::messaging {

grpc::ServerUnaryReactor* MessagingGrpcService::SetTyping(grpc::CallbackServerContext* context,
                                                          const v1::SetTypingRequest* request,
                                                          v1::SetTypingResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    if (typing_ == nullptr) return absl::UnimplementedError("typing is not served here");
    return typing_->Set(request->user_id(), request->conversation_id(), request->typing(),
                        absl::Milliseconds(request->timeout_ms()));
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::GetMessageReceipts(
    grpc::CallbackServerContext* context, const v1::GetMessageReceiptsRequest* request,
    v1::GetMessageReceiptsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (store_ == nullptr) return absl::UnimplementedError("receipts are not served here");
    ASSIGN_OR_RETURN(std::vector<MessageReceipt> receipts,
                     MessageReceiptsFor(*store_, messaging_, request->user_id(),
                                        request->conversation_id(), request->message_id()));
    for (const MessageReceipt& r : receipts) {
      v1::MessageReceipt* out = response->add_receipts();
      out->set_user_id(r.user_id);
      out->set_seq(r.seq);
      messenger::ToProto(r.seen_at, out->mutable_seen_at());
    }
    return absl::OkStatus();
  });
}

}  // namespace messenger::messaging
