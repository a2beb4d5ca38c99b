#include "messaging-service/src/service/messaging_manager.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/text.h"
#include "common/time_util.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/events/messaging_events.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {
namespace {

absl::StatusOr<std::string> UserUuid(const std::string& raw) {
  if (!IsUuid(raw)) return absl::InvalidArgumentError("user ids are UUIDs");
  return text::ToLowerAscii(raw);
}

absl::Status NoSuchConversation() { return absl::NotFoundError("no such conversation"); }

// Kept with the client_msg_id: a retry must repeat sender, target and text.
// Fields are length-prefixed so that no two requests share an input.
std::string RequestHash(const std::string& sender, const SendInput& in) {
  const std::string target = in.to_user_id ? "to:" + text::ToLowerAscii(*in.to_user_id)
                                           : "in:" + in.conversation_id.value_or("");
  return HexEncode(Sha256(absl::StrCat(sender.size(), ":", sender, target.size(), ":", target,
                                       in.text.size(), ":", in.text)));
}

}  // namespace

MessagingManager::MessagingManager(MessagingStore& store, FriendChecker& friends,
                                   StreamTracker& tracker, WaitHub& hub, std::string server_name,
                                   matrix::Ed25519Key key, const Clock& clock, Rng& rng,
                                   MessagingLimits limits)
    : store_(store),
      friends_(friends),
      tracker_(tracker),
      hub_(hub),
      server_name_(std::move(server_name)),
      key_(std::move(key)),
      clock_(clock),
      rng_(rng),
      rooms_("messaging_loaded_rooms", limits.loaded_rooms),
      mxids_("messaging_user_names", limits.cache_entries),
      direct_rooms_("messaging_direct_rooms", limits.cache_entries),
      room_rows_("messaging_room_rows", limits.cache_entries),
      friends_until_("messaging_friendships", limits.cache_entries) {}

std::string MessagingManager::MessageText(const std::string& pdu) {
  nlohmann::json json = nlohmann::json::parse(pdu, nullptr, false);
  if (!json.is_object() || !json.contains("content") || !json["content"].is_object()) return "";
  const auto& content = json["content"];
  if (!content.contains("body") || !content["body"].is_string()) return "";
  return content["body"].get<std::string>();
}

std::shared_ptr<MessagingManager::RoomHandle> MessagingManager::Handle(const std::string& room_id) {
  std::lock_guard lock(rooms_mutex_);
  if (std::optional<std::shared_ptr<RoomHandle>> known = rooms_.Get(room_id)) return *known;
  auto handle = std::make_shared<RoomHandle>();
  rooms_.Put(room_id, handle);
  return handle;
}

absl::StatusOr<std::map<std::string, std::string>> MessagingManager::MatrixIds(
    const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (std::optional<std::string> known = mxids_.Get(id)) {
      out[id] = std::move(*known);
    } else {
      missing.push_back(id);
    }
  }
  if (missing.empty()) return out;
  ASSIGN_OR_RETURN(auto names, store_.Usernames(missing));
  for (const auto& id : missing) {
    auto it = names.find(id);
    if (it == names.end()) {
      // user.created not applied here yet: retryable, not an error of the caller.
      return absl::UnavailableError("user not known to messaging yet; retry shortly");
    }
    ASSIGN_OR_RETURN(out[id], matrix::MakeUserId(it->second, server_name_));
  }
  for (const auto& id : missing) mxids_.Put(id, out[id]);  // usernames never change
  return out;
}

absl::StatusOr<std::string> MessagingManager::MatrixId(const std::string& user_id) {
  ASSIGN_OR_RETURN(auto ids, MatrixIds({user_id}));
  return ids[user_id];
}

int64_t MessagingManager::AllocatePosition(pg::Tx& tx, absl::Span<const std::string> readers) {
  const int64_t position = tracker_.Allocate(readers);
  tx.Finally([this, position](bool) { tracker_.Finish(position); });
  return position;
}

absl::Status MessagingManager::WriteEvents(MessagingTx& tx, RoomRow& row, RoomHandle& handle,
                                           const std::vector<Draft>& drafts,
                                           std::vector<StoredEvent>& out,
                                           std::optional<std::string>& last_message) {
  const absl::Time now = clock_.Now();
  for (const Draft& draft : drafts) {
    ASSIGN_OR_RETURN(matrix::Event event,
                     handle.room->Append(draft.event, absl::ToUnixMillis(now), server_name_, key_));
    StoredEvent stored;
    stored.event_id = event.event_id();
    stored.room_id = row.room_id;
    stored.seq = ++row.last_seq;
    // Its readers: the room's joined members, and the member it changes.
    if (draft.member_id) {
      std::vector<std::string> readers = handle.joined;
      readers.push_back(*draft.member_id);
      stored.stream_pos = AllocatePosition(tx.tx(), readers);
    } else {
      stored.stream_pos = AllocatePosition(tx.tx(), handle.joined);
    }
    stored.sender = draft.sender_id;
    stored.type = event.type();
    stored.state_key = event.state_key();
    stored.origin_server_ts = event.origin_server_ts();
    stored.pdu = event.canonical_json();
    row.depth = event.depth();
    row.tip_event_id = event.event_id();
    row.last_event_at = now;
    if (event.is_state()) {
      const StateEntry entry{event.type(), *event.state_key(), event.event_id()};
      std::vector<StateEntry> full;
      for (const auto& [key, state_event] : handle.room->state()) {
        full.push_back({key.type, key.state_key, state_event.event_id()});
      }
      ASSIGN_OR_RETURN(row.state_group,
                       tx.NewStateGroup(row.room_id, row.state_group, {entry}, full));
      RETURN_IF_ERROR(tx.PutCurrentState(row.room_id, entry));
      if (event.type() == matrix::kMemberType && draft.member_id) {
        const std::string membership = event.membership();
        RETURN_IF_ERROR(
            tx.PutMembership(row.room_id, *draft.member_id, membership, event.event_id()));
        auto& joined = handle.joined;
        joined.erase(std::remove(joined.begin(), joined.end(), *draft.member_id), joined.end());
        if (membership == "join") joined.push_back(*draft.member_id);
      }
      if (event.type() == matrix::kNameType && event.content().contains("name") &&
          event.content()["name"].is_string()) {
        row.name = event.content()["name"].get<std::string>();
      }
    }
    if (event.type() == matrix::kMessageType) last_message = event.event_id();
    stored.state_group = row.state_group;
    RETURN_IF_ERROR(tx.InsertEvent(stored));
    out.push_back(std::move(stored));
  }
  return absl::OkStatus();
}

void MessagingManager::WaitIdle(RoomHandle& handle, std::unique_lock<std::mutex>& lock) {
  ++handle.blocked;
  handle.idle.wait(lock, [&] { return !handle.writing; });
  --handle.blocked;
}

absl::StatusOr<std::vector<StoredEvent>> MessagingManager::Append(
    const std::string& room_id, const std::vector<Draft>& drafts,
    const std::function<absl::Status(MessagingTx&, const std::vector<StoredEvent>&,
                                     const std::vector<std::string>&)>& extra) {
  std::shared_ptr<RoomHandle> handle = Handle(room_id);
  std::unique_lock lock(handle->mutex);
  WaitIdle(*handle, lock);
  std::vector<StoredEvent> written;
  std::vector<std::string> notify;
  absl::Status status = store_.Transaction([&](MessagingTx& tx) -> absl::Status {
    written.clear();
    ASSIGN_OR_RETURN(std::optional<RoomRow> row, tx.LockRoom(room_id));
    if (!row) return NoSuchConversation();
    if (!handle->room || handle->depth != row->depth ||
        handle->room->forward_extremities() != std::vector<std::string>{row->tip_event_id}) {
      // Not loaded yet, or another process appended: load the current state.
      ASSIGN_OR_RETURN(std::vector<std::string> pdus, tx.CurrentStatePdus(room_id));
      matrix::StateMap state;
      for (const std::string& pdu : pdus) {
        ASSIGN_OR_RETURN(matrix::Event event, matrix::Event::Parse(pdu));
        RETURN_IF_ERROR(state.Put(event));
      }
      handle->room = matrix::Room::Restore(room_id, std::move(state), {row->tip_event_id}, row->depth);
      ASSIGN_OR_RETURN(handle->joined, tx.JoinedMembers(room_id));
    }
    std::optional<std::string> last_message;
    RETURN_IF_ERROR(WriteEvents(tx, *row, *handle, drafts, written, last_message));
    RETURN_IF_ERROR(tx.UpdateRoom(*row, last_message));
    RETURN_IF_ERROR(extra(tx, written, handle->joined));
    handle->depth = row->depth;
    handle->last_seq = row->last_seq;
    notify = handle->joined;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    handle->room.reset();  // it may hold events that did not commit
    handle->depth = -1;
    handle->last_seq = -1;
    return status;
  }
  hub_.Notify(notify);
  return written;
}

absl::StatusOr<RoomRow> MessagingManager::CreateRoom(const std::string& creator_id,
                                                     const std::string& kind,
                                                     const std::optional<std::string>& name,
                                                     const std::optional<std::string>& direct_key,
                                                     const std::vector<std::string>& member_ids) {
  std::vector<std::string> everyone = {creator_id};
  everyone.insert(everyone.end(), member_ids.begin(), member_ids.end());
  ASSIGN_OR_RETURN(auto mxids, MatrixIds(everyone));
  const std::string& creator = mxids[creator_id];
  ASSIGN_OR_RETURN(std::string room_id, matrix::NewRoomId(rng_, server_name_));

  nlohmann::json power_levels = matrix::DefaultPowerLevelsContent(creator);
  if (kind == "direct") {
    for (const auto& m : member_ids) power_levels["users"][mxids[m]] = 100;  // equals in a pair
  }
  auto state = [&](const std::string& type, nlohmann::json content, const std::string& key = "") {
    return Draft{{creator, type, key, std::move(content), std::nullopt}, creator_id, std::nullopt};
  };
  std::vector<Draft> drafts;
  drafts.push_back(state(matrix::kCreateType, {{"room_version", "10"}, {"creator", creator}}));
  drafts.push_back(Draft{{creator, matrix::kMemberType, creator, {{"membership", "join"}}, std::nullopt},
                         creator_id, creator_id});
  drafts.push_back(state(matrix::kPowerLevelsType, power_levels));
  drafts.push_back(state(matrix::kJoinRulesType, {{"join_rule", "invite"}}));
  drafts.push_back(state(matrix::kHistoryVisibilityType, {{"history_visibility", "shared"}}));
  if (name) drafts.push_back(state(matrix::kNameType, {{"name", *name}}));
  for (const auto& m : member_ids) {
    nlohmann::json invite = {{"membership", "invite"}};
    if (kind == "direct") invite["is_direct"] = true;
    drafts.push_back(Draft{{creator, matrix::kMemberType, mxids[m], invite, std::nullopt}, creator_id, m});
    drafts.push_back(Draft{{mxids[m], matrix::kMemberType, mxids[m], {{"membership", "join"}}, std::nullopt},
                           m, m});
  }

  RoomRow row;
  row.room_id = room_id;
  row.kind = kind;
  row.name = name;
  row.creator = creator_id;
  row.direct_key = direct_key;
  row.created_at = clock_.Now();
  row.last_event_at = row.created_at;
  auto handle = Handle(room_id);
  std::unique_lock lock(handle->mutex);
  WaitIdle(*handle, lock);
  absl::Status status = store_.Transaction([&](MessagingTx& tx) -> absl::Status {
    RoomRow working = row;
    handle->room = matrix::Room(room_id);
    handle->joined.clear();
    RETURN_IF_ERROR(tx.InsertRoom(working));
    std::vector<StoredEvent> written;
    std::optional<std::string> last_message;
    RETURN_IF_ERROR(WriteEvents(tx, working, *handle, drafts, written, last_message));
    RETURN_IF_ERROR(tx.UpdateRoom(working, last_message));
    for (const auto& user : everyone) {
      RETURN_IF_ERROR(tx.InsertNotice(AllocatePosition(tx.tx(), {user}), user, "conversation", room_id,
                                      std::nullopt));
    }
    handle->depth = working.depth;
    handle->last_seq = working.last_seq;
    row = working;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    handle->room.reset();
    handle->depth = -1;
    return status;
  }
  hub_.Notify(everyone);
  return row;
}

std::optional<RoomRow> MessagingManager::CachedDirectRoom(const std::string& key) {
  return direct_rooms_.Get(key);
}

std::optional<RoomRow> MessagingManager::CachedRoom(const std::string& room_id) {
  return room_rows_.Get(room_id);
}

absl::StatusOr<RoomRow> MessagingManager::DirectRoomFor(const std::string& sender,
                                                        const std::string& peer) {
  const std::string key = DirectKey(sender, peer);
  if (std::optional<RoomRow> cached = CachedDirectRoom(key)) return *cached;
  ASSIGN_OR_RETURN(std::optional<RoomRow> existing, store_.FindDirectRoom(key));
  if (!existing) {
    absl::StatusOr<RoomRow> created = CreateRoom(sender, "direct", std::nullopt, key, {peer});
    if (created.ok()) {
      existing = *created;
    } else if (pg::IsUniqueViolation(created.status())) {
      // The other user created it at the same moment: use theirs.
      ASSIGN_OR_RETURN(existing, store_.FindDirectRoom(key));
      if (!existing) return created.status();
    } else {
      return created.status();
    }
  }
  direct_rooms_.Put(key, *existing);
  room_rows_.Put(existing->room_id, *existing);
  return *existing;
}

absl::StatusOr<std::optional<SentMessage>> MessagingManager::Earlier(
    const std::string& sender, const std::string& device_id, const std::string& client_msg_id,
    const std::string& request_hash) {
  ASSIGN_OR_RETURN(std::optional<SentRecord> sent,
                   store_.FindSent(sender, device_id, client_msg_id));
  if (!sent) return std::nullopt;
  if (sent->request_hash && *sent->request_hash != request_hash) {
    return absl::AlreadyExistsError("client_msg_id was already used for a different message");
  }
  return SentMessage{std::move(sent->message), true};
}

absl::StatusOr<RoomRow> MessagingManager::KnownRoom(const std::string& room_id) {
  if (std::optional<RoomRow> cached = CachedRoom(room_id)) return *cached;
  ASSIGN_OR_RETURN(std::optional<RoomRow> found, store_.GetRoom(room_id));
  if (!found) return NoSuchConversation();
  room_rows_.Put(room_id, *found);  // kind and direct_key never change
  return *found;
}

absl::StatusOr<bool> MessagingManager::AreFriends(const std::string& a, const std::string& b) {
  if (KnownFriends(a, b)) return true;
  const std::string key = DirectKey(a, b);
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(bool friends, friends_.AreFriends(a, b));
  if (friends) {
    // friendship.removed evicts it at once; the bound covers a lost event.
    friends_until_.Put(key, now + absl::Minutes(5));
  }
  return friends;
}

absl::Status MessagingManager::ConfirmDirect(const std::string& direct_key) {
  const auto [a, b] = DirectPair(direct_key);
  ASSIGN_OR_RETURN(bool friends, friends_.AreFriends(a, b));
  if (!friends) friends_until_.Erase(direct_key);
  return CheckDirectSend(friends);
}

std::vector<absl::Status> MessagingManager::ConfirmFriendships(
    const std::vector<const FastMessage*>& messages) {
  static metrics::Counter& refused = metrics::Registry::Default().GetCounter(
      "messaging_direct_sends_refused_total",
      "Direct messages refused at commit: the friendship had ended", {});
  std::vector<absl::Status> verdicts(messages.size());
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<size_t> direct;  // indexes of the messages behind `pairs`
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!messages[i]->direct_key) continue;
    pairs.push_back(DirectPair(*messages[i]->direct_key));
    direct.push_back(i);
  }
  if (pairs.empty()) return verdicts;
  absl::StatusOr<std::vector<bool>> friends = friends_.AreFriendsMany(pairs);
  if (friends.ok() && friends->size() != pairs.size()) {
    friends = absl::UnavailableError("cannot check the friendship now");
  }
  for (size_t j = 0; j < direct.size(); ++j) {
    const size_t i = direct[j];
    if (!friends.ok()) {
      verdicts[i] = friends.status();
    } else if (!(*friends)[j]) {
      refused.Inc();
      friends_until_.Erase(*messages[i]->direct_key);
      verdicts[i] = CheckDirectSend(false);
    }
  }
  return verdicts;
}

absl::Status MessagingManager::CheckJoined(const std::string& room_id, const std::string& user_id) {
  ASSIGN_OR_RETURN(std::optional<std::string> membership, store_.Membership(room_id, user_id));
  if (!membership) {
    ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(room_id));
    if (!room) return NoSuchConversation();
    return absl::PermissionDeniedError("you are not a member of this conversation");
  }
  if (*membership != "join") {
    return absl::PermissionDeniedError("you are not a member of this conversation");
  }
  return absl::OkStatus();
}

std::optional<bool> MessagingManager::KnownFriends(const std::string& a, const std::string& b) {
  std::optional<absl::Time> until = friends_until_.Get(DirectKey(a, b));
  if (until && clock_.Now() < *until) return true;
  return std::nullopt;
}

absl::StatusOr<std::optional<MessagingManager::SendTarget>> MessagingManager::ResolveSend(
    const SendInput& in, bool memory_only) {
  ASSIGN_OR_RETURN(std::string sender, UserUuid(in.sender_id));
  RETURN_IF_ERROR(ValidateText(in.text));
  RETURN_IF_ERROR(ValidateClientMsgId(in.client_msg_id));
  if (in.to_user_id.has_value() == in.conversation_id.has_value()) {
    return absl::InvalidArgumentError("give either to or conversation_id");
  }
  // The contact policy; in memory only a remembered "yes" counts.
  auto friends = [&](const std::string& a, const std::string& b) -> absl::StatusOr<std::optional<bool>> {
    if (memory_only) return KnownFriends(a, b);
    ASSIGN_OR_RETURN(bool yes, AreFriends(a, b));
    return yes;
  };
  SendTarget target;
  target.sender = sender;
  if (in.to_user_id) {
    absl::StatusOr<std::string> peer = UserUuid(*in.to_user_id);
    if (!peer.ok()) return absl::NotFoundError("no such user");
    if (*peer == sender) return absl::InvalidArgumentError("you cannot message yourself");
    ASSIGN_OR_RETURN(std::optional<bool> are_friends, friends(sender, *peer));
    if (!are_friends) return std::nullopt;
    if (!*are_friends) {
      // A retry of a message sent while they were friends still answers it.
      ASSIGN_OR_RETURN(std::optional<SentMessage> sent,
                       Earlier(sender, in.device_id, in.client_msg_id, RequestHash(sender, in)));
      if (sent) {
        target.answered = true;
        target.earlier = std::move(*sent);
        return target;
      }
    }
    RETURN_IF_ERROR(CheckDirectSend(*are_friends));
    if (memory_only) {
      std::optional<RoomRow> cached = CachedDirectRoom(DirectKey(sender, *peer));
      if (!cached) return std::nullopt;
      target.room = std::move(*cached);
    } else {
      ASSIGN_OR_RETURN(target.room, DirectRoomFor(sender, *peer));
    }
  } else {
    if (memory_only) {
      std::optional<RoomRow> cached = CachedRoom(*in.conversation_id);
      if (!cached) return std::nullopt;
      target.room = std::move(*cached);
    } else {
      ASSIGN_OR_RETURN(target.room, KnownRoom(*in.conversation_id));
    }
    if (target.room.kind == "direct" && target.room.direct_key) {
      // The pair is in the key; membership itself is checked by the auth rules.
      const auto [a, b] = DirectPair(*target.room.direct_key);
      if (sender != a && sender != b) {
        return absl::PermissionDeniedError("you are not a member of this conversation");
      }
      ASSIGN_OR_RETURN(std::optional<bool> are_friends, friends(a, b));
      if (!are_friends) return std::nullopt;
      RETURN_IF_ERROR(CheckDirectSend(*are_friends));
    }
  }
  if (memory_only) {
    std::optional<std::string> mxid = mxids_.Get(sender);
    if (!mxid) return std::nullopt;
    target.sender_mxid = std::move(*mxid);
  } else {
    ASSIGN_OR_RETURN(target.sender_mxid, MatrixId(sender));
  }
  return target;
}

MessagingManager::Draft MessagingManager::MessageDraft(const SendTarget& target,
                                                       const std::string& text) {
  return Draft{{target.sender_mxid, matrix::kMessageType, std::nullopt,
                {{"msgtype", "m.text"}, {"body", text}}, std::nullopt},
               target.sender, std::nullopt};
}

absl::StatusOr<SentMessage> MessagingManager::Send(const SendInput& in) {
  ASSIGN_OR_RETURN(std::optional<SendTarget> target, ResolveSend(in, /*memory_only=*/false));
  if (!target) return absl::InternalError("send target not resolved");  // IO was allowed
  if (target->answered) return target->earlier;
  const std::string& sender = target->sender;
  const Draft draft = MessageDraft(*target, in.text);
  const std::string& room_id = target->room.room_id;

  // Loaded room: one statement through the batcher.
  std::shared_ptr<RoomHandle> handle = Handle(room_id);
  {
    std::unique_lock lock(handle->mutex);
    WaitIdle(*handle, lock);
    ASSIGN_OR_RETURN(std::optional<FastMessage> message,
                     PrepareFast(*handle, room_id, target->room.direct_key, draft, in));
    if (message) {
      lock.unlock();
      auto m = std::make_shared<const FastMessage>(std::move(*message));
      absl::StatusOr<bool> appended = batcher_.Append(m);
      ASSIGN_OR_RETURN(std::optional<SentMessage> sent, FinishFast(*handle, *m, appended));
      if (sent) return *sent;
    }
  }

  // The room is not loaded here yet (or another process wrote to it): the
  // transaction path loads it under the row lock.
  if (target->room.direct_key) RETURN_IF_ERROR(ConfirmDirect(*target->room.direct_key));
  bool duplicate = false;
  auto extra = [&](MessagingTx& tx, const std::vector<StoredEvent>& events,
                   const std::vector<std::string>& joined) -> absl::Status {
    const StoredEvent& e = events.front();
    ASSIGN_OR_RETURN(bool fresh, tx.InsertSent(sender, in.device_id, in.client_msg_id, e.event_id,
                                               RequestHash(sender, in)));
    if (!fresh) {
      duplicate = true;  // a retry: undo ours, answer the original
      return absl::AbortedError("duplicate send");
    }
    std::vector<std::string> recipients;
    for (const auto& m : joined) {
      if (m != sender) recipients.push_back(m);
    }
    ASSIGN_OR_RETURN(bus::Event event,
                     MessageSentEvent(e.event_id, e.room_id, sender, e.seq, recipients,
                                      absl::FromUnixMillis(e.origin_server_ts), clock_, rng_));
    return tx.Enqueue(event);
  };
  absl::StatusOr<std::vector<StoredEvent>> written = Append(room_id, {draft}, extra);
  if (!written.ok()) {
    if (duplicate) {
      ASSIGN_OR_RETURN(std::optional<SentMessage> sent,
                       Earlier(sender, in.device_id, in.client_msg_id, RequestHash(sender, in)));
      if (sent) return *sent;
    }
    return written.status();
  }
  const StoredEvent& e = written->front();
  return SentMessage{{e.event_id, e.room_id, e.seq, e.sender, e.pdu, e.origin_server_ts}, false};
}

bool MessagingManager::TrySendAsync(const SendInput& in, SendDone done) {
  absl::StatusOr<std::optional<SendTarget>> target = ResolveSend(in, /*memory_only=*/true);
  // Errors go through Send too, so that they are answered in one place.
  if (!target.ok() || !*target || (*target)->answered) return false;
  std::shared_ptr<RoomHandle> handle = Handle((*target)->room.room_id);
  std::unique_lock lock(handle->mutex, std::try_to_lock);
  // A load holding the lock, or threads waiting for the room: take the pool.
  if (!lock.owns_lock() || !handle->room || handle->blocked > 0) return false;
  auto send = std::make_shared<QueuedSend>(
      QueuedSend{(*target)->room.room_id, (*target)->room.direct_key,
                 MessageDraft(**target, in.text), in, std::move(done)});
  if (handle->writing) {
    handle->queued.push_back(std::move(send));  // FinishFast starts it
    return true;
  }
  StartQueued(handle, lock, std::move(send));
  return true;
}

void MessagingManager::StartQueued(const std::shared_ptr<RoomHandle>& handle,
                                   std::unique_lock<std::mutex>& lock,
                                   std::shared_ptr<QueuedSend> send) {
  absl::StatusOr<std::optional<FastMessage>> message =
      PrepareFast(*handle, send->room_id, send->direct_key, send->draft, send->input);
  lock.unlock();
  if (!message.ok()) return send->done(message.status());
  if (!*message) return send->done(std::nullopt);
  auto m = std::make_shared<const FastMessage>(std::move(**message));
  batcher_.AppendAsync(m, [this, handle, m, send](absl::StatusOr<bool> appended) {
    send->done(FinishFast(*handle, *m, appended));
  });
}

absl::StatusOr<std::optional<FastMessage>> MessagingManager::PrepareFast(
    RoomHandle& handle, const std::string& room_id, const std::optional<std::string>& direct_key,
    const Draft& draft, const SendInput& in) {
  if (!handle.room || handle.last_seq < 0) return std::nullopt;
  const absl::Time now = clock_.Now();
  // Authorizes (membership, power) against the room state and moves the tip.
  ASSIGN_OR_RETURN(matrix::Event event,
                   handle.room->Append(draft.event, absl::ToUnixMillis(now), server_name_, key_));
  FastMessage m;
  StoredEvent& e = m.event;
  e.event_id = event.event_id();
  e.room_id = room_id;
  e.seq = handle.last_seq + 1;
  e.sender = draft.sender_id;
  e.type = event.type();
  e.origin_server_ts = event.origin_server_ts();
  e.pdu = event.canonical_json();
  m.depth = event.depth();
  m.at = now;
  m.device_id = in.device_id;
  m.client_msg_id = in.client_msg_id;
  m.request_hash = RequestHash(draft.sender_id, in);
  m.direct_key = direct_key;
  std::vector<std::string> recipients;
  for (const auto& member : handle.joined) {
    if (member != draft.sender_id) recipients.push_back(member);
  }
  absl::StatusOr<bus::Event> outbox_event =
      MessageSentEvent(e.event_id, room_id, draft.sender_id, e.seq, recipients,
                       absl::FromUnixMillis(e.origin_server_ts), clock_, rng_);
  if (!outbox_event.ok()) {
    handle.room.reset();  // holds the event just built
    handle.last_seq = -1;
    handle.depth = -1;
    return outbox_event.status();
  }
  m.outbox_event = std::move(*outbox_event);
  e.stream_pos = tracker_.Allocate(handle.joined);
  handle.writing = true;
  return m;
}

absl::StatusOr<std::optional<SentMessage>> MessagingManager::FinishFast(
    RoomHandle& handle, const FastMessage& m, const absl::StatusOr<bool>& appended) {
  const StoredEvent& e = m.event;
  tracker_.Finish(e.stream_pos);
  std::vector<std::string> notify;
  std::shared_ptr<QueuedSend> next;
  std::deque<std::shared_ptr<QueuedSend>> to_pool;
  {
    std::unique_lock lock(handle.mutex);
    handle.writing = false;
    if (appended.ok() && *appended) {
      handle.last_seq = e.seq;
      handle.depth = m.depth;
      notify = handle.joined;
    } else {
      handle.room.reset();  // holds an event that did not commit
      handle.last_seq = -1;
      handle.depth = -1;
    }
    if (handle.blocked > 0 || !handle.room) {
      to_pool.swap(handle.queued);  // waiting threads go first; a reload needs IO
    } else if (!handle.queued.empty()) {
      next = std::move(handle.queued.front());
      handle.queued.pop_front();
      StartQueued(handle.shared_from_this(), lock, std::move(next));
    }
  }
  handle.idle.notify_all();
  for (auto& send : to_pool) send->done(std::nullopt);
  if (!appended.ok()) {
    // A reused key, or a refused direct message that may be a retry of one
    // sent while the pair were friends: the original answers it.
    if (pg::IsUniqueViolation(appended.status(), "sent_messages_pkey") ||
        absl::IsPermissionDenied(appended.status())) {
      ASSIGN_OR_RETURN(std::optional<SentMessage> sent,
                       Earlier(e.sender, m.device_id, m.client_msg_id, m.request_hash));
      if (sent) return *sent;
    }
    return appended.status();
  }
  if (!*appended) return std::nullopt;  // another process moved the room on: reload
  hub_.Notify(notify);
  return SentMessage{{e.event_id, e.room_id, e.seq, e.sender, e.pdu, e.origin_server_ts}, false};
}

absl::StatusOr<HistoryPage> MessagingManager::History(const std::string& user_id,
                                                      const std::string& room_id,
                                                      int64_t before_seq, int limit) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  ASSIGN_OR_RETURN(int page, PageSize(limit));
  if (before_seq < 0) return absl::InvalidArgumentError("before_seq must not be negative");
  RETURN_IF_ERROR(CheckJoined(room_id, user));
  ASSIGN_OR_RETURN(std::vector<MessageRow> rows, store_.Messages(room_id, before_seq, page + 1));
  HistoryPage out;
  if (static_cast<int>(rows.size()) > page) {
    rows.resize(page);
    out.next_before_seq = rows.back().seq;
  }
  out.messages = std::move(rows);
  return out;
}

absl::StatusOr<std::vector<ConversationRow>> MessagingManager::Conversations(
    const std::string& user_id) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  return store_.Conversations(user);
}

absl::StatusOr<RoomRow> MessagingManager::CreateGroup(const std::string& creator_id,
                                                      std::string_view name,
                                                      const std::vector<std::string>& member_ids) {
  ASSIGN_OR_RETURN(std::string creator, UserUuid(creator_id));
  ASSIGN_OR_RETURN(std::string clean_name, NormalizeGroupName(name));
  if (member_ids.empty()) return absl::InvalidArgumentError("member_ids must not be empty");
  if (member_ids.size() > kMaxGroupMembers) {
    return absl::InvalidArgumentError("too many members");
  }
  std::set<std::string> unique;
  for (const auto& raw : member_ids) {
    absl::StatusOr<std::string> id = UserUuid(raw);
    if (!id.ok()) return absl::InvalidArgumentError("member_ids must be user ids");
    if (*id != creator) unique.insert(*id);
  }
  if (unique.empty()) return absl::InvalidArgumentError("a group needs someone besides you");
  // Asked, not remembered: a removal that committed must count.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& member : unique) pairs.emplace_back(creator, member);
  ASSIGN_OR_RETURN(std::vector<bool> friends, friends_.AreFriendsMany(pairs));
  if (friends.size() != pairs.size() ||
      std::find(friends.begin(), friends.end(), false) != friends.end()) {
    return absl::PermissionDeniedError("every member must be one of your contacts");
  }
  return CreateRoom(creator, "group", clean_name, std::nullopt,
                    std::vector<std::string>(unique.begin(), unique.end()));
}

absl::Status MessagingManager::MarkSeen(const std::string& user_id, const std::string& room_id,
                                        int64_t seq) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  RETURN_IF_ERROR(CheckJoined(room_id, user));
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(room_id));
  if (!room) return NoSuchConversation();
  if (seq < 1 || seq > room->last_seq) {
    return absl::InvalidArgumentError("seq is not a position of this conversation");
  }
  std::vector<std::string> notify;
  RETURN_IF_ERROR(store_.Transaction([&](MessagingTx& tx) -> absl::Status {
    const absl::Time now = clock_.Now();
    ASSIGN_OR_RETURN(std::vector<std::string> joined, tx.JoinedMembers(room_id));
    ASSIGN_OR_RETURN(bool advanced, tx.AdvanceReceipt(room_id, user, seq,
                                                      AllocatePosition(tx.tx(), joined), now));
    if (!advanced) return absl::OkStatus();  // already read that far
    ASSIGN_OR_RETURN(bus::Event event, MessageSeenEvent(room_id, user, seq, now, clock_, rng_));
    RETURN_IF_ERROR(tx.Enqueue(event));
    notify = std::move(joined);
    return absl::OkStatus();
  }));
  hub_.Notify(notify);
  return absl::OkStatus();
}

absl::StatusOr<std::string> MessagingManager::Invite(const std::string& inviter_id,
                                                     const std::string& room_id,
                                                     const std::string& invitee_id) {
  ASSIGN_OR_RETURN(std::string inviter, UserUuid(inviter_id));
  absl::StatusOr<std::string> invitee = UserUuid(invitee_id);
  if (!invitee.ok()) return absl::NotFoundError("no such user");
  RETURN_IF_ERROR(CheckJoined(room_id, inviter));
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(room_id));
  if (!room) return NoSuchConversation();
  if (room->kind == "direct") {
    return absl::PermissionDeniedError("a direct conversation has exactly two members");
  }
  ASSIGN_OR_RETURN(bool friends, friends_.AreFriends(inviter, *invitee));  // asked, not remembered
  if (!friends) return absl::PermissionDeniedError("you can invite only your contacts");
  ASSIGN_OR_RETURN(auto mxids, MatrixIds({inviter, *invitee}));
  Draft draft{{mxids[inviter], matrix::kMemberType, mxids[*invitee], {{"membership", "invite"}},
               std::nullopt},
              inviter, *invitee};
  auto extra = [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                   const std::vector<std::string>&) {
    return tx.InsertNotice(AllocatePosition(tx.tx(), {*invitee}), *invitee, "conversation", room_id,
                           std::nullopt);
  };
  ASSIGN_OR_RETURN(std::vector<StoredEvent> written, Append(room_id, {draft}, extra));
  hub_.Notify({*invitee});
  return written.front().event_id;
}

absl::StatusOr<SyncBatch> MessagingManager::SyncOnce(const std::string& user_id, int64_t since) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  constexpr int kMaxRows = 100;
  SyncBatch batch;
  const int64_t watermark = tracker_.Watermark();
  // Read first, then ask the tracker: a position at or below the watermark
  // was allocated (with its readers) before the watermark passed it.
  if (since >= watermark || !tracker_.MayHaveAfter(user, since)) {
    batch.next = std::max(since, watermark);
  } else {
    ASSIGN_OR_RETURN(batch.rows, store_.SyncRows(user, since, watermark, kMaxRows));
    batch.next = static_cast<int>(batch.rows.size()) == kMaxRows ? batch.rows.back().stream_pos
                                                                 : watermark;
  }
  batch.lagging = tracker_.MayHaveAfter(user, batch.next);
  return batch;
}

absl::Status MessagingManager::OnUserCreated(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserCreated data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id()) || data.username().empty()) {
    return absl::InvalidArgumentError("user.created without user_id or username");
  }
  return store_.Within(tx)->AddUser(text::ToLowerAscii(data.user_id()), data.username());
}

absl::Status MessagingManager::OnFriendshipEvent(const bus::Event& event, pg::Tx& tx) {
  auto mtx = store_.Within(tx);
  std::vector<std::string> notify;
  // User ids as stored and as sync asks for them (the tracker's readers).
  auto notice = [&](const std::string& raw_user, const std::string& kind, const std::string& other) {
    const std::string user = text::ToLowerAscii(raw_user);
    notify.push_back(user);
    return mtx->InsertNotice(AllocatePosition(tx, {user}), user, kind, std::nullopt, other);
  };
  if (event.type == "friendship.created") {
    events::v1::FriendshipCreated data;
    RETURN_IF_ERROR(event.DataTo(data));
    RETURN_IF_ERROR(notice(data.addressee_id(), "contact_request", data.requester_id()));
  } else if (event.type == "friendship.accepted" || event.type == "friendship.removed") {
    const bool accepted = event.type == "friendship.accepted";
    std::string a, b;
    if (accepted) {
      events::v1::FriendshipAccepted data;
      RETURN_IF_ERROR(event.DataTo(data));
      a = data.user_a();
      b = data.user_b();
    } else {
      events::v1::FriendshipRemoved data;
      RETURN_IF_ERROR(event.DataTo(data));
      a = data.user_a();
      b = data.user_b();
    }
    if (!IsUuid(a) || !IsUuid(b)) return absl::InvalidArgumentError("friendship event without users");
    if (!accepted) {
      friends_until_.Erase(DirectKey(a, b));
    }
    // Removing the friendship makes the pair's direct room read-only; a new
    // friendship opens the same room again (history kept).
    RETURN_IF_ERROR(mtx->SetDirectReadOnly(DirectKey(a, b), !accepted));
    const std::string kind = accepted ? "contact_accepted" : "contact_removed";
    RETURN_IF_ERROR(notice(a, kind, b));
    RETURN_IF_ERROR(notice(b, kind, a));
  } else {
    return absl::OkStatus();
  }
  tx.AfterCommit([this, notify] { hub_.Notify(notify); });
  return absl::OkStatus();
}

}  // namespace messenger::messaging
