#include "messaging-service/src/service/group_manager.h"

#include <algorithm>
#include <set>

#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/events/messaging_events.h"
#include "messaging-service/src/service/member_change_records.h"

namespace messenger::messaging {
namespace {

constexpr char kAvatarType[] = "m.room.avatar";

// `name` names the parameter in the error (api.md: 400 naming it).
absl::StatusOr<std::string> Uuid(const std::string& raw, std::string_view name) {
  if (!IsUuid(raw)) return absl::InvalidArgumentError(std::string(name) + " must be a user id");
  return text::ToLowerAscii(raw);
}

WriteDraft Member(const std::string& sender_mxid, const std::string& sender_id,
                  const std::string& target_mxid, const std::string& target_id,
                  const std::string& membership) {
  return WriteDraft{
      {sender_mxid, matrix::kMemberType, target_mxid, {{"membership", membership}}, std::nullopt},
      sender_id,
      target_id};
}

WriteDraft State(const std::string& sender_mxid, const std::string& sender_id,
                 const std::string& type, nlohmann::json content) {
  return WriteDraft{
      {sender_mxid, type, "", std::move(content), std::nullopt}, sender_id, std::nullopt};
}

std::optional<std::string> ContentString(const matrix::StateMap& state, const char* type,
                                         const char* key) {
  const matrix::Event* event = state.Get(type, "");
  if (event == nullptr || !event->content().contains(key) || !event->content()[key].is_string()) {
    return std::nullopt;
  }
  std::string value = event->content()[key].get<std::string>();
  if (value.empty()) return std::nullopt;
  return value;
}

bool IsJoined(const std::vector<std::string>& joined, const std::string& user) {
  return std::find(joined.begin(), joined.end(), user) != joined.end();
}

// A plan of fixed drafts, once `target` is checked joined under the lock.
RoomWriter::Plan ForJoined(std::string target, std::vector<WriteDraft> drafts) {
  return [target = std::move(target), drafts = std::move(drafts)](
             const matrix::Room&,
             const std::vector<std::string>& joined) -> absl::StatusOr<std::vector<WriteDraft>> {
    if (!IsJoined(joined, target))
      return absl::NotFoundError("no such member in this conversation");
    return drafts;
  };
}

}  // namespace

GroupManager::GroupManager(MessagingManager& messaging, MessagingStore& store,
                           FriendChecker& friends, const Clock& clock, Rng& rng,
                           int64_t max_members)
    : messaging_(messaging),
      store_(store),
      friends_(friends),
      clock_(clock),
      rng_(rng),
      max_members_(max_members) {}

absl::StatusOr<RoomRow> GroupManager::JoinedRoom(const std::string& room_id,
                                                 const std::string& user) {
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(room_id));
  if (!room) return absl::NotFoundError("no such conversation");
  ASSIGN_OR_RETURN(std::optional<std::string> membership, store_.Membership(room_id, user));
  if (membership != "join") {
    return absl::PermissionDeniedError("you are not a member of this conversation");
  }
  return *room;
}

absl::StatusOr<RoomRow> GroupManager::JoinedGroup(const std::string& room_id,
                                                  const std::string& user) {
  ASSIGN_OR_RETURN(RoomRow room, JoinedRoom(room_id, user));
  RETURN_IF_ERROR(RefuseDirect(room.kind));
  return room;
}

absl::StatusOr<matrix::StateMap> GroupManager::CurrentState(const std::string& user,
                                                            const std::string& room_id) {
  ASSIGN_OR_RETURN(std::vector<matrix::Event> events, messaging_.MatrixRoomState(user, room_id));
  matrix::StateMap state;
  for (const matrix::Event& event : events) RETURN_IF_ERROR(state.Put(event));
  return state;
}

absl::Status GroupManager::Write(const std::string& room_id, const RoomWriter::Plan& plan,
                                 const std::string& kind, const std::optional<std::string>& about,
                                 const RoomWriter::Extra& extra) {
  return messaging_.writer()
      .WriteState(room_id, plan,
                  [&](MessagingTx& tx, const std::vector<StoredEvent>& written,
                      const std::vector<std::string>& joined) -> absl::Status {
                    RETURN_IF_ERROR(extra(tx, written, joined));
                    return tx.InsertRoomNotices(room_id, kind, about);
                  })
      .status();
}

RoomWriter::Extra GroupManager::Removal(const std::string& room_id, const std::string& user,
                                        const std::string& by, const std::string& reason) {
  return [this, room_id, user, by, reason, now = clock_.Now()](
             MessagingTx& tx, const std::vector<StoredEvent>&,
             const std::vector<std::string>&) -> absl::Status {
    return RecordMemberRemoved(tx, room_id, user, by, reason, now, clock_, rng_);
  };
}

absl::StatusOr<std::vector<std::string>> GroupManager::AddMembers(
    const std::string& actor_id, const std::string& room_id,
    const std::vector<std::string>& user_ids) {
  ASSIGN_OR_RETURN(std::string actor, Uuid(actor_id, "user_id"));
  if (user_ids.empty() || user_ids.size() > kMaxMembersPerAdd) {
    return absl::InvalidArgumentError("member_ids must hold 1 to " +
                                      std::to_string(kMaxMembersPerAdd) + " user ids");
  }
  std::set<std::string> unique;
  for (const auto& raw : user_ids) {
    ASSIGN_OR_RETURN(std::string id, Uuid(raw, "member_ids"));
    if (id == actor) return absl::InvalidArgumentError("member_ids must not hold yourself");
    unique.insert(id);
  }
  const std::vector<std::string> added(unique.begin(), unique.end());
  RETURN_IF_ERROR(JoinedGroup(room_id, actor).status());
  // The added users' rows only (checked again under the room lock).
  ASSIGN_OR_RETURN(const auto memberships, store_.MembershipsOf(room_id, added));
  for (const auto& [id, membership] : memberships) {
    if (membership == "join") return absl::AlreadyExistsError("already a member: " + id);
  }
  // Asked, not remembered: a removal that committed must count.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& id : added) pairs.emplace_back(actor, id);
  ASSIGN_OR_RETURN(std::vector<bool> friends, friends_.AreFriendsMany(pairs));
  if (friends.size() != pairs.size() ||
      std::find(friends.begin(), friends.end(), false) != friends.end()) {
    return absl::PermissionDeniedError("you can add only your contacts");
  }
  std::vector<std::string> everyone = added;
  everyone.push_back(actor);
  ASSIGN_OR_RETURN(auto mxids, messaging_.MatrixIdsOf(everyone));
  // The inviter's invite, then the join the server writes for the new member.
  std::vector<WriteDraft> drafts;
  for (const auto& id : added) {
    drafts.push_back(Member(mxids[actor], actor, mxids[id], id, "invite"));
    drafts.push_back(Member(mxids[id], id, mxids[id], id, "join"));
  }
  // Who is joined and how many, decided under the room lock.
  auto plan =
      [&](const matrix::Room& room,
          const std::vector<std::string>& joined) -> absl::StatusOr<std::vector<WriteDraft>> {
    // Looked up in the room's state: O(added), not a set of every member.
    for (const auto& id : added) {
      if (room.state().Membership(mxids[id]) == "join") {
        return absl::AlreadyExistsError("already a member: " + id);
      }
    }
    RETURN_IF_ERROR(
        CheckMemberCap(static_cast<int64_t>(joined.size() + added.size()), max_members_));
    return drafts;
  };
  const absl::Time now = clock_.Now();
  auto extra = [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                   const std::vector<std::string>&) -> absl::Status {
    RETURN_IF_ERROR(RecordMembersAdded(tx, room_id, added, actor, now, clock_, rng_));
    // The last one's notice is Write's.
    return tx.InsertRoomNoticesAbout(room_id, "member_added",
                                     {added.begin(), added.end() - 1});
  };
  RETURN_IF_ERROR(Write(room_id, plan, "member_added", added.back(), extra));
  return added;
}

absl::Status GroupManager::RemoveMember(const std::string& actor_id, const std::string& room_id,
                                        const std::string& user_id) {
  ASSIGN_OR_RETURN(std::string actor, Uuid(actor_id, "user_id"));
  ASSIGN_OR_RETURN(std::string target, Uuid(user_id, "user_id"));
  if (target == actor) {
    return absl::InvalidArgumentError("to leave a conversation, use POST .../leave");
  }
  RETURN_IF_ERROR(JoinedGroup(room_id, actor).status());
  ASSIGN_OR_RETURN(auto mxids, messaging_.MatrixIdsOf({actor, target}));
  // A kick: the Matrix rules want the kick level and more power than the target.
  return Write(room_id,
               ForJoined(target, {Member(mxids[actor], actor, mxids[target], target, "leave")}),
               "member_removed", target, Removal(room_id, target, actor, "removed"));
}

absl::Status GroupManager::Leave(const std::string& user_id, const std::string& room_id) {
  ASSIGN_OR_RETURN(std::string user, Uuid(user_id, "user_id"));
  RETURN_IF_ERROR(JoinedGroup(room_id, user).status());
  ASSIGN_OR_RETURN(auto mxids, messaging_.MatrixIdsOf({user}));
  return Write(room_id, ForJoined(user, {Member(mxids[user], user, mxids[user], user, "leave")}),
               "member_removed", user, Removal(room_id, user, user, "left"));
}

absl::Status GroupManager::Update(const std::string& actor_id, const std::string& room_id,
                                  ConversationPatch patch) {
  ASSIGN_OR_RETURN(std::string actor, Uuid(actor_id, "user_id"));
  ASSIGN_OR_RETURN(patch, NormalizePatch(std::move(patch)));
  RETURN_IF_ERROR(JoinedGroup(room_id, actor).status());
  ASSIGN_OR_RETURN(auto mxids, messaging_.MatrixIdsOf({actor}));
  const std::string& sender = mxids[actor];
  std::vector<WriteDraft> drafts;
  std::vector<std::string> fields;
  if (patch.name) {
    drafts.push_back(State(sender, actor, matrix::kNameType, {{"name", *patch.name}}));
    fields.push_back("name");
  }
  if (patch.topic) {
    drafts.push_back(State(sender, actor, matrix::kTopicType, {{"topic", *patch.topic}}));
    fields.push_back("topic");
  }
  if (patch.avatar_url) {
    nlohmann::json content = nlohmann::json::object();  // no url: the avatar is removed
    if (!patch.avatar_url->empty()) content["url"] = *patch.avatar_url;
    drafts.push_back(State(sender, actor, kAvatarType, std::move(content)));
    fields.push_back("avatar_url");
  }
  const absl::Time now = clock_.Now();
  auto extra = [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                   const std::vector<std::string>&) -> absl::Status {
    ASSIGN_OR_RETURN(bus::Event event,
                     ConversationUpdatedEvent(room_id, actor, fields, now, clock_, rng_));
    return tx.Enqueue(event);
  };
  return Write(room_id, ForJoined(actor, std::move(drafts)), "conversation_updated", actor, extra);
}

absl::Status GroupManager::SetRole(const std::string& actor_id, const std::string& room_id,
                                   const std::string& user_id, std::string_view role) {
  ASSIGN_OR_RETURN(std::string actor, Uuid(actor_id, "user_id"));
  ASSIGN_OR_RETURN(std::string target, Uuid(user_id, "user_id"));
  ASSIGN_OR_RETURN(const int64_t level, LevelOfRole(role));
  RETURN_IF_ERROR(JoinedGroup(room_id, actor).status());
  ASSIGN_OR_RETURN(auto mxids, messaging_.MatrixIdsOf({actor, target}));
  // The power levels are read under the room lock: two role changes at once
  // each build on the other's result instead of one overwriting the other.
  auto plan =
      [&](const matrix::Room& room,
          const std::vector<std::string>& joined) -> absl::StatusOr<std::vector<WriteDraft>> {
    if (!IsJoined(joined, target))
      return absl::NotFoundError("no such member in this conversation");
    ASSIGN_OR_RETURN(std::optional<nlohmann::json> content,
                     PlanRoleChange(room.state(), mxids[actor], mxids[target], level));
    if (!content) return std::vector<WriteDraft>{};  // unchanged: nothing is written
    // The Matrix rules refuse raising anyone above the sender, and changing
    // someone at or above the sender's own level.
    return std::vector<WriteDraft>{
        State(mxids[actor], actor, matrix::kPowerLevelsType, std::move(*content))};
  };
  const absl::Time now = clock_.Now();
  auto extra = [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                   const std::vector<std::string>&) -> absl::Status {
    ASSIGN_OR_RETURN(bus::Event event,
                     ConversationUpdatedEvent(room_id, actor, {"roles"}, now, clock_, rng_));
    return tx.Enqueue(event);
  };
  return Write(room_id, plan, "conversation_updated", actor, extra);
}

absl::StatusOr<ConversationDetails> GroupManager::Details(const std::string& user_id,
                                                          const std::string& room_id) {
  ASSIGN_OR_RETURN(std::string user, Uuid(user_id, "user_id"));
  ASSIGN_OR_RETURN(RoomRow room, JoinedRoom(room_id, user));
  ASSIGN_OR_RETURN(matrix::StateMap state, CurrentState(user, room_id));
  ASSIGN_OR_RETURN(matrix::PowerLevels levels, matrix::PowerLevels::FromState(state));
  ASSIGN_OR_RETURN(std::vector<std::string> joined, store_.JoinedMembers(room_id));
  ASSIGN_OR_RETURN(auto mxids, messaging_.MatrixIdsOf(joined));
  ConversationDetails out;
  out.room_id = room.room_id;
  out.kind = room.kind;
  if (room.kind == "group") {
    out.name = ContentString(state, matrix::kNameType, "name");
    out.topic = ContentString(state, matrix::kTopicType, "topic");
    out.avatar_url = ContentString(state, kAvatarType, "url");
  }
  for (const auto& id : joined) out.members.push_back({id, RoleOf(levels.UserLevel(mxids[id]))});
  return out;
}

}  // namespace messenger::messaging
