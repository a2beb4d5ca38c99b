// The Matrix client API room RPCs of the messaging gRPC adapter.
#include "common/status.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"

namespace messenger::messaging {
namespace {

// A JSON field of the request: null when absent, InvalidArgument when not JSON.
absl::StatusOr<nlohmann::json> JsonField(const std::string& text, const char* name) {
  if (text.empty()) return nlohmann::json();
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return absl::InvalidArgumentError(std::string(name) + " is not JSON");
  return json;
}

}  // namespace

grpc::ServerUnaryReactor* MessagingGrpcService::CreateMatrixRoom(
    grpc::CallbackServerContext* context, const v1::CreateMatrixRoomRequest* request,
    v1::CreateMatrixRoomResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    MatrixRoomInput in;
    in.creator_id = request->creator_id();
    in.invitee_ids.assign(request->invitee_ids().begin(), request->invitee_ids().end());
    in.preset = request->preset();
    in.is_direct = request->is_direct();
    if (request->has_name()) in.name = request->name();
    if (request->has_topic()) in.topic = request->topic();
    ASSIGN_OR_RETURN(in.initial_state, JsonField(request->initial_state_json(), "initial_state"));
    ASSIGN_OR_RETURN(
        in.power_level_content_override,
        JsonField(request->power_level_content_override_json(), "power_level_content_override"));
    in.room_version = request->room_version();
    ASSIGN_OR_RETURN(RoomRow room, messaging_.CreateMatrixRoom(in));
    response->set_room_id(room.room_id);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::JoinedMatrixRooms(
    grpc::CallbackServerContext* context, const v1::JoinedMatrixRoomsRequest* request,
    v1::JoinedMatrixRoomsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> rooms, messaging_.JoinedRoomIds(request->user_id()));
    for (auto& room : rooms) response->add_room_ids(std::move(room));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::GetMatrixRoomState(
    grpc::CallbackServerContext* context, const v1::GetMatrixRoomStateRequest* request,
    v1::GetMatrixRoomStateResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    if (!request->at().empty()) {
      if (matrix_sync_ == nullptr) return absl::UnimplementedError("no Matrix sync here");
      ASSIGN_OR_RETURN(
          std::vector<SyncedEvent> events,
          matrix_sync_->StateAt(request->user_id(), request->room_id(), request->at()));
      for (SyncedEvent& event : events) {
        v1::MatrixEvent* out = response->add_events();
        out->set_event_id(std::move(event.event_id));
        out->set_pdu(std::move(event.pdu));
      }
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::vector<matrix::Event> events,
                     messaging_.MatrixRoomState(request->user_id(), request->room_id()));
    for (const auto& event : events) {
      v1::MatrixEvent* out = response->add_events();
      out->set_event_id(event.event_id());
      out->set_pdu(event.canonical_json());
    }
    return absl::OkStatus();
  });
}

}  // namespace messenger::messaging
