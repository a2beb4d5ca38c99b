#include "contact-service/src/grpc/contact_grpc_service.h"

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "common/time_util.h"

namespace messenger::contact {

grpc::ServerUnaryReactor* ContactGrpcService::Simple(grpc::CallbackServerContext* context,
                                                     std::string actor, std::string other,
                                                     Action action) {
  return grpcx::RunBlocking(context, pool_, [this, actor, other, action]() -> absl::Status {
    return contacts_.Act(actor, other, action).status();
  });
}

grpc::ServerUnaryReactor* ContactGrpcService::SendRequest(grpc::CallbackServerContext* context,
                                                          const v1::SendRequestRequest* request,
                                                          v1::SendRequestResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string target, contacts_.ResolveTarget(request->target_user_id()));
    ASSIGN_OR_RETURN(Transition t, contacts_.Act(request->user_id(), target, Action::kSendRequest));
    response->set_user_id(target);
    response->set_status(t.next.link == Link::kFriends ? v1::REQUEST_STATUS_ACCEPTED
                                                       : v1::REQUEST_STATUS_PENDING);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ContactGrpcService::AcceptRequest(
    grpc::CallbackServerContext* context, const v1::AcceptRequestRequest* request,
    v1::AcceptRequestResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    RETURN_IF_ERROR(
        contacts_.Act(request->user_id(), request->requester_id(), Action::kAccept).status());
    response->set_user_id(request->requester_id());
    response->set_status(v1::REQUEST_STATUS_ACCEPTED);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ContactGrpcService::DeclineRequest(
    grpc::CallbackServerContext* context, const v1::DeclineRequestRequest* request,
    v1::DeclineRequestResponse*) {
  return Simple(context, request->user_id(), request->requester_id(), Action::kDecline);
}

grpc::ServerUnaryReactor* ContactGrpcService::RemoveFriend(grpc::CallbackServerContext* context,
                                                           const v1::RemoveFriendRequest* request,
                                                           v1::RemoveFriendResponse*) {
  return Simple(context, request->user_id(), request->friend_id(), Action::kRemove);
}

grpc::ServerUnaryReactor* ContactGrpcService::Block(grpc::CallbackServerContext* context,
                                                    const v1::BlockRequest* request,
                                                    v1::BlockResponse*) {
  return Simple(context, request->user_id(), request->target_user_id(), Action::kBlock);
}

grpc::ServerUnaryReactor* ContactGrpcService::Unblock(grpc::CallbackServerContext* context,
                                                      const v1::UnblockRequest* request,
                                                      v1::UnblockResponse*) {
  return Simple(context, request->user_id(), request->target_user_id(), Action::kUnblock);
}

grpc::ServerUnaryReactor* ContactGrpcService::ListFriends(grpc::CallbackServerContext* context,
                                                          const v1::ListFriendsRequest* request,
                                                          v1::ListFriendsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<Contact> friends, contacts_.ListFriends(request->user_id()));
    for (const Contact& c : friends) {
      v1::Friend* out = response->add_friends();
      out->set_user_id(c.user_id);
      out->set_matrix_id(c.matrix_id);
      ToProto(c.since, out->mutable_since());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ContactGrpcService::ListRequests(grpc::CallbackServerContext* context,
                                                           const v1::ListRequestsRequest* request,
                                                           v1::ListRequestsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(PendingRequests pending, contacts_.ListRequests(request->user_id()));
    auto add = [](const Contact& c, v1::PendingRequest* out) {
      out->set_user_id(c.user_id);
      out->set_matrix_id(c.matrix_id);
      ToProto(c.since, out->mutable_created_at());
    };
    for (const Contact& c : pending.incoming) add(c, response->add_incoming());
    for (const Contact& c : pending.outgoing) add(c, response->add_outgoing());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ContactGrpcService::IsFriend(grpc::CallbackServerContext* context,
                                                       const v1::IsFriendRequest* request,
                                                       v1::IsFriendResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(bool friends, contacts_.IsFriend(request->user_a(), request->user_b()));
    response->set_friends(friends);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ContactGrpcService::AreFriends(grpc::CallbackServerContext* context,
                                                         const v1::AreFriendsRequest* request,
                                                         v1::AreFriendsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& pair : request->pairs()) pairs.emplace_back(pair.user_a(), pair.user_b());
    ASSIGN_OR_RETURN(std::vector<bool> friends, contacts_.AreFriends(pairs));
    for (bool f : friends) response->add_friends(f);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ContactGrpcService::ApplyRemoteContact(
    grpc::CallbackServerContext* context, const v1::ApplyRemoteContactRequest* request,
    v1::ApplyRemoteContactResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    RemoteAction action;
    switch (request->action()) {
      case v1::REMOTE_CONTACT_ACTION_REQUEST:
        action = RemoteAction::kRequest;
        break;
      case v1::REMOTE_CONTACT_ACTION_ACCEPT:
        action = RemoteAction::kAccept;
        break;
      case v1::REMOTE_CONTACT_ACTION_REMOVE:
        action = RemoteAction::kRemove;
        break;
      default:
        return absl::InvalidArgumentError("unknown remote contact action");
    }
    return contacts_.ApplyRemote(request->local_matrix_id(), request->remote_matrix_id(), action);
  });
}

}  // namespace messenger::contact
