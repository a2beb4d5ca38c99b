// /v1/messages, /v1/conversations*, /v1/sync (long poll, answered without
// holding a gateway thread).
#include <algorithm>

#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/json_body.h"
#include "gateway/src/params.h"
#include "gateway/src/sync_memo.h"

namespace messenger::gateway {
namespace {

// Users one create request may name (api.md; messaging's kMaxMembersPerCreate).
constexpr size_t kMaxMembersPerCreate = 1000;

// A long poll woken at the end of its timeout still gets this long to look.
constexpr absl::Duration kLastLookAtLeast = absl::Seconds(1);

using messaging::v1::MessagingService;

nlohmann::json MessageJson(const messaging::v1::Message& m) {
  nlohmann::json out = {{"message_id", m.message_id()},
                        {"seq", m.seq()},
                        {"sender_id", m.sender_id()},
                        {"text", m.text()},
                        {"sent_at", Rfc3339(m.sent_at())}};
  // Relations: present only when there is something to say.
  if (m.deleted()) out["deleted"] = true;
  if (m.has_edited_at()) out["edited_at"] = Rfc3339(m.edited_at());
  if (!m.reply_to().empty()) out["reply_to"] = m.reply_to();
  if (m.reactions_size() > 0) {
    nlohmann::json reactions = nlohmann::json::array();
    for (const auto& r : m.reactions()) {
      reactions.push_back({{"key", r.key()}, {"count", r.count()}, {"me", r.me()}});
    }
    out["reactions"] = std::move(reactions);
  }
  return out;
}

absl::StatusOr<messaging::v1::SendMessageRequest> SendRequest(const RouteContext& c) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
  messaging::v1::SendMessageRequest request;
  request.set_sender_id(c.user_id());
  request.set_device_id(c.principal->session_id);
  ASSIGN_OR_RETURN(std::optional<std::string> to, body.OptionalString("to"));
  ASSIGN_OR_RETURN(std::optional<std::string> conversation, body.OptionalString("conversation_id"));
  if (to.has_value() == conversation.has_value()) {
    return absl::InvalidArgumentError("give exactly one of 'to' and 'conversation_id'");
  }
  if (to) request.set_to_user_id(*to);
  if (conversation) request.set_conversation_id(*conversation);
  ASSIGN_OR_RETURN(*request.mutable_text(), body.RequiredString("text"));
  ASSIGN_OR_RETURN(*request.mutable_client_msg_id(), body.RequiredString("client_msg_id"));
  ASSIGN_OR_RETURN(std::optional<std::string> reply_to, body.OptionalString("reply_to"));
  if (reply_to) {
    if (!IsEventId(*reply_to)) {
      return absl::InvalidArgumentError("field 'reply_to' must be a message id ($id)");
    }
    request.set_reply_to(*reply_to);
  }
  return request;
}

struct SyncPoll {
  Gateway* gateway = nullptr;
  std::shared_ptr<SyncMemo> memo;
  std::string user_id;
  std::string since;
  absl::Time started;
  absl::Time deadline;
  AsyncDone done;
};

void Look(std::shared_ptr<SyncPoll> poll);

// The poll's answer with nothing new: its own token again.
void AnswerNothingNew(SyncPoll& poll) {
  poll.done(http::Response::Json(200, {{"next", poll.since}, {"events", nlohmann::json::array()}}));
}
void Park(std::shared_ptr<SyncPoll> poll, uint64_t version, absl::Time wake_by);

nlohmann::json SyncEventJson(const messaging::v1::SyncEvent& e) {
  nlohmann::json out = {{"type", e.type()}};
  if (e.type() == "message") {
    out["conversation_id"] = e.conversation_id();
    out["message"] = MessageJson(e.message());
  } else if (e.type() == "seen") {
    out["conversation_id"] = e.conversation_id();
    out["user_id"] = e.user_id();
    out["seq"] = e.seq();
  } else if (e.type() == "edited" || e.type() == "deleted" || e.type() == "reaction") {
    // The changed message as it is now, and who changed it.
    out["conversation_id"] = e.conversation_id();
    out["user_id"] = e.user_id();
    out["message"] = MessageJson(e.message());
  } else if (e.type() == "conversation") {
    out["conversation_id"] = e.conversation_id();
  } else if (e.type() == "typing") {
    out["conversation_id"] = e.conversation_id();
    out["user_ids"] = e.typing_user_ids();
  } else if (e.type() == "member_added" || e.type() == "member_removed" ||
             e.type() == "conversation_updated") {
    // Groups: who joined or left, or who changed the settings.
    out["conversation_id"] = e.conversation_id();
    out["user_id"] = e.user_id();
  } else {
    out["user_id"] = e.user_id();
  }
  return out;
}

}  // namespace

nlohmann::json SyncBodyJson(const messaging::v1::SyncResponse& response) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : response.events()) events.push_back(SyncEventJson(e));
  return {{"next", response.next()}, {"events", std::move(events)}};
}

void AddMessagingRoutes(Gateway& gw) {
  auto memo = std::make_shared<SyncMemo>();
  // Asynchronous: no gateway worker waits for the group commit.
  gw.RouteAsync("POST", "/v1/messages", true, [&gw](RouteContext& c, AsyncDone done) {
    absl::StatusOr<messaging::v1::SendMessageRequest> request = SendRequest(c);
    if (!request.ok()) return done(request.status());
    if (absl::Status limited = gw.send_limiter().Take(c.user_id(), "too many messages; slow down");
        !limited.ok()) {
      return done(limited);
    }
    gw.CallAsync<messaging::v1::SendMessageRequest, messaging::v1::SendMessageResponse>(
        [&gw](auto* context, auto* request, auto* response, auto on_done) {
          gw.stubs().messaging->async()->SendMessage(context, request, response,
                                                     std::move(on_done));
        },
        std::move(*request),
        [done = std::move(done)](absl::Status status, const messaging::v1::SendMessageResponse& r) {
          if (!status.ok()) return done(status);
          done(http::Response::Json(r.duplicate() ? 200 : 201,
                                    {{"message_id", r.message_id()},
                                     {"conversation_id", r.conversation_id()},
                                     {"seq", r.seq()},
                                     {"sent_at", Rfc3339(r.sent_at())}}));
        });
  });

  gw.Route(
      "GET", "/v1/conversations", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
        messaging::v1::ListConversationsRequest request;
        request.set_user_id(c.user_id());
        messaging::v1::ListConversationsResponse response;
        RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::ListConversations,
                                request, &response));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& conv : response.conversations()) {
          const bool direct = conv.type() == messaging::v1::CONVERSATION_TYPE_DIRECT;
          nlohmann::json item = {{"conversation_id", conv.conversation_id()},
                                 {"type", direct ? "direct" : "group"},
                                 {"unread_count", conv.unread_count()},
                                 {"member_ids", conv.member_ids()}};
          if (direct) {
            item["peer_user_id"] = conv.peer_user_id();
            item["read_only"] = conv.read_only();
          } else {
            item["name"] = conv.name();
            item["read_only"] = conv.left();  // a group left: its history up to the leave
            if (conv.left()) item["left"] = true;
          }
          if (conv.has_last_message()) item["last_message"] = MessageJson(conv.last_message());
          list.push_back(std::move(item));
        }
        return http::Response::Json(200, {{"conversations", list}});
      });

  gw.Route(
      "POST", "/v1/conversations", true, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
        ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
        messaging::v1::CreateConversationRequest request;
        request.set_creator_id(c.user_id());
        ASSIGN_OR_RETURN(*request.mutable_name(), body.RequiredString("name"));
        ASSIGN_OR_RETURN(std::vector<std::string> members,
                         body.RequiredStringArray("member_ids", kMaxMembersPerCreate));
        for (auto& m : members) request.add_member_ids(std::move(m));
        messaging::v1::Conversation response;
        RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::CreateConversation,
                                request, &response));
        return http::Response::Json(201, {{"conversation_id", response.conversation_id()},
                                          {"type", "group"},
                                          {"name", response.name()},
                                          {"member_ids", response.member_ids()}});
      });

  gw.Route("GET", "/v1/conversations/{id:room}/messages", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             messaging::v1::GetMessagesRequest request;
             request.set_user_id(c.user_id());
             request.set_conversation_id(c.params["id"]);
             ASSIGN_OR_RETURN(int64_t before, c.query.Int("before_seq", 1, INT64_MAX, 0));
             ASSIGN_OR_RETURN(int64_t limit, c.query.Int("limit", 1, 100, 50));
             request.set_before_seq(before);
             request.set_limit(static_cast<int32_t>(limit));
             messaging::v1::GetMessagesResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::GetMessages,
                                     request, &response));
             nlohmann::json messages = nlohmann::json::array();
             for (const auto& m : response.messages()) messages.push_back(MessageJson(m));
             nlohmann::json out = {{"messages", messages}};
             if (response.next_before_seq() > 0)
               out["next_before_seq"] = response.next_before_seq();
             return http::Response::Json(200, out);
           });

  gw.Route("POST", "/v1/conversations/{id:room}/seen", true,
           [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(c.request.body));
             messaging::v1::MarkSeenRequest request;
             request.set_user_id(c.user_id());
             request.set_conversation_id(c.params["id"]);
             ASSIGN_OR_RETURN(int64_t seq, body.RequiredInt("seq"));
             request.set_seq(seq);
             messaging::v1::MarkSeenResponse response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().messaging, &MessagingService::Stub::MarkSeen,
                                     request, &response));
             return http::Response::Empty(204);
           });

  gw.RouteAsync("GET", "/v1/sync", true, [&gw, memo](RouteContext& c, AsyncDone done) {
    absl::StatusOr<int64_t> timeout = c.query.Int("timeout_ms", 0, 30'000, 0);
    if (!timeout.ok()) return done(timeout.status());
    absl::StatusOr<std::string> since = c.query.SyncToken("since");
    if (!since.ok()) return done(since.status());
    // The poll waits here, not in messaging: a parked request is a waiter in
    // the gateway's hub (no thread, no gRPC call); each look is a zero-timeout
    // Sync call, and the first one is skipped when the memo says it would
    // find nothing.
    auto poll = std::make_shared<SyncPoll>();
    poll->gateway = &gw;
    poll->memo = memo;
    poll->user_id = c.user_id();
    poll->since = std::move(*since);
    poll->started = absl::Now();
    poll->deadline = poll->started + absl::Milliseconds(*timeout);
    poll->done = std::move(done);
    const uint64_t version = gw.sync_hub().Version(poll->user_id);
    if (*timeout > 0 && !poll->since.empty() &&
        memo->NothingSince(poll->user_id, poll->since, version)) {
      return Park(poll, version, poll->deadline);
    }
    Look(poll);
  });
}

namespace {

void Look(std::shared_ptr<SyncPoll> poll) {
  Gateway& gw = *poll->gateway;
  messaging::v1::SyncRequest request;
  request.set_user_id(poll->user_id);
  request.set_since(poll->since);
  const uint64_t version = gw.sync_hub().Version(poll->user_id);
  const absl::Time now = absl::Now();
  // A long poll looks until its own deadline (issue 15): a look that a loaded
  // server cannot answer by then answers nothing new, which the client polls
  // again, instead of a 504 for a poll that simply waited. Near its end it
  // still gets a moment, at most MESSENGER_RPC_TIMEOUT_MS.
  const bool long_poll = !poll->since.empty() && poll->deadline > poll->started;
  const absl::Time look_by =
      long_poll
          ? std::max(poll->deadline, now + std::min(gw.config().rpc_timeout, kLastLookAtLeast))
          : now + gw.config().rpc_timeout;
  gw.CallAsync<messaging::v1::SyncRequest, messaging::v1::SyncResponse>(
      [&gw, look_by](auto* context, auto* request, auto* response, auto on_done) {
        context->set_deadline(absl::ToChronoTime(look_by));
        gw.stubs().messaging->async()->Sync(context, request, response, std::move(on_done));
      },
      std::move(request),
      [poll, version, long_poll](absl::Status status, const messaging::v1::SyncResponse& r) {
        if (long_poll && absl::IsDeadlineExceeded(status)) return AnswerNothingNew(*poll);
        if (!status.ok()) return poll->done(status);
        WaitHub& hub = poll->gateway->sync_hub();
        const absl::Time now = absl::Now();
        if (r.events_size() > 0 || poll->since.empty() || now >= poll->deadline || hub.stopping()) {
          // (A first sync's answer says nothing about news held back.)
          if (r.lagging() || poll->since.empty()) {
            poll->memo->Forget(poll->user_id);
          } else {
            poll->memo->Remember(poll->user_id, r.next(), version);
          }
          return poll->done(http::Response::Json(200, SyncBodyJson(r)));
        }
        // News for this user that is not readable yet (its commit is open, or
        // another commit holds the watermark back; the latter wakes nobody
        // here): look again in a moment instead of waiting.
        const absl::Time wake_by =
            r.lagging() ? std::min(poll->deadline, now + absl::Milliseconds(2)) : poll->deadline;
        Park(poll, version, wake_by);
      });
}

// Waits for a wake-up; a poll pushed out by a newer one of the same user (past
// MESSENGER_SYNC_POLLS_PER_USER) answers at once with nothing new.
void Park(std::shared_ptr<SyncPoll> poll, uint64_t version, absl::Time wake_by) {
  poll->gateway->sync_hub().Wait(
      poll->user_id, version, wake_by, [poll] { Look(poll); }, [poll] { AnswerNothingNew(*poll); });
}

}  // namespace

}  // namespace messenger::gateway
