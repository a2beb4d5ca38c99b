// gRPC adapter of the contact service: proto <-> ContactManager.
#pragma once

#include "common/grpc/work_pool.h"
#include "contact-service/src/service/contact_manager.h"
#include "messenger/contact/v1/contact.grpc.pb.h"

namespace messenger::contact {

class ContactGrpcService final : public v1::ContactService::CallbackService {
 public:
  ContactGrpcService(ContactManager& contacts, grpcx::WorkPool& pool)
      : contacts_(contacts), pool_(pool) {}

  grpc::ServerUnaryReactor* SendRequest(grpc::CallbackServerContext* context,
                                        const v1::SendRequestRequest* request,
                                        v1::SendRequestResponse* response) override;
  grpc::ServerUnaryReactor* AcceptRequest(grpc::CallbackServerContext* context,
                                          const v1::AcceptRequestRequest* request,
                                          v1::AcceptRequestResponse* response) override;
  grpc::ServerUnaryReactor* DeclineRequest(grpc::CallbackServerContext* context,
                                           const v1::DeclineRequestRequest* request,
                                           v1::DeclineRequestResponse* response) override;
  grpc::ServerUnaryReactor* RemoveFriend(grpc::CallbackServerContext* context,
                                         const v1::RemoveFriendRequest* request,
                                         v1::RemoveFriendResponse* response) override;
  grpc::ServerUnaryReactor* Block(grpc::CallbackServerContext* context,
                                  const v1::BlockRequest* request,
                                  v1::BlockResponse* response) override;
  grpc::ServerUnaryReactor* Unblock(grpc::CallbackServerContext* context,
                                    const v1::UnblockRequest* request,
                                    v1::UnblockResponse* response) override;
  grpc::ServerUnaryReactor* ListFriends(grpc::CallbackServerContext* context,
                                        const v1::ListFriendsRequest* request,
                                        v1::ListFriendsResponse* response) override;
  grpc::ServerUnaryReactor* ListRequests(grpc::CallbackServerContext* context,
                                         const v1::ListRequestsRequest* request,
                                         v1::ListRequestsResponse* response) override;
  grpc::ServerUnaryReactor* IsFriend(grpc::CallbackServerContext* context,
                                     const v1::IsFriendRequest* request,
                                     v1::IsFriendResponse* response) override;
  grpc::ServerUnaryReactor* AreFriends(grpc::CallbackServerContext* context,
                                       const v1::AreFriendsRequest* request,
                                       v1::AreFriendsResponse* response) override;
  grpc::ServerUnaryReactor* ApplyRemoteContact(grpc::CallbackServerContext* context,
                                               const v1::ApplyRemoteContactRequest* request,
                                               v1::ApplyRemoteContactResponse* response) override;

 private:
  // Runs an action that answers with no data.
  grpc::ServerUnaryReactor* Simple(grpc::CallbackServerContext* context, std::string actor,
                                   std::string other, Action action);

  ContactManager& contacts_;
  grpcx::WorkPool& pool_;
};

}  // namespace messenger::contact
