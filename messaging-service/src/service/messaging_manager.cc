#include "messaging-service/src/service/messaging_manager.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/text.h"
#include "common/time_util.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/group_rules.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/power_levels.h"

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
  std::string fields = absl::StrCat(sender.size(), ":", sender, target.size(), ":", target,
                                    in.text.size(), ":", in.text);
  if (in.reply_to) absl::StrAppend(&fields, "reply:", in.reply_to->size(), ":", *in.reply_to);
  return HexEncode(Sha256(fields));
}

}  // namespace

MessagingManager::MessagingManager(MessagingStore& store, FriendChecker& friends,
                                   CommitAnnouncer& announcer, std::string server_name,
                                   matrix::Ed25519Key key, const Clock& clock, Rng& rng,
                                   MessagingLimits limits)
    : store_(store),
      friends_(friends),
      announcer_(announcer),
      server_name_(server_name),
      clock_(clock),
      rng_(rng),
      mxids_("messaging_user_names", limits.cache_entries),
      direct_rooms_("messaging_direct_rooms", limits.cache_entries),
      room_rows_("messaging_room_rows", limits.cache_entries),
      friends_until_("messaging_friendships", limits.cache_entries),
      max_group_members_(limits.max_group_members),
      sync_reads_(store, kSyncPageRows, limits.sync_reads),
      writer_(store, announcer, std::move(server_name), std::move(key), clock, rng,
              {.loaded_rooms = limits.loaded_rooms},
              [this](const std::vector<const FastMessage*>& messages) {
                return ConfirmFriendships(messages);
              }) {}

std::string MessagingManager::MessageText(const std::string& pdu) {
  nlohmann::json json = nlohmann::json::parse(pdu, nullptr, false);
  if (!json.is_object() || !json.contains("content") || !json["content"].is_object()) return "";
  const auto& content = json["content"];
  if (!content.contains("body") || !content["body"].is_string()) return "";
  return content["body"].get<std::string>();
}

absl::StatusOr<std::string> MessagingManager::MatrixIdNotYetKnown(const std::string& user_id) {
  // user.created not applied here yet (a sync right after register): the
  // account's owner answers; without it the caller may retry.
  if (!account_lookup_) {
    return absl::UnavailableError("user not known to messaging yet; retry shortly");
  }
  ASSIGN_OR_RETURN(std::optional<AuthAccount> account, account_lookup_(user_id));
  if (!account.has_value()) return absl::NotFoundError("no such user");
  return matrix::MakeUserId(account->username, server_name_);
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
      ASSIGN_OR_RETURN(out[id], MatrixIdNotYetKnown(id));
      continue;
    }
    // A remote user's username is its full Matrix id (remote_users.h).
    if (it->second.starts_with('@')) {
      out[id] = it->second;
      continue;
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
    return WriteDraft{
        {creator, type, key, std::move(content), std::nullopt}, creator_id, std::nullopt};
  };
  std::vector<WriteDraft> drafts;
  drafts.push_back(state(matrix::kCreateType, {{"room_version", "10"}, {"creator", creator}}));
  drafts.push_back(
      WriteDraft{{creator, matrix::kMemberType, creator, {{"membership", "join"}}, std::nullopt},
                 creator_id,
                 creator_id});
  drafts.push_back(state(matrix::kPowerLevelsType, power_levels));
  drafts.push_back(state(matrix::kJoinRulesType, {{"join_rule", "invite"}}));
  drafts.push_back(state(matrix::kHistoryVisibilityType, {{"history_visibility", "shared"}}));
  if (name) drafts.push_back(state(matrix::kNameType, {{"name", *name}}));
  for (const auto& m : member_ids) {
    // A remote peer is invited over federation once the room exists and
    // joins from its own server (remote_direct_rooms.cc).
    if (IsRemoteUser(mxids[m])) continue;
    nlohmann::json invite = {{"membership", "invite"}};
    if (kind == "direct") invite["is_direct"] = true;
    drafts.push_back(
        WriteDraft{{creator, matrix::kMemberType, mxids[m], invite, std::nullopt}, creator_id, m});
    drafts.push_back(WriteDraft{
        {mxids[m], matrix::kMemberType, mxids[m], {{"membership", "join"}}, std::nullopt}, m, m});
  }

  RoomRow row;
  row.room_id = room_id;
  row.kind = kind;
  row.name = name;
  row.creator = creator_id;
  row.direct_key = direct_key;
  row.created_at = clock_.Now();
  row.last_event_at = row.created_at;
  std::erase_if(everyone, [&](const std::string& id) { return IsRemoteUser(mxids[id]); });
  return writer_.CreateRoom(std::move(row), drafts, everyone);
}

std::optional<RoomRow> MessagingManager::CachedDirectRoom(const std::string& key) {
  std::optional<KnownDirectRoom> known = direct_rooms_.Get(key);
  if (!known || clock_.Now() - known->read_at >= kDirectRoomTtl) return std::nullopt;
  return std::move(known->row);
}

void MessagingManager::RememberDirectRoom(const std::string& key, const RoomRow& row) {
  direct_rooms_.Put(key, {row, clock_.Now()});
}

std::optional<RoomRow> MessagingManager::CachedRoom(const std::string& room_id) {
  return room_rows_.Get(room_id);
}

absl::StatusOr<RoomRow> MessagingManager::DirectRoomFor(const std::string& sender,
                                                        const std::string& peer) {
  const std::string key = DirectKey(sender, peer);
  if (std::optional<RoomRow> cached = CachedDirectRoom(key)) return *cached;
  ASSIGN_OR_RETURN(std::string peer_mxid, MatrixId(peer));
  if (IsRemoteUser(peer_mxid)) return RemoteDirectRoomFor(sender, peer, peer_mxid);
  ASSIGN_OR_RETURN(std::optional<RoomRow> existing, store_.FindDirectRoom(key));
  // Creation is idempotent: a pair whose room appeared meanwhile (the other
  // user, maybe through another replica) gets that room. A conflict that
  // left no room was about something else (e.g. a stream position another
  // writer used): tried again, then retryable, never a 409 for the caller.
  constexpr int kAttempts = 3;
  for (int attempt = 1; !existing; ++attempt) {
    absl::StatusOr<RoomRow> created = CreateRoom(sender, "direct", std::nullopt, key, {peer});
    if (created.ok()) {
      existing = *created;
    } else if (absl::IsAlreadyExists(created.status())) {
      ASSIGN_OR_RETURN(existing, store_.FindDirectRoom(key));
      if (!existing && attempt == kAttempts) {
        return absl::UnavailableError("the conversation could not be created now; retry shortly");
      }
    } else {
      return created.status();
    }
  }
  RememberDirectRoom(key, *existing);
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
  // Kind and pair never change (glare may supersede the key, same pair).
  room_rows_.Put(room_id, *found);
  return *found;
}

absl::StatusOr<std::optional<RoomRow>> MessagingManager::RoomRowOf(const std::string& room_id) {
  if (std::optional<RoomRow> cached = CachedRoom(room_id)) return cached;
  ASSIGN_OR_RETURN(std::optional<RoomRow> found, store_.GetRoom(room_id));
  if (found) room_rows_.Put(room_id, *found);
  return found;
}

std::optional<MessagingManager::KnownSend> MessagingManager::KnownMatrixSend(
    const std::string& room_id, const std::string& sender) {
  std::optional<RoomRow> room = CachedRoom(room_id);
  std::optional<std::string> mxid = mxids_.Get(sender);
  if (!room || !mxid) return std::nullopt;
  if (room->kind == "direct" && room->direct_key) {
    const auto [a, b] = DirectPair(*room->direct_key);
    if ((sender != a && sender != b) || !KnownFriends(a, b)) return std::nullopt;
  }
  return KnownSend{std::move(*room), std::move(*mxid)};
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

absl::StatusOr<int64_t> MessagingManager::ReadableBefore(const std::string& room_id,
                                                         const std::string& user_id) {
  ASSIGN_OR_RETURN(std::optional<MembershipAt> at, store_.FindMembership(room_id, user_id));
  if (at && at->membership == "join") return 0;
  if (at && at->membership == "leave") {
    ASSIGN_OR_RETURN(RoomRow room, KnownRoom(room_id));
    if (room.kind == "group") return at->seq;  // what came before the leave stays theirs
  }
  RETURN_IF_ERROR(CheckJoined(room_id, user_id));
  return 0;
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
  auto friends = [&](const std::string& a,
                     const std::string& b) -> absl::StatusOr<std::optional<bool>> {
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
  if (in.reply_to) {
    if (memory_only) return std::nullopt;  // the replied-to message is read from storage
    ASSIGN_OR_RETURN(std::optional<TargetFacts> replied, store_.FindTarget(*in.reply_to));
    RETURN_IF_ERROR(CheckReplyTarget(replied, target.room.room_id));
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

MessageWrite MessagingManager::MessageFor(const SendTarget& target, const SendInput& in) {
  nlohmann::json content = {{"msgtype", "m.text"}, {"body", in.text}};
  if (in.reply_to) AddReplyTo(content, *in.reply_to);
  return MessageWrite{
      target.room.room_id,
      target.room.direct_key,
      {{target.sender_mxid, matrix::kMessageType, std::nullopt, std::move(content), std::nullopt},
       target.sender,
       std::nullopt},
      in.device_id,
      in.client_msg_id,
      RequestHash(target.sender, in)};
}

absl::StatusOr<SentMessage> MessagingManager::Answer(const SendKey& key,
                                                     absl::StatusOr<StoredEvent> written) {
  if (!written.ok()) {
    if (absl::IsAlreadyExists(written.status()) || absl::IsPermissionDenied(written.status())) {
      ASSIGN_OR_RETURN(std::optional<SentMessage> sent,
                       Earlier(key.sender, key.device_id, key.client_msg_id, key.request_hash));
      if (sent) return *sent;
    }
    return written.status();
  }
  const StoredEvent& e = *written;
  return SentMessage{{e.event_id, e.room_id, e.seq, e.sender, e.pdu, e.origin_server_ts}, false};
}

absl::StatusOr<SentMessage> MessagingManager::Send(const SendInput& in) {
  ASSIGN_OR_RETURN(std::optional<SendTarget> target, ResolveSend(in, /*memory_only=*/false));
  if (!target) return absl::InternalError("send target not resolved");  // IO was allowed
  if (target->answered) return target->earlier;
  const MessageWrite write = MessageFor(*target, in);
  return Answer(KeyOf(write), writer_.WriteMessage(write));
}

bool MessagingManager::TrySendAsync(const SendInput& in, SendDone done) {
  absl::StatusOr<std::optional<SendTarget>> target = ResolveSend(in, /*memory_only=*/true);
  // Errors go through Send too, so that they are answered in one place.
  if (!target.ok() || !*target || (*target)->answered) return false;
  MessageWrite write = MessageFor(**target, in);
  SendKey key = KeyOf(write);
  return writer_.TryWriteMessage(std::move(write),
                                 [this, key = std::move(key), done = std::move(done)](
                                     absl::StatusOr<std::optional<StoredEvent>> written) {
                                   if (written.ok() && !*written) return done(std::nullopt);
                                   if (written.ok()) return done(Answer(key, std::move(**written)));
                                   done(Answer(key, written.status()));
                                 });
}

absl::StatusOr<HistoryPage> MessagingManager::History(const std::string& user_id,
                                                      const std::string& room_id,
                                                      int64_t before_seq, int limit) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  ASSIGN_OR_RETURN(int page, PageSize(limit));
  if (before_seq < 0) return absl::InvalidArgumentError("before_seq must not be negative");
  ASSIGN_OR_RETURN(const int64_t bound, ReadableBefore(room_id, user));
  if (bound > 0 && (before_seq == 0 || before_seq > bound)) before_seq = bound;
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
  ASSIGN_OR_RETURN(std::vector<ConversationRow> rows, store_.Conversations(user));
  ASSIGN_OR_RETURN(std::vector<ConversationRow> left, store_.LeftConversations(user));
  for (ConversationRow& row : left) rows.push_back(std::move(row));  // after the active ones
  return rows;
}

absl::StatusOr<RoomRow> MessagingManager::CreateGroup(const std::string& creator_id,
                                                      std::string_view name,
                                                      const std::vector<std::string>& member_ids) {
  ASSIGN_OR_RETURN(std::string creator, UserUuid(creator_id));
  ASSIGN_OR_RETURN(std::string clean_name, NormalizeGroupName(name));
  if (member_ids.empty()) return absl::InvalidArgumentError("member_ids must not be empty");
  if (member_ids.size() > kMaxMembersPerCreate) {
    return absl::InvalidArgumentError("member_ids must hold at most " +
                                      std::to_string(kMaxMembersPerCreate) + " user ids");
  }
  std::set<std::string> unique;
  for (const auto& raw : member_ids) {
    absl::StatusOr<std::string> id = UserUuid(raw);
    if (!id.ok()) return absl::InvalidArgumentError("member_ids must be user ids");
    if (*id != creator) unique.insert(*id);
  }
  if (unique.empty()) return absl::InvalidArgumentError("a group needs someone besides you");
  RETURN_IF_ERROR(CheckMemberCap(static_cast<int64_t>(unique.size()) + 1, max_group_members_));
  // Asked, not remembered: a removal that committed must count. In batches:
  // one contact-service call stays small however big the group.
  constexpr size_t kFriendBatch = 256;
  const std::vector<std::string> members(unique.begin(), unique.end());
  for (size_t from = 0; from < members.size(); from += kFriendBatch) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = from; i < std::min(members.size(), from + kFriendBatch); ++i) {
      pairs.emplace_back(creator, members[i]);
    }
    ASSIGN_OR_RETURN(std::vector<bool> friends, friends_.AreFriendsMany(pairs));
    if (friends.size() != pairs.size() ||
        std::find(friends.begin(), friends.end(), false) != friends.end()) {
      return absl::PermissionDeniedError("every member must be one of your contacts");
    }
  }
  return CreateRoom(creator, "group", clean_name, std::nullopt, members);
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
  return writer_.WriteReceipt(room_id, user, seq).status();
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
  WriteDraft draft{{mxids[inviter],
                    matrix::kMemberType,
                    mxids[*invitee],
                    {{"membership", "invite"}},
                    std::nullopt},
                   inviter,
                   *invitee};
  auto extra = [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                   const std::vector<std::string>&) {
    return tx.InsertNotice(*invitee, "conversation", room_id, std::nullopt);
  };
  ASSIGN_OR_RETURN(std::vector<StoredEvent> written, writer_.WriteState(room_id, {draft}, extra));
  return written.front().event_id;
}

int64_t MessagingManager::Position() {
  WakeLog& log = announcer_.log();
  absl::StatusOr<std::pair<uint64_t, uint64_t>> horizon = store_.StreamHorizon();
  // Any horizon read before is safe too (it only repeats older rows).
  if (horizon.ok()) log.Observed(log.ReadStarting(), horizon->first, horizon->second);
  return ToWire(SyncKey::Below(log.Horizon()));
}

}  // namespace messenger::messaging
