// Direct rooms with a contact on another server (issue 16, feddirect): the
// room is made here with the sender joined and the peer invited over
// federation (PUT /v2/invite, is_direct); the peer's server checks its own
// side of the contact policy and joins its user (federation_invite.cc).
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/service/messaging_manager.h"

namespace messenger::messaging {
namespace {

// How long a send waits for its user's join of the peer's room (~100 ms on
// loopback, a round trip to the peer's server in general).
constexpr absl::Duration kJoinWait = absl::Seconds(5);

// The peer's room took our user's invite just now (its invite crossed this
// send): the join it started is awaited, rather than the send refused as
// from a non-member. Unavailable (retry) when it has not come in time.
absl::Status AwaitJoin(MessagingStore& store, const std::string& room_id,
                       const std::string& user_id) {
  const absl::Time deadline = absl::Now() + kJoinWait;
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<std::string> membership, store.Membership(room_id, user_id));
    if (!membership || *membership != "invite") return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(
          "the conversation is still being joined on the contact's server; retry shortly");
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace

absl::StatusOr<std::optional<RoomRow>> MessagingManager::AdoptPeersDirectRoom(
    const std::string& key, const RoomRow& ours, const std::string& peer,
    const std::string& sender) {
  // Glare, late: the peer's invite was taken here (its room kept as the
  // superseded one, by the larger id) and our user joined it before our
  // invite reached the peer's server, which then refused our room as a
  // second one. Both servers meet in the peer's room, where both are joined.
  ASSIGN_OR_RETURN(std::optional<RoomRow> peers,
                   store_.FindSupersededDirectRoom(key, peer, sender));
  if (!peers) return std::optional<RoomRow>(ours);
  const absl::Status moved = store_.Transaction(
      [&](MessagingTx& tx) { return tx.MoveDirectKey(key, ours.room_id, peers->room_id); });
  // Moved meanwhile (another send, a crossing invite): re-read.
  if (!moved.ok() && !absl::IsFailedPrecondition(moved)) return moved;
  return store_.FindDirectRoom(key);
}

bool MessagingManager::IsRemoteUser(const std::string& mxid) const {
  if (!mxid.starts_with('@')) return false;
  absl::StatusOr<std::string> server = matrix::ServerNameOf(mxid);
  return server.ok() && *server != server_name_;
}

absl::StatusOr<RoomRow> MessagingManager::RemoteDirectRoomFor(const std::string& sender,
                                                              const std::string& peer,
                                                              const std::string& peer_mxid) {
  if (!remote_inviter_) return absl::UnavailableError("federation is not running here");
  const std::string key = DirectKey(sender, peer);
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.FindDirectRoom(key));
  if (!room) {
    absl::StatusOr<RoomRow> created = CreateRoom(sender, "direct", std::nullopt, key, {peer});
    if (created.ok()) {
      room = std::move(*created);
    } else if (absl::IsAlreadyExists(created.status())) {
      // Made meanwhile (this user again, or the peer's invite arrived).
      ASSIGN_OR_RETURN(room, store_.FindDirectRoom(key));
      if (!room) {
        return absl::UnavailableError("the conversation could not be created now; retry shortly");
      }
    } else {
      return created.status();
    }
  }
  // Our room: the peer is invited until its server took an invite (a
  // failed one is tried again by the next send). A room the peer made is
  // joined by the invite's acceptance instead.
  if (room->creator == sender) {
    ASSIGN_OR_RETURN(std::optional<std::string> membership,
                     store_.Membership(room->room_id, peer));
    if (!membership || *membership == "leave") {
      ASSIGN_OR_RETURN(std::string sender_mxid, MatrixId(sender));
      const absl::Status invited = remote_inviter_(room->room_id, sender, sender_mxid, peer_mxid);
      if (!invited.ok()) {
        // The peer's invite may have crossed this one and taken the pair's
        // key to its room (glare): that room is the pair's now, and its
        // join is under way.
        ASSIGN_OR_RETURN(std::optional<RoomRow> now, store_.FindDirectRoom(key));
        if (now && now->room_id == room->room_id && absl::IsPermissionDenied(invited)) {
          ASSIGN_OR_RETURN(now, AdoptPeersDirectRoom(key, *room, peer, sender));
        }
        if (!now || now->room_id == room->room_id || now->creator == sender) return invited;
        room = std::move(now);
        RETURN_IF_ERROR(AwaitJoin(store_, room->room_id, sender));
      }
    }
  } else {
    RETURN_IF_ERROR(AwaitJoin(store_, room->room_id, sender));
  }
  RememberDirectRoom(key, *room);
  room_rows_.Put(room->room_id, *room);
  return *room;
}

}  // namespace messenger::messaging
