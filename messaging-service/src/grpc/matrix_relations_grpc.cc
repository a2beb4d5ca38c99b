// The Matrix /relations RPC of the messaging gRPC adapter (mxsync).
#include "common/status.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"

namespace messenger::messaging {

grpc::ServerUnaryReactor* MessagingGrpcService::MatrixRelations(
    grpc::CallbackServerContext* context, const v1::MatrixRelationsRequest* request,
    v1::MatrixRelationsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_sync_ == nullptr) return absl::UnimplementedError("Matrix sync is not served here");
    MatrixRelationsRequest in{request->user_id(),  request->room_id(),    request->event_id(),
                              request->rel_type(), request->event_type(), request->from(),
                              request->to(),       request->forward(),    request->limit()};
    ASSIGN_OR_RETURN(MatrixRelationsPage page, matrix_sync_->Relations(in));
    for (const SyncedEvent& e : page.chunk) {
      v1::MatrixEvent* out = response->add_chunk();
      out->set_event_id(e.event_id);
      out->set_pdu(e.pdu);
    }
    response->set_next_batch(page.next_batch);
    response->set_prev_batch(page.prev_batch);
    return absl::OkStatus();
  });
}

}  // namespace messenger::messaging
