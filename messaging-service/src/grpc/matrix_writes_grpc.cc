// MessagingService's Matrix client room writes. Run here, not forwarded (as
// the relations): the writer's row lock keeps a write from any replica right.
#include <memory>

#include "common/status.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"

namespace messenger::messaging {
namespace {

absl::Status NotAnObject() { return absl::InvalidArgumentError("the content is not a JSON object"); }

absl::StatusOr<nlohmann::json> Content(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) return NotAnObject();
  return json;
}

absl::Status NotServed() { return absl::UnimplementedError("Matrix room writes are not served"); }

}  // namespace

grpc::ServerUnaryReactor* MessagingGrpcService::SendMatrixEvent(
    grpc::CallbackServerContext* context, const v1::SendMatrixEventRequest* request,
    v1::SendMatrixEventResponse* response) {
  // Shared: the lambdas below are copied along the way.
  auto in = std::make_shared<const MatrixSendInput>(MatrixSendInput{
      request->user_id(), request->device_id(), request->room_id(), request->event_type(),
      request->txn_id(), nlohmann::json::parse(request->content_json(), nullptr, false)});
  auto send = [this, in, response](bool known_first) -> absl::Status {
    if (matrix_writes_ == nullptr) return NotServed();
    if (!in->content.is_object()) return NotAnObject();
    ASSIGN_OR_RETURN(std::string event_id, matrix_writes_->Send(*in, known_first));
    response->set_event_id(std::move(event_id));
    return absl::OkStatus();
  };
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // A message into a room known in memory: no thread waits for its commit,
  // the batcher's thread answers (as /v1's SendMessage does).
  if (matrix_writes_ != nullptr &&
      matrix_writes_->TrySendAsync(
          *in, [this, context, reactor, response, send](std::optional<std::string> event_id) {
            if (event_id) {
              response->set_event_id(std::move(*event_id));
              return reactor->Finish(grpc::Status::OK);
            }
            // Not written (a retry, a refusal, ...): the full path answers.
            grpcx::FinishOnPool(context, reactor, pool_, [send] { return send(false); });
          })) {
    return reactor;
  }
  grpcx::FinishOnPool(context, reactor, pool_, [send] { return send(true); });
  return reactor;
}

grpc::ServerUnaryReactor* MessagingGrpcService::PutMatrixState(
    grpc::CallbackServerContext* context, const v1::PutMatrixStateRequest* request,
    v1::SendMatrixEventResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_writes_ == nullptr) return NotServed();
    ASSIGN_OR_RETURN(nlohmann::json content, Content(request->content_json()));
    ASSIGN_OR_RETURN(std::string event_id,
                     matrix_writes_->PutState(request->user_id(), request->room_id(),
                                              request->event_type(), request->state_key(),
                                              content));
    response->set_event_id(std::move(event_id));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::RedactMatrixEvent(
    grpc::CallbackServerContext* context, const v1::RedactMatrixEventRequest* request,
    v1::SendMatrixEventResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_writes_ == nullptr) return NotServed();
    std::optional<std::string> reason;
    if (request->has_reason()) reason = request->reason();
    ASSIGN_OR_RETURN(std::string event_id,
                     matrix_writes_->Redact(request->user_id(), request->device_id(),
                                            request->room_id(), request->event_id(),
                                            request->txn_id(), reason));
    response->set_event_id(std::move(event_id));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::GetMatrixEvent(
    grpc::CallbackServerContext* context, const v1::GetMatrixEventRequest* request,
    v1::MatrixEvent* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (matrix_writes_ == nullptr) return NotServed();
    ASSIGN_OR_RETURN(EventRecord event, matrix_writes_->GetEvent(
                                            request->user_id(), request->room_id(),
                                            request->event_id()));
    if (matrix_sync_ != nullptr) {
      SyncedEvent shown{event.event_id};
      shown.pdu = std::move(event.pdu);
      RETURN_IF_ERROR(matrix_sync_->BundleReplacements({&shown}));
      event.pdu = std::move(shown.pdu);
    }
    response->set_event_id(std::move(event.event_id));
    response->set_pdu(std::move(event.pdu));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::ChangeMatrixMembership(
    grpc::CallbackServerContext* context, const v1::ChangeMatrixMembershipRequest* request,
    v1::ChangeMatrixMembershipResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    if (matrix_membership_ == nullptr) return NotServed();
    MembershipChange change{request->user_id(), request->room_id(), MemberAction::kJoin,
                            request->target_id(), std::nullopt};
    ASSIGN_OR_RETURN(change.action, ParseMemberAction(request->action()));
    if (request->has_reason()) change.reason = request->reason();
    return matrix_membership_->Change(change);
  });
}

}  // namespace messenger::messaging
