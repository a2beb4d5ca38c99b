// PUT /_matrix/federation/v2/invite (server-server API, "Inviting to a
// room"): a user of the requesting server invites a local user. The invite,
// checked, gets our signature and is answered; it enters the room through
// the room writer: a room this server is in takes it like any remote PDU
// (Ingest: DecideRemotePdu, auth rules); a room it is not in gets a stub
// holding the invite (RoomWriter::WriteInviteStub) and the stripped state
// sent along, which /sync shows under rooms.invite.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/remote_invite.h"
#include "messaging-service/src/federation/federation_rooms.h"
#include "messaging-service/src/federation/remote_users.h"

namespace messenger::federation {

using Json = nlohmann::json;

absl::StatusOr<Json> FederationRooms::Invite(const InboundRequest& request,
                                             const RoomRoute& route) {
  ASSIGN_OR_RETURN(std::string origin, auth_.Authenticate(request));
  if (!signing_key_) return absl::UnavailableError("invites are not taken by this process");
  absl::StatusOr<Json> json = matrix::ParseJson(request.body);
  if (!json.ok()) return absl::InvalidArgumentError("the body is not JSON");
  ASSIGN_OR_RETURN(matrix::InviteBody body, matrix::ParseInviteBody(*json));
  if (body.room_version != matrix::kRoomVersion) {
    // The gateway answers this code as M_INCOMPATIBLE_ROOM_VERSION.
    return absl::FailedPreconditionError(
        absl::StrCat("room version ", body.room_version, " is not supported"));
  }
  // Before any key is fetched: a server speaks for its own users only.
  if (const auto sender = body.event.find("sender");
      sender != body.event.end() && sender->is_string()) {
    absl::StatusOr<std::string> server = matrix::ServerNameOf(sender->get<std::string>());
    if (server.ok() && *server != origin) {
      return absl::PermissionDeniedError("the inviter is not a user of the requesting server");
    }
  }
  absl::StatusOr<matrix::CheckedPdu> checked =
      matrix::CheckPduFormatAndSignatures(body.event, keys_);
  if (absl::IsUnauthenticated(checked.status())) {
    return absl::PermissionDeniedError(checked.status().message());
  }
  if (absl::IsFailedPrecondition(checked.status())) {
    return absl::InvalidArgumentError(checked.status().message());
  }
  RETURN_IF_ERROR(checked.status());
  if (checked->redacted) return absl::InvalidArgumentError("the invite's content hash is wrong");
  RETURN_IF_ERROR(matrix::CheckRemoteInvite(checked->event, origin, server_name_, route.room_id,
                                            route.event_id));
  const std::string& invitee = *checked->event.state_key();
  ASSIGN_OR_RETURN(std::optional<std::string> local_id,
                   store_.LocalUserId(invitee.substr(1, invitee.find(':') - 1)));
  if (!local_id) return absl::NotFoundError("no such user here");
  // The contact policy (remote_direct_policy.h): before anything is signed.
  ASSIGN_OR_RETURN(std::optional<std::string> direct_key,
                   DirectInviteKey(checked->event, *local_id, friends_));

  // Ours joins the inviting server's signature (and keeps the event id).
  Json signed_event = checked->event.json();
  ASSIGN_OR_RETURN(std::string event_id,
                   matrix::HashAndSignEvent(signed_event, server_name_, *signing_key_));
  if (event_id != route.event_id) return absl::InvalidArgumentError("the event id does not match");
  ASSIGN_OR_RETURN(matrix::Event invite, matrix::Event::FromSigned(signed_event, event_id));

  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> row, messaging_.GetRoom(route.room_id));
  if (row) {
    ASSIGN_OR_RETURN(matrix::StateMap state, CurrentState(route.room_id));
    RETURN_IF_ERROR(CheckAcl(state, origin));
    if (state.create() != nullptr) {
      // FailedPrecondition means an unsupported version to the gateway: the
      // room's history refusing the invite here is a refusal (403).
      const absl::Status ingested = Ingest(origin, invite);
      if (absl::IsFailedPrecondition(ingested)) {
        return absl::PermissionDeniedError(ingested.message());
      }
      RETURN_IF_ERROR(ingested);
      return Json{{"event", signed_event}};
    }
  }
  absl::StatusOr<Json> taken =
      TakeAsStub(origin, route, body.invite_state, invite, signed_event, *local_id, direct_key);
  // The pair's room being made here meanwhile holds its key uncommitted:
  // the stub waited on it, then failed; decided again, it is glare.
  if (direct_key && absl::IsAlreadyExists(taken.status())) {
    taken = TakeAsStub(origin, route, body.invite_state, invite, signed_event, *local_id,
                       direct_key);
  }
  return taken;
}

absl::StatusOr<Json> FederationRooms::TakeAsStub(const std::string& origin,
                                                 const RoomRoute& route,
                                                 const Json& invite_state,
                                                 const matrix::Event& invite,
                                                 const Json& signed_event,
                                                 const std::string& local_id,
                                                 const std::optional<std::string>& direct_key) {
  const std::string& event_id = route.event_id;
  const std::string& invitee = *invite.state_key();
  messaging::RoomRow stub;
  stub.room_id = route.room_id;
  stub.kind = direct_key ? "direct" : "group";
  stub.direct_key = direct_key;
  std::optional<std::string> superseded;  // ours, when the invited room keeps the pair's key
  if (direct_key) {
    ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> other,
                     messaging_.FindDirectRoom(*direct_key));
    if (other && other->room_id != route.room_id) {
      // One direct room per pair, but for glare: our user opened one whose
      // invite of the inviter is pending, theirs crossed it. Both are taken.
      // (A remote invitee has no membership row until its server answers.)
      ASSIGN_OR_RETURN(std::optional<std::string> inviter_in,
                       messaging_.Membership(other->room_id, RemoteUserUuid(invite.sender())));
      const bool pending = !inviter_in || *inviter_in == "invite";
      if (other->creator != local_id || !pending) {
        return absl::PermissionDeniedError(
            absl::StrCat("the pair already has a direct room: ", other->room_id));
      }
      // The stub starts superseded (the key is unique) and takes the key in
      // its write when it is the one both servers keep.
      stub.direct_key = messaging::SupersededDirectKey(*direct_key, route.room_id);
      if (messaging::KeepsDirectKey(route.room_id, other->room_id)) superseded = other->room_id;
    }
  }
  stub.creator = RemoteUserUuid(invite.sender());
  stub.created_at = clock_.Now();
  for (const Json& e : invite_state) {
    if (e["type"] == matrix::kNameType && e["content"].contains("name") &&
        e["content"]["name"].is_string()) {
      stub.name = e["content"]["name"].get<std::string>();
    }
  }
  const messaging::RoomWriter::RemoteWrite write{invite, RemoteUserUuid(invite.sender()),
                                                 local_id};
  const RemoteInvite kept{.room_id = route.room_id,
                          .user_id = local_id,
                          .event_id = event_id,
                          .origin = origin,
                          .invite_state = invite_state.dump(),
                          .received_at = clock_.Now()};
  ASSIGN_OR_RETURN(std::vector<KnownPdu> stored, store_.Pdus({event_id}));
  if (!stored.empty()) return Json{{"event", signed_event}};  // a retry: the same answer
  absl::StatusOr<messaging::StoredEvent> written = writer_.WriteInviteStub(
      stub, write,
      [&](messaging::MessagingTx& tx, const std::vector<messaging::StoredEvent>&,
          const std::vector<std::string>&) -> absl::Status {
        RETURN_IF_ERROR(store_.AddRemoteUser(tx.tx(), write.sender_id, invite.sender()));
        if (superseded) {
          RETURN_IF_ERROR(tx.MoveDirectKey(*direct_key, *superseded, route.room_id));
        }
        return store_.PutInvite(tx.tx(), kept);
      });
  // FailedPrecondition: this server joined the room meanwhile, or the pair's
  // key moved (a crossing send, MoveDirectKey); the inviter retries.
  if (absl::IsFailedPrecondition(written.status())) {
    return absl::AbortedError(written.status().message());
  }
  RETURN_IF_ERROR(written.status());
  if (direct_key && direct_taken_) {
    direct_taken_(route.room_id, local_id, invitee, origin, *direct_key);
  }
  return Json{{"event", signed_event}};
}

}  // namespace messenger::federation
