// The group RPCs of MessagingGrpcService: thin adapters over GroupManager.
// Writes go to the room's owning replica, as every room write does.
#include "common/status.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"

namespace messenger::messaging {

grpc::ServerUnaryReactor* MessagingGrpcService::RoomWrite(grpc::CallbackServerContext* context,
                                                          const std::string& room_id,
                                                          const RoomForwarder::Call& call,
                                                          std::function<absl::Status()> fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (forwarder_.Forward(context, reactor, room_id, call)) return reactor;
  grpcx::FinishOnPool(context, reactor, pool_, std::move(fn));
  return reactor;
}

grpc::ServerUnaryReactor* MessagingGrpcService::AddMembers(grpc::CallbackServerContext* context,
                                                           const v1::AddMembersRequest* request,
                                                           v1::AddMembersResponse* response) {
  return RoomWrite(
      context, request->conversation_id(),
      [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                          std::function<void(grpc::Status)> done) {
        stub.async()->AddMembers(c, request, response, std::move(done));
      },
      [this, request, response]() -> absl::Status {
        std::vector<std::string> ids(request->member_ids().begin(), request->member_ids().end());
        ASSIGN_OR_RETURN(std::vector<std::string> added,
                         groups_.AddMembers(request->user_id(), request->conversation_id(), ids));
        for (auto& id : added) response->add_member_ids(std::move(id));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* MessagingGrpcService::RemoveMember(grpc::CallbackServerContext* context,
                                                             const v1::RemoveMemberRequest* request,
                                                             v1::RemoveMemberResponse* response) {
  return RoomWrite(
      context, request->conversation_id(),
      [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                          std::function<void(grpc::Status)> done) {
        stub.async()->RemoveMember(c, request, response, std::move(done));
      },
      [this, request] {
        return groups_.RemoveMember(request->user_id(), request->conversation_id(),
                                    request->member_id());
      });
}

grpc::ServerUnaryReactor* MessagingGrpcService::LeaveConversation(
    grpc::CallbackServerContext* context, const v1::LeaveConversationRequest* request,
    v1::LeaveConversationResponse* response) {
  return RoomWrite(
      context, request->conversation_id(),
      [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                          std::function<void(grpc::Status)> done) {
        stub.async()->LeaveConversation(c, request, response, std::move(done));
      },
      [this, request] { return groups_.Leave(request->user_id(), request->conversation_id()); });
}

grpc::ServerUnaryReactor* MessagingGrpcService::UpdateConversation(
    grpc::CallbackServerContext* context, const v1::UpdateConversationRequest* request,
    v1::UpdateConversationResponse* response) {
  return RoomWrite(
      context, request->conversation_id(),
      [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                          std::function<void(grpc::Status)> done) {
        stub.async()->UpdateConversation(c, request, response, std::move(done));
      },
      [this, request] {
        ConversationPatch patch;
        if (request->has_name()) patch.name = request->name();
        if (request->has_topic()) patch.topic = request->topic();
        if (request->has_avatar_url()) patch.avatar_url = request->avatar_url();
        return groups_.Update(request->user_id(), request->conversation_id(), std::move(patch));
      });
}

grpc::ServerUnaryReactor* MessagingGrpcService::SetMemberRole(
    grpc::CallbackServerContext* context, const v1::SetMemberRoleRequest* request,
    v1::SetMemberRoleResponse* response) {
  return RoomWrite(
      context, request->conversation_id(),
      [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                          std::function<void(grpc::Status)> done) {
        stub.async()->SetMemberRole(c, request, response, std::move(done));
      },
      [this, request] {
        return groups_.SetRole(request->user_id(), request->conversation_id(), request->member_id(),
                               request->role());
      });
}

grpc::ServerUnaryReactor* MessagingGrpcService::GetConversation(
    grpc::CallbackServerContext* context, const v1::GetConversationRequest* request,
    v1::ConversationDetails* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(ConversationDetails details,
                     groups_.Details(request->user_id(), request->conversation_id()));
    response->set_conversation_id(details.room_id);
    response->set_type(details.kind == "direct" ? v1::CONVERSATION_TYPE_DIRECT
                                                : v1::CONVERSATION_TYPE_GROUP);
    if (details.name) response->set_name(*details.name);
    if (details.topic) response->set_topic(*details.topic);
    if (details.avatar_url) response->set_avatar_url(*details.avatar_url);
    for (const MemberView& m : details.members) {
      v1::ConversationMember* member = response->add_members();
      member->set_user_id(m.user_id);
      member->set_role(m.role);
    }
    return absl::OkStatus();
  });
}

}  // namespace messenger::messaging
