#include "messaging-service/src/service/matrix_membership.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/group_rules.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/service/member_change_records.h"

namespace messenger::messaging {
namespace {

absl::StatusOr<std::string> Uuid(const std::string& raw, absl::Status error) {
  if (!IsUuid(raw)) return error;
  return text::ToLowerAscii(raw);
}

}  // namespace

absl::Status MatrixMembership::Change(const MembershipChange& c) {
  ASSIGN_OR_RETURN(std::string user,
                   Uuid(c.user_id, absl::InvalidArgumentError("user ids are UUIDs")));
  if (c.action == MemberAction::kForget) return Forget(c);
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(c.room_id));
  if (!room) return absl::NotFoundError("no such room");
  if (c.action == MemberAction::kJoin || c.action == MemberAction::kLeave) {
    // A room of another server known only through an invite (fedinvite):
    // not found here; the gateway answers through that server.
    ASSIGN_OR_RETURN(std::vector<matrix::Event> create,
                     StateOfType(c.room_id, matrix::kCreateType));
    if (create.empty()) return absl::NotFoundError("the room is on another server");
  }
  if (c.action == MemberAction::kJoin) return Join(c, *room);
  std::string target = user;
  if (TakesTarget(c.action)) {
    ASSIGN_OR_RETURN(target, Uuid(c.target_id, absl::NotFoundError("no such user")));
    if (target == user) {
      return absl::InvalidArgumentError("this action takes another user; to go, leave");
    }
  }
  ASSIGN_OR_RETURN(std::optional<std::string> found, store_.Membership(c.room_id, user));
  const std::string mine = found.value_or("");
  // Only an invitee (declining) or a member may act; others learn nothing more.
  if (mine != "join" && !(c.action == MemberAction::kLeave && mine == "invite")) {
    return absl::PermissionDeniedError("you are not a member of this room");
  }
  if (c.action == MemberAction::kInvite) return Invite(c, *room, target);
  ASSIGN_OR_RETURN(std::optional<std::string> target_found, store_.Membership(c.room_id, target));
  const std::string theirs = target_found.value_or("");
  if (room->kind == "direct" && theirs == "join") RETURN_IF_ERROR(RefuseDirect(room->kind));
  if (c.action == MemberAction::kUnban && theirs != "ban") {
    return absl::FailedPreconditionError("the user is not banned");
  }
  return WriteDeparture(c, *room, target, theirs);
}

absl::Status MatrixMembership::WriteDeparture(const MembershipChange& c, const RoomRow& room,
                                              const std::string& target,
                                              const std::string& theirs) {
  const std::string user = text::ToLowerAscii(c.user_id);
  const bool removes = room.kind == "group" && theirs == "join" &&
                       (c.action == MemberAction::kLeave || c.action == MemberAction::kKick ||
                        c.action == MemberAction::kBan);
  const std::string word = c.action == MemberAction::kLeave ? "left" : "removed";
  return WriteMember(c, room, target, MembershipOf(c.action),
                     [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                         const std::vector<std::string>&) -> absl::Status {
                       if (!removes) return absl::OkStatus();
                       // As /v1's leave or removal: its bus event and notices.
                       RETURN_IF_ERROR(RecordMemberRemoved(tx, c.room_id, target, user, word,
                                                           clock_.Now(), clock_, rng_));
                       return tx.InsertRoomNotices(c.room_id, "member_removed", target);
                     });
}

absl::Status MatrixMembership::Invite(const MembershipChange& c, const RoomRow& room,
                                      const std::string& target) {
  ASSIGN_OR_RETURN(std::string rule, JoinRule(c.room_id));
  bool friends = false;
  if (room.kind != "direct" && rule != "public") {
    // Asked, not remembered: a removal that committed must count.
    ASSIGN_OR_RETURN(friends, friends_.AreFriends(text::ToLowerAscii(c.user_id), target));
  }
  ASSIGN_OR_RETURN(std::string invitee, messaging_.MatrixIdOf(target));
  RETURN_IF_ERROR(CheckInvitePolicy(room.kind, rule, friends, invitee));
  return WriteMember(c, room, target, "invite",
                     [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                         const std::vector<std::string>&) {
                       return tx.InsertNotice(target, "conversation", c.room_id, std::nullopt);
                     });
}

absl::Status MatrixMembership::Join(const MembershipChange& c, const RoomRow& room) {
  const std::string user = text::ToLowerAscii(c.user_id);
  ASSIGN_OR_RETURN(std::optional<std::string> mine, store_.Membership(c.room_id, user));
  if (mine.value_or("") == "join") return absl::OkStatus();  // joined already: nothing to write
  ASSIGN_OR_RETURN(std::string by, AddedBy(c.room_id, user, mine.value_or("")));
  // The auth rules decide: an invite or a public room, and no ban.
  return WriteMember(c, room, user, "join",
                     [&](MessagingTx& tx, const std::vector<StoredEvent>&,
                         const std::vector<std::string>& joined) -> absl::Status {
                       RETURN_IF_ERROR(mx_store_.SetForgotten(tx.tx(), c.room_id, user, false));
                       if (room.kind != "group") return absl::OkStatus();
                       // As /v1's add: the cap, its bus event and notices.
                       RETURN_IF_ERROR(
                           CheckMemberCap(static_cast<int64_t>(joined.size()), max_members_));
                       RETURN_IF_ERROR(RecordMemberAdded(tx, c.room_id, user, by, clock_.Now(),
                                                         clock_, rng_));
                       return tx.InsertRoomNotices(c.room_id, "member_added", user);
                     });
}

absl::Status MatrixMembership::Forget(const MembershipChange& c) {
  const std::string user = text::ToLowerAscii(c.user_id);
  ASSIGN_OR_RETURN(std::optional<std::string> mine, store_.Membership(c.room_id, user));
  if (!mine) {
    ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(c.room_id));
    if (!room) return absl::NotFoundError("no such room");
    return absl::PermissionDeniedError("you were never in this room");
  }
  if (*mine == "join" || *mine == "invite") {
    return absl::FailedPreconditionError("leave the room before forgetting it");
  }
  return mx_store_.Forget(c.room_id, user);
}

absl::Status MatrixMembership::WriteMember(const MembershipChange& c, const RoomRow& room,
                                           const std::string& target,
                                           const std::string& membership,
                                           const RoomWriter::Extra& extra) {
  const std::string user = text::ToLowerAscii(c.user_id);
  ASSIGN_OR_RETURN(auto mxids, messaging_.MatrixIdsOf({user, target}));
  nlohmann::json content = {{"membership", membership}};
  if (c.reason) content["reason"] = *c.reason;
  WriteDraft draft{{mxids[user], matrix::kMemberType, mxids[target], std::move(content),
                    std::nullopt},
                   user,
                   target};
  return messaging_.writer().WriteState(room.room_id, {draft}, extra).status();
}

absl::StatusOr<std::vector<matrix::Event>> MatrixMembership::StateOfType(const std::string& room_id,
                                                                         const std::string& type) {
  std::vector<matrix::Event> out;
  RETURN_IF_ERROR(store_.Transaction([&](MessagingTx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> pdus, tx.CurrentStatePdus(room_id));
    for (const std::string& pdu : pdus) {
      ASSIGN_OR_RETURN(matrix::Event event, matrix::Event::Parse(pdu));
      if (event.type() == type) out.push_back(std::move(event));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::string> MatrixMembership::JoinRule(const std::string& room_id) {
  ASSIGN_OR_RETURN(std::vector<matrix::Event> events, StateOfType(room_id, matrix::kJoinRulesType));
  matrix::StateMap state;
  for (const matrix::Event& event : events) RETURN_IF_ERROR(state.Put(event));
  return state.JoinRule();
}

absl::StatusOr<std::string> MatrixMembership::AddedBy(const std::string& room_id,
                                                      const std::string& user,
                                                      const std::string& mine) {
  if (mine != "invite") return user;
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
  ASSIGN_OR_RETURN(std::vector<matrix::Event> members, StateOfType(room_id, matrix::kMemberType));
  std::optional<std::string> invite;
  for (const matrix::Event& event : members) {
    if (event.state_key() == mxid && event.membership() == "invite") invite = event.event_id();
  }
  if (!invite) return user;
  // The stored event names its sender by UUID.
  ASSIGN_OR_RETURN(std::optional<TargetFacts> facts, store_.FindTarget(*invite));
  return facts ? facts->sender : user;
}

}  // namespace messenger::messaging
