// Matrix client API room use cases of the messaging manager: createRoom.
// The room's events come from the domain plan (matrix_room_plan.h) and are
// written by the RoomWriter like every other room.
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix_room_plan.h"
#include "messaging-service/src/service/messaging_manager.h"

namespace messenger::messaging {

absl::StatusOr<RoomRow> MessagingManager::CreateMatrixRoom(const MatrixRoomInput& in) {
  if (!IsUuid(in.creator_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  const std::string creator = text::ToLowerAscii(in.creator_id);
  std::vector<std::string> invitees;
  for (const auto& raw : in.invitee_ids) {
    if (!IsUuid(raw)) return absl::NotFoundError("no such user");
    invitees.push_back(text::ToLowerAscii(raw));
    if (invitees.back() == creator) return absl::InvalidArgumentError("you cannot invite yourself");
  }
  if (in.is_direct && invitees.size() != 1) {
    return absl::InvalidArgumentError("a direct room invites exactly one user");
  }
  if (NeedsFriendship({.preset = in.preset, .is_direct = in.is_direct}) && !invitees.empty()) {
    // Asked, not remembered: a removal that committed must count.
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& id : invitees) pairs.emplace_back(creator, id);
    ASSIGN_OR_RETURN(std::vector<bool> friends, friends_.AreFriendsMany(pairs));
    if (friends.size() != pairs.size()) {
      return absl::UnavailableError("cannot check the friendship now");
    }
    for (size_t i = 0; i < friends.size(); ++i) {
      if (!friends[i]) {
        // Before any name is read: a remote non-contact may have no row here.
        absl::StatusOr<std::string> name = MatrixId(invitees[i]);
        return absl::PermissionDeniedError(
            absl::StrCat(name.ok() ? *name : invitees[i],
                         " is not your contact: a direct or private room invites contacts only "
                         "(public_chat rooms do not)"));
      }
    }
  }

  std::vector<std::string> everyone = {creator};
  everyone.insert(everyone.end(), invitees.begin(), invitees.end());
  ASSIGN_OR_RETURN(auto mxids, MatrixIds(everyone));
  std::map<std::string, std::string> uuid_of;  // @name:server -> UUID
  for (const auto& [uuid, mxid] : mxids) uuid_of[mxid] = uuid;

  MatrixRoomRequest request{
      mxids[creator], in.preset, in.is_direct,     {},
      in.name,        in.topic,  in.initial_state, in.power_level_content_override,
      in.room_version};
  for (const auto& id : invitees) request.invite.push_back(mxids[id]);
  ASSIGN_OR_RETURN(std::vector<matrix::EventDraft> events, PlanMatrixRoom(request));

  if (in.is_direct && IsRemoteUser(request.invite.front())) {
    // The pair's one direct room, its peer invited over federation: the
    // room /v1 uses (remote_direct_rooms.cc).
    return DirectRoomFor(creator, invitees.front());
  }
  for (const auto& mxid : request.invite) {
    if (IsRemoteUser(mxid)) {
      return absl::InvalidArgumentError(absl::StrCat(
          mxid, " is a user of another server: invite them with /invite once the room exists"));
    }
  }

  std::vector<WriteDraft> drafts;
  for (auto& event : events) {
    std::optional<std::string> member;
    if (event.type == matrix::kMemberType) member = uuid_of[*event.state_key];
    drafts.push_back(WriteDraft{std::move(event), creator, std::move(member)});
  }
  RoomRow row;
  ASSIGN_OR_RETURN(row.room_id, matrix::NewRoomId(rng_, server_name_));
  row.kind = in.is_direct ? "direct" : "group";
  row.name = in.name;
  row.creator = creator;
  row.created_at = clock_.Now();
  row.last_event_at = row.created_at;
  if (in.is_direct) {
    // /v1 keeps friends joined in their direct room: the peer joins at once
    // (its invite stays in the timeline, so Matrix clients see both).
    const std::string& peer = invitees.front();
    drafts.push_back(WriteDraft{
        {mxids[peer], matrix::kMemberType, mxids[peer], {{"membership", "join"}}, std::nullopt},
        peer,
        peer});
    row.direct_key = DirectKey(creator, peer);
    absl::StatusOr<RoomRow> created = writer_.CreateRoom(row, drafts, everyone);
    if (!absl::IsAlreadyExists(created.status())) return created;
    // The pair's room exists (maybe made by /v1 meanwhile): that is the room.
    return DirectRoomFor(creator, peer);
  }
  return writer_.CreateRoom(std::move(row), drafts, everyone);
}

absl::StatusOr<std::vector<std::string>> MessagingManager::JoinedRoomIds(
    const std::string& user_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  return store_.JoinedRoomIds(text::ToLowerAscii(user_id));
}

absl::StatusOr<std::vector<matrix::Event>> MessagingManager::MatrixRoomState(
    const std::string& user_id, const std::string& room_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  RETURN_IF_ERROR(CheckJoined(room_id, text::ToLowerAscii(user_id)));
  std::vector<std::string> pdus;
  RETURN_IF_ERROR(store_.Transaction([&](MessagingTx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pdus, tx.CurrentStatePdus(room_id));
    return absl::OkStatus();
  }));
  std::vector<matrix::Event> events;
  for (const auto& pdu : pdus) {
    // Stored events passed these checks when written: a failure is ours.
    absl::StatusOr<matrix::Event> event = matrix::Event::Parse(pdu);
    if (!event.ok()) return absl::InternalError("a stored state event does not parse");
    events.push_back(std::move(*event));
  }
  return events;
}

}  // namespace messenger::messaging
