// gRPC adapter of the messaging service. Sync is a long poll that parks the
// call in the WaitHub (no thread) until news or its deadline.
#pragma once

#include "common/grpc/grpc_util.h"
#include "common/grpc/work_pool.h"
#include "messaging-service/src/grpc/room_forwarder.h"
#include "messaging-service/src/service/group_manager.h"
#include "messaging-service/src/service/matrix_membership.h"
#include "messaging-service/src/service/matrix_writes.h"
#include "messaging-service/src/service/matrix_sync.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/service/relations_manager.h"
#include "messaging-service/src/service/typing_manager.h"
#include "messenger/contact/v1/contact.grpc.pb.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"

namespace messenger::messaging {

class MessagingGrpcService final : public v1::MessagingService::CallbackService {
 public:
  // Writes of rooms another replica owns go there through `forwarder`.
  MessagingGrpcService(MessagingManager& messaging, RelationsManager& relations,
                       grpcx::WorkPool& pool, RoomForwarder& forwarder, GroupManager& groups)
      : messaging_(messaging),
        relations_(relations),
        pool_(pool),
        forwarder_(forwarder),
        groups_(groups) {}

  grpc::ServerUnaryReactor* SendMessage(grpc::CallbackServerContext* context,
                                        const v1::SendMessageRequest* request,
                                        v1::SendMessageResponse* response) override;
  grpc::ServerUnaryReactor* GetMessages(grpc::CallbackServerContext* context,
                                        const v1::GetMessagesRequest* request,
                                        v1::GetMessagesResponse* response) override;
  grpc::ServerUnaryReactor* ListConversations(grpc::CallbackServerContext* context,
                                              const v1::ListConversationsRequest* request,
                                              v1::ListConversationsResponse* response) override;
  grpc::ServerUnaryReactor* CreateConversation(grpc::CallbackServerContext* context,
                                               const v1::CreateConversationRequest* request,
                                               v1::Conversation* response) override;
  grpc::ServerUnaryReactor* MarkSeen(grpc::CallbackServerContext* context,
                                     const v1::MarkSeenRequest* request,
                                     v1::MarkSeenResponse* response) override;
  grpc::ServerUnaryReactor* Sync(grpc::CallbackServerContext* context,
                                 const v1::SyncRequest* request,
                                 v1::SyncResponse* response) override;
  grpc::ServerUnaryReactor* Invite(grpc::CallbackServerContext* context,
                                   const v1::InviteRequest* request,
                                   v1::InviteResponse* response) override;
  // Relations (relations_grpc_service.cc). Run here, not forwarded: the
  // request names a message, not its room, and the writer's row lock keeps
  // a write from any replica correct.
  grpc::ServerUnaryReactor* EditMessage(grpc::CallbackServerContext* context,
                                        const v1::EditMessageRequest* request,
                                        v1::EditMessageResponse* response) override;
  grpc::ServerUnaryReactor* DeleteMessage(grpc::CallbackServerContext* context,
                                          const v1::DeleteMessageRequest* request,
                                          v1::DeleteMessageResponse* response) override;
  grpc::ServerUnaryReactor* AddReaction(grpc::CallbackServerContext* context,
                                        const v1::ReactionRequest* request,
                                        v1::ReactionResponse* response) override;
  grpc::ServerUnaryReactor* RemoveReaction(grpc::CallbackServerContext* context,
                                           const v1::ReactionRequest* request,
                                           v1::ReactionResponse* response) override;

  // Typing and per-message receipts (typing_grpc_service.cc). Without
  // SetTyping's manager they answer UNIMPLEMENTED and sync shows no typing.
  void SetTypingManager(TypingManager* typing, MessagingStore* store) {
    typing_ = typing;
    store_ = store;
  }
  grpc::ServerUnaryReactor* SetTyping(grpc::CallbackServerContext* context,
                                      const v1::SetTypingRequest* request,
                                      v1::SetTypingResponse* response) override;
  grpc::ServerUnaryReactor* GetMessageReceipts(grpc::CallbackServerContext* context,
                                               const v1::GetMessageReceiptsRequest* request,
                                               v1::GetMessageReceiptsResponse* response) override;
  // Matrix client API rooms (end of messaging_grpc_service.cc).
  grpc::ServerUnaryReactor* CreateMatrixRoom(grpc::CallbackServerContext* context,
                                             const v1::CreateMatrixRoomRequest* request,
                                             v1::CreateMatrixRoomResponse* response) override;
  grpc::ServerUnaryReactor* JoinedMatrixRooms(grpc::CallbackServerContext* context,
                                              const v1::JoinedMatrixRoomsRequest* request,
                                              v1::JoinedMatrixRoomsResponse* response) override;
  grpc::ServerUnaryReactor* GetMatrixRoomState(grpc::CallbackServerContext* context,
                                               const v1::GetMatrixRoomStateRequest* request,
                                               v1::GetMatrixRoomStateResponse* response) override;

  // Groups (group_grpc_handlers.cc).
  grpc::ServerUnaryReactor* AddMembers(grpc::CallbackServerContext* context,
                                       const v1::AddMembersRequest* request,
                                       v1::AddMembersResponse* response) override;
  grpc::ServerUnaryReactor* RemoveMember(grpc::CallbackServerContext* context,
                                         const v1::RemoveMemberRequest* request,
                                         v1::RemoveMemberResponse* response) override;
  grpc::ServerUnaryReactor* LeaveConversation(grpc::CallbackServerContext* context,
                                              const v1::LeaveConversationRequest* request,
                                              v1::LeaveConversationResponse* response) override;
  grpc::ServerUnaryReactor* UpdateConversation(grpc::CallbackServerContext* context,
                                               const v1::UpdateConversationRequest* request,
                                               v1::UpdateConversationResponse* response) override;
  grpc::ServerUnaryReactor* SetMemberRole(grpc::CallbackServerContext* context,
                                          const v1::SetMemberRoleRequest* request,
                                          v1::SetMemberRoleResponse* response) override;
  grpc::ServerUnaryReactor* GetConversation(grpc::CallbackServerContext* context,
                                            const v1::GetConversationRequest* request,
                                            v1::ConversationDetails* response) override;

  // Matrix client room writes (matrix_writes_grpc.cc). Without
  // SetMatrixWrites they answer UNIMPLEMENTED.
  void SetMatrixWrites(MatrixWrites* writes, MatrixMembership* membership) {
    matrix_writes_ = writes;
    matrix_membership_ = membership;
  }
  grpc::ServerUnaryReactor* SendMatrixEvent(grpc::CallbackServerContext* context,
                                            const v1::SendMatrixEventRequest* request,
                                            v1::SendMatrixEventResponse* response) override;
  grpc::ServerUnaryReactor* PutMatrixState(grpc::CallbackServerContext* context,
                                           const v1::PutMatrixStateRequest* request,
                                           v1::SendMatrixEventResponse* response) override;
  grpc::ServerUnaryReactor* RedactMatrixEvent(grpc::CallbackServerContext* context,
                                              const v1::RedactMatrixEventRequest* request,
                                              v1::SendMatrixEventResponse* response) override;
  grpc::ServerUnaryReactor* GetMatrixEvent(grpc::CallbackServerContext* context,
                                           const v1::GetMatrixEventRequest* request,
                                           v1::MatrixEvent* response) override;
  grpc::ServerUnaryReactor* ChangeMatrixMembership(
      grpc::CallbackServerContext* context, const v1::ChangeMatrixMembershipRequest* request,
      v1::ChangeMatrixMembershipResponse* response) override;
  // Matrix sync, filters, history and receipts (matrix_sync_grpc.cc).
  // Without SetMatrixSync they answer UNIMPLEMENTED.
  void SetMatrixSync(messaging::MatrixSync* sync) { matrix_sync_ = sync; }
  grpc::ServerUnaryReactor* MatrixSync(grpc::CallbackServerContext* context,
                                       const v1::MatrixSyncRequest* request,
                                       v1::MatrixSyncResponse* response) override;
  grpc::ServerUnaryReactor* PutMatrixFilter(grpc::CallbackServerContext* context,
                                            const v1::PutMatrixFilterRequest* request,
                                            v1::PutMatrixFilterResponse* response) override;
  grpc::ServerUnaryReactor* GetMatrixFilter(grpc::CallbackServerContext* context,
                                            const v1::GetMatrixFilterRequest* request,
                                            v1::GetMatrixFilterResponse* response) override;
  grpc::ServerUnaryReactor* MatrixMessages(grpc::CallbackServerContext* context,
                                           const v1::MatrixMessagesRequest* request,
                                           v1::MatrixMessagesResponse* response) override;
  grpc::ServerUnaryReactor* MatrixContext(grpc::CallbackServerContext* context,
                                          const v1::MatrixContextRequest* request,
                                          v1::MatrixContextResponse* response) override;
  grpc::ServerUnaryReactor* MatrixReceipt(grpc::CallbackServerContext* context,
                                          const v1::MatrixReceiptRequest* request,
                                          v1::MatrixReceiptResponse* response) override;
  grpc::ServerUnaryReactor* MatrixRelations(grpc::CallbackServerContext* context,
                                            const v1::MatrixRelationsRequest* request,
                                            v1::MatrixRelationsResponse* response) override;

 private:
  // A room write: forwarded to the room's owner, or `fn` run here on the pool.
  grpc::ServerUnaryReactor* RoomWrite(grpc::CallbackServerContext* context,
                                      const std::string& room_id, const RoomForwarder::Call& call,
                                      std::function<absl::Status()> fn);
  struct SyncCall;
  void SyncAttempt(std::shared_ptr<SyncCall> call);
  // After the read: answer, or park the poll until the user is notified.
  void SyncAnswer(std::shared_ptr<SyncCall> call, uint64_t version,
                  absl::StatusOr<SyncBatch> batch);

  MessagingManager& messaging_;
  RelationsManager& relations_;
  grpcx::WorkPool& pool_;
  RoomForwarder& forwarder_;
  TypingManager* typing_ = nullptr;
  MessagingStore* store_ = nullptr;
  GroupManager& groups_;
  MatrixWrites* matrix_writes_ = nullptr;
  MatrixMembership* matrix_membership_ = nullptr;
  messaging::MatrixSync* matrix_sync_ = nullptr;
};

// FriendChecker over the contact service's IsFriend and AreFriends, with a
// deadline.
class GrpcFriendChecker final : public FriendChecker {
 public:
  GrpcFriendChecker(grpcx::ChannelSource contact, absl::Duration timeout)
      : stub_(std::move(contact)), timeout_(timeout) {}
  absl::StatusOr<bool> AreFriends(const std::string& a, const std::string& b) override;
  absl::StatusOr<std::vector<bool>> AreFriendsMany(
      const std::vector<std::pair<std::string, std::string>>& pairs) override;

 private:
  grpcx::LazyStub<contact::v1::ContactService> stub_;
  absl::Duration timeout_;
};

}  // namespace messenger::messaging
