#include "messaging-service/src/grpc/messaging_grpc_service.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/time_util.h"
#include "messaging-service/src/domain/conversation_rules.h"

namespace messenger::messaging {
namespace {

void ToProto(const MessageRow& m, v1::Message* out) {
  out->set_message_id(m.event_id);
  out->set_seq(m.seq);
  out->set_sender_id(m.sender);
  out->set_text(m.notes.edited_text.value_or(MessagingManager::MessageText(m.pdu)));
  messenger::ToProto(absl::FromUnixMillis(m.origin_server_ts), out->mutable_sent_at());
  if (m.notes.edited_at_ms) {
    messenger::ToProto(absl::FromUnixMillis(*m.notes.edited_at_ms), out->mutable_edited_at());
  }
  out->set_deleted(m.notes.deleted);
  if (m.notes.reply_to) out->set_reply_to(*m.notes.reply_to);
  for (const ReactionCount& r : m.notes.reactions) {
    v1::Reaction* reaction = out->add_reactions();
    reaction->set_key(r.key);
    reaction->set_count(r.count);
    reaction->set_me(r.me);
  }
}

void ToProto(const ConversationRow& c, const std::string& viewer, v1::Conversation* out) {
  out->set_conversation_id(c.room_id);
  out->set_type(c.kind == "direct" ? v1::CONVERSATION_TYPE_DIRECT : v1::CONVERSATION_TYPE_GROUP);
  if (c.kind == "direct") {
    for (const auto& m : c.members) {
      if (m != viewer) out->set_peer_user_id(m);
    }
  }
  if (c.name) out->set_name(*c.name);
  if (c.last_message) {
    ToProto(*c.last_message, out->mutable_last_message());
  }
  out->set_unread_count(c.unread);
  for (const auto& m : c.members) out->add_member_ids(m);
  out->set_read_only(c.read_only);
  out->set_left(c.left);
}

void ToProto(const SentMessage& sent, v1::SendMessageResponse* out) {
  out->set_message_id(sent.message.event_id);
  out->set_conversation_id(sent.message.room_id);
  out->set_seq(sent.message.seq);
  messenger::ToProto(absl::FromUnixMillis(sent.message.origin_server_ts), out->mutable_sent_at());
  out->set_duplicate(sent.duplicate);
}

// The contact service's detail goes to the log; the caller gets a stable text.
absl::Status FriendCheckError(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) return FromGrpcStatus(status);
  log::Warn("friendship check failed",
            {{"code", std::to_string(status.error_code())}, {"error", status.error_message()}});
  return absl::UnavailableError("cannot check the friendship now; retry shortly");
}

}  // namespace

grpc::ServerUnaryReactor* MessagingGrpcService::SendMessage(grpc::CallbackServerContext* context,
                                                            const v1::SendMessageRequest* request,
                                                            v1::SendMessageResponse* response) {
  SendInput in;
  in.sender_id = request->sender_id();
  in.device_id = request->device_id();
  if (!request->to_user_id().empty()) in.to_user_id = request->to_user_id();
  if (!request->conversation_id().empty()) in.conversation_id = request->conversation_id();
  in.text = request->text();
  in.client_msg_id = request->client_msg_id();
  if (!request->reply_to().empty()) in.reply_to = request->reply_to();
  static metrics::Counter& queued = metrics::Registry::Default().GetCounter(
      "messaging_send_path_total", "Sends by path: queued from memory, or on the work pool",
      {{"path", "queued"}});
  static metrics::Counter& pooled = metrics::Registry::Default().GetCounter(
      "messaging_send_path_total", "Sends by path: queued from memory, or on the work pool",
      {{"path", "pool"}});
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // A direct room not known here yet is written here (the send makes it known).
  if (forwarder_.Forward(context, reactor, messaging_.KnownRoomOf(in),
                         [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                                             std::function<void(grpc::Status)> done) {
                           stub.async()->SendMessage(c, request, response, std::move(done));
                         })) {
    return reactor;
  }
  auto on_pool = [this, context, reactor, response, in]() {
    pooled.Inc();
    grpcx::FinishOnPool(context, reactor, pool_, [this, response, in]() -> absl::Status {
      ASSIGN_OR_RETURN(SentMessage sent, messaging_.Send(in));
      ToProto(sent, response);
      return absl::OkStatus();
    });
  };
  // Everything in memory: no thread waits; the batcher's thread answers.
  const bool started = messaging_.TrySendAsync(
      in, [reactor, response, on_pool](absl::StatusOr<std::optional<SentMessage>> sent) {
        if (sent.ok() && !sent->has_value()) return on_pool();
        if (sent.ok()) ToProto(**sent, response);
        reactor->Finish(ToGrpcStatus(sent.status()));
      });
  if (started) {
    queued.Inc();
  } else {
    on_pool();
  }
  return reactor;
}

grpc::ServerUnaryReactor* MessagingGrpcService::GetMessages(grpc::CallbackServerContext* context,
                                                            const v1::GetMessagesRequest* request,
                                                            v1::GetMessagesResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(HistoryPage page,
                     messaging_.History(request->user_id(), request->conversation_id(),
                                        request->before_seq(), request->limit()));
    std::vector<MessageRow*> shown;
    for (MessageRow& m : page.messages) shown.push_back(&m);
    RETURN_IF_ERROR(relations_.Annotate(request->user_id(), std::move(shown)));
    for (const auto& m : page.messages) ToProto(m, response->add_messages());
    if (page.next_before_seq) response->set_next_before_seq(*page.next_before_seq);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::ListConversations(
    grpc::CallbackServerContext* context, const v1::ListConversationsRequest* request,
    v1::ListConversationsResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<ConversationRow> rows,
                     messaging_.Conversations(request->user_id()));
    // Last messages as history shows them: latest edit, deleted placeholder.
    std::vector<MessageRow*> last;
    for (ConversationRow& c : rows) {
      if (c.last_message) last.push_back(&*c.last_message);
    }
    RETURN_IF_ERROR(relations_.Annotate(request->user_id(), std::move(last)));
    for (const auto& c : rows) ToProto(c, request->user_id(), response->add_conversations());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::CreateConversation(
    grpc::CallbackServerContext* context, const v1::CreateConversationRequest* request,
    v1::Conversation* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    std::vector<std::string> members(request->member_ids().begin(), request->member_ids().end());
    ASSIGN_OR_RETURN(RoomRow room,
                     messaging_.CreateGroup(request->creator_id(), request->name(), members));
    response->set_conversation_id(room.room_id);
    response->set_type(v1::CONVERSATION_TYPE_GROUP);
    if (room.name) response->set_name(*room.name);
    response->add_member_ids(room.creator);
    for (const auto& m : members) {
      if (m != room.creator) response->add_member_ids(m);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MessagingGrpcService::MarkSeen(grpc::CallbackServerContext* context,
                                                         const v1::MarkSeenRequest* request,
                                                         v1::MarkSeenResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (forwarder_.Forward(context, reactor, request->conversation_id(),
                         [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                                             std::function<void(grpc::Status)> done) {
                           stub.async()->MarkSeen(c, request, response, std::move(done));
                         })) {
    return reactor;
  }
  grpcx::FinishOnPool(context, reactor, pool_, [this, request]() -> absl::Status {
    return messaging_.MarkSeen(request->user_id(), request->conversation_id(), request->seq());
  });
  return reactor;
}

grpc::ServerUnaryReactor* MessagingGrpcService::Invite(grpc::CallbackServerContext* context,
                                                       const v1::InviteRequest* request,
                                                       v1::InviteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (forwarder_.Forward(context, reactor, request->conversation_id(),
                         [request, response](RoomForwarder::Stub& stub, grpc::ClientContext* c,
                                             std::function<void(grpc::Status)> done) {
                           stub.async()->Invite(c, request, response, std::move(done));
                         })) {
    return reactor;
  }
  grpcx::FinishOnPool(context, reactor, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(
        *response->mutable_event_id(),
        messaging_.Invite(request->user_id(), request->conversation_id(), request->invitee_id()));
    return absl::OkStatus();
  });
  return reactor;
}

struct MessagingGrpcService::SyncCall {
  grpc::CallbackServerContext* context;
  grpc::ServerUnaryReactor* reactor;
  const v1::SyncRequest* request;
  v1::SyncResponse* response;
  std::string trace_id;
  int64_t since = 0;
  uint64_t typing_cursor = 0;
  absl::Time deadline;
};

grpc::ServerUnaryReactor* MessagingGrpcService::Sync(grpc::CallbackServerContext* context,
                                                     const v1::SyncRequest* request,
                                                     v1::SyncResponse* response) {
  auto call = std::make_shared<SyncCall>();
  call->context = context;
  call->reactor = context->DefaultReactor();
  call->request = request;
  call->response = response;
  call->trace_id = grpcx::TraceIdFrom(*context);
  absl::StatusOr<int> timeout = SyncTimeoutMs(request->timeout_ms());
  if (!timeout.ok()) {
    call->reactor->Finish(ToGrpcStatus(timeout.status()));
    return call->reactor;
  }
  if (!request->since().empty()) {
    absl::StatusOr<int64_t> since = DecodeSyncToken(request->since());
    if (!since.ok()) {
      call->reactor->Finish(ToGrpcStatus(since.status()));
      return call->reactor;
    }
    call->since = *since;
    // DecodeSyncToken checked the typing part too.
    call->typing_cursor = DecodeTypingCursor(request->since()).value_or(0);
  }
  call->deadline = absl::Now() + absl::Milliseconds(*timeout);
  if (!pool_.Submit([this, call] { SyncAttempt(call); })) {
    call->reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy"));
  }
  return call->reactor;
}

void MessagingGrpcService::SyncAttempt(std::shared_ptr<SyncCall> call) {
  trace::ScopedTrace scoped(call->trace_id);
  const std::string& user = call->request->user_id();
  // Its caller gave up while it queued for a thread (a loaded server): no
  // read whose answer nobody would get (issue 15).
  if (call->context->IsCancelled() ||
      call->context->deadline() <= std::chrono::system_clock::now()) {
    call->reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "poll expired"));
    return;
  }
  if (call->request->since().empty()) {
    call->response->set_next(
        EncodeSyncToken(messaging_.Position(), typing_ != nullptr ? typing_->Cursor() : 0));
    call->reactor->Finish(grpc::Status::OK);
    return;
  }
  const uint64_t version = messaging_.hub().Version(user);
  // A read joins the woken polls' batched statement; its answer continues
  // on this pool.
  std::optional<absl::StatusOr<SyncBatch>> now = messaging_.SyncOnceAsync(
      user, call->since, [this, call, version](absl::StatusOr<SyncBatch> batch) {
        auto read = std::make_shared<absl::StatusOr<SyncBatch>>(std::move(batch));
        if (!pool_.Submit([this, call, version, read] {
              trace::ScopedTrace scoped(call->trace_id);
              SyncAnswer(call, version, std::move(*read));
            })) {
          call->reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy"));
        }
      });
  if (now) SyncAnswer(call, version, std::move(*now));
}

void MessagingGrpcService::SyncAnswer(std::shared_ptr<SyncCall> call, uint64_t version,
                                      absl::StatusOr<SyncBatch> batch) {
  const std::string& user = call->request->user_id();
  if (!batch.ok()) {
    call->reactor->Finish(ToGrpcStatus(batch.status()));
    return;
  }
  // Edits, reactions and deletes as sync events; messages with their notes.
  if (absl::Status annotated = relations_.AnnotateSync(user, batch->rows, batch->notes.get());
      !annotated.ok()) {
    call->reactor->Finish(ToGrpcStatus(annotated));
    return;
  }
  TypingView typing{{}, call->typing_cursor};
  if (typing_ != nullptr) typing = typing_->For(user, call->typing_cursor);
  const absl::Time now = absl::Now();
  if (!batch->rows.empty() || !typing.events.empty() || now >= call->deadline ||
      call->context->IsCancelled() || messaging_.hub().stopping()) {
    call->response->set_next(EncodeSyncToken(batch->next, typing.cursor));
    call->response->set_lagging(batch->lagging);
    for (const SyncRow& row : batch->rows) {
      v1::SyncEvent* e = call->response->add_events();
      e->set_type(row.kind);
      e->set_conversation_id(row.room_id);
      e->set_user_id(row.user_id);
      e->set_seq(row.seq);
      if (row.message) ToProto(*row.message, e->mutable_message());
    }
    for (const TypingEvent& t : typing.events) {
      v1::SyncEvent* e = call->response->add_events();
      e->set_type("typing");
      e->set_conversation_id(t.room_id);
      for (const std::string& u : t.user_ids) e->add_typing_user_ids(u);
    }
    call->reactor->Finish(grpc::Status::OK);
    return;
  }
  // Nothing readable. News for this user may sit above the watermark: its
  // commit wakes us, but when that commit is held back by another room's
  // open one, nothing does: look again in a moment.
  const absl::Time wake_by =
      batch->lagging ? std::min(call->deadline, now + absl::Milliseconds(2)) : call->deadline;
  messaging_.hub().Wait(user, version, wake_by, [this, call] {
    if (!pool_.Submit([this, call] { SyncAttempt(call); })) {
      call->reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy"));
    }
  });
}

absl::StatusOr<bool> GrpcFriendChecker::AreFriends(const std::string& a, const std::string& b) {
  contact::v1::IsFriendRequest request;
  request.set_user_a(a);
  request.set_user_b(b);
  contact::v1::IsFriendResponse response;
  auto context = grpcx::NewClientContext(timeout_);
  grpc::Status status = stub_.get().IsFriend(context.get(), request, &response);
  if (!status.ok()) return FriendCheckError(status);
  return response.friends();
}

absl::StatusOr<std::vector<bool>> GrpcFriendChecker::AreFriendsMany(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  contact::v1::AreFriendsRequest request;
  for (const auto& [a, b] : pairs) {
    contact::v1::IsFriendRequest* pair = request.add_pairs();
    pair->set_user_a(a);
    pair->set_user_b(b);
  }
  contact::v1::AreFriendsResponse response;
  auto context = grpcx::NewClientContext(timeout_);
  grpc::Status status = stub_.get().AreFriends(context.get(), request, &response);
  if (!status.ok()) return FriendCheckError(status);
  if (static_cast<size_t>(response.friends_size()) != pairs.size()) {
    return absl::UnavailableError("cannot check the friendship now");
  }
  return std::vector<bool>(response.friends().begin(), response.friends().end());
}

}  // namespace messenger::messaging
