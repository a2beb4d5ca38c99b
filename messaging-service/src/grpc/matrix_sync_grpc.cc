// The Matrix sync RPCs of the messaging gRPC adapter (mxsync).
#include "common/status.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"

namespace messenger::messaging {
namespace {

// Moves: a sync answer carries megabytes of PDU text, and every result
// here is the handler's own.
void ToProto(SyncedEvent& e, v1::MatrixEvent* out) {
  out->set_event_id(std::move(e.event_id));
  out->set_pdu(std::move(e.pdu));
  out->set_transaction_id(std::move(e.transaction_id));
}

template <typename List>
void AddAll(std::vector<SyncedEvent>& events, List* out) {
  out->Reserve(out->size() + static_cast<int>(events.size()));
  for (SyncedEvent& e : events) ToProto(e, out->Add());
}

absl::Status NoSync() { return absl::UnimplementedError("Matrix sync is not served here"); }

}  // namespace

grpc::ServerUnaryReactor* MessagingGrpcService::MatrixSync(grpc::CallbackServerContext* context,
                                                           const v1::MatrixSyncRequest* request,
                                                           v1::MatrixSyncResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_sync_ == nullptr) return NoSync();
    MatrixSyncRequest in{request->user_id(), request->device_id(), request->since(),
                         request->filter(), request->full_state()};
    ASSIGN_OR_RETURN(MatrixSyncResult got, matrix_sync_->Sync(in));
    response->set_next_batch(got.next_batch);
    response->set_has_news(got.has_news);
    response->mutable_rooms()->Reserve(static_cast<int>(got.rooms.size()));
    for (MatrixSyncRoom& room : got.rooms) {
      v1::MatrixSyncRoom* out = response->add_rooms();
      out->set_room_id(room.room_id);
      out->set_membership(room.membership);
      AddAll(room.timeline, out->mutable_timeline());
      out->set_limited(room.limited);
      out->set_prev_batch(room.prev_batch);
      AddAll(room.state, out->mutable_state());
      out->set_ephemeral_json(room.ephemeral.dump());
      out->set_notification_count(room.counts.unread);
      out->set_summary(room.counts.summary);
      out->set_joined_count(room.counts.joined);
      out->set_invited_count(room.counts.invited);
      for (const auto& hero : room.hero_mxids) out->add_heroes(hero);
    }
    for (auto& json : got.section_json) response->add_sections_json(std::move(json));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::PutMatrixFilter(
    grpc::CallbackServerContext* context, const v1::PutMatrixFilterRequest* request,
    v1::PutMatrixFilterResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_sync_ == nullptr) return NoSync();
    ASSIGN_OR_RETURN(*response->mutable_filter_id(),
                     matrix_sync_->PutFilter(request->user_id(), request->filter_json()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::GetMatrixFilter(
    grpc::CallbackServerContext* context, const v1::GetMatrixFilterRequest* request,
    v1::GetMatrixFilterResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_sync_ == nullptr) return NoSync();
    ASSIGN_OR_RETURN(*response->mutable_filter_json(),
                     matrix_sync_->GetFilter(request->user_id(), request->filter_id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::MatrixMessages(
    grpc::CallbackServerContext* context, const v1::MatrixMessagesRequest* request,
    v1::MatrixMessagesResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_sync_ == nullptr) return NoSync();
    MatrixMessagesRequest in{request->user_id(),    request->room_id(), request->from(),
                             request->to(),         request->forward(), request->limit(),
                             request->filter_json()};
    ASSIGN_OR_RETURN(MatrixMessagesPage page, matrix_sync_->Messages(in));
    AddAll(page.chunk, response->mutable_chunk());
    response->set_start(page.start);
    if (page.end) response->set_end(*page.end);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::MatrixContext(
    grpc::CallbackServerContext* context, const v1::MatrixContextRequest* request,
    v1::MatrixContextResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_sync_ == nullptr) return NoSync();
    ASSIGN_OR_RETURN(
        messaging::MatrixContext got,
        matrix_sync_->Context(request->user_id(), request->room_id(), request->event_id(),
                              request->limit(), request->filter_json()));
    ToProto(got.event, response->mutable_event());
    AddAll(got.before, response->mutable_events_before());
    AddAll(got.after, response->mutable_events_after());
    response->set_start(got.start);
    response->set_end(got.end);
    AddAll(got.state, response->mutable_state());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::MatrixReceipt(
    grpc::CallbackServerContext* context, const v1::MatrixReceiptRequest* request,
    v1::MatrixReceiptResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (forwarder_.Forward(context, reactor, request->room_id(),
                         [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                                             std::function<void(grpc::Status)> done) {
                           stub.async()->MatrixReceipt(c, request, response, std::move(done));
                         })) {
    return reactor;
  }
  grpcx::FinishOnPool(context, reactor, pool_, [this, request]() -> absl::Status {
    if (matrix_sync_ == nullptr) return NoSync();
    ASSIGN_OR_RETURN(SyncedEvent target,
                     matrix_sync_->ReceiptTarget(request->user_id(), request->room_id(),
                                                 request->receipt_type(), request->event_id()));
    // Private receipts and the fully-read marker are accepted; only m.read
    // is shared (it is the /v1 seen).
    if (request->receipt_type() != "m.read") return absl::OkStatus();
    return messaging_.MarkSeen(request->user_id(), request->room_id(), target.seq);
  });
  return reactor;
}

}  // namespace messenger::messaging
