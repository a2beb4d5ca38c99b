// A local user invites a user of another server (fedinvite; server-server
// API, "Inviting to a room"): the invitee's server is not in the room, so
// the invite goes to it directly (PUT /v2/invite) with the stripped state
// of the room. It is sent from inside the room write that builds it (auth
// rules, hash, signature), so that a refusal writes nothing; the wait is
// bounded by the federation request timeout.
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/federation/outgoing_join.h"
#include "messaging-service/src/federation/remote_users.h"

namespace messenger::federation {
namespace {

using Json = nlohmann::json;

// What the invitee is shown of the room (the spec's recommended stripped
// state), with the inviter's own member event.
absl::StatusOr<Json> StrippedState(const std::vector<std::string>& pdus,
                                   const std::string& inviter) {
  static const std::set<std::string> kTypes = {
      "m.room.create", "m.room.join_rules", "m.room.name", "m.room.canonical_alias",
      "m.room.avatar", "m.room.encryption", "m.room.topic"};
  Json out = Json::array();
  for (const std::string& pdu : pdus) {
    ASSIGN_OR_RETURN(matrix::Event e, matrix::Event::Parse(pdu));
    if (kTypes.count(e.type()) == 0 &&
        !(e.type() == matrix::kMemberType && e.state_key() == inviter)) {
      continue;
    }
    out.push_back({{"type", e.type()},
                   {"state_key", *e.state_key()},
                   {"sender", e.sender()},
                   {"content", e.content()}});
  }
  return out;
}

}  // namespace

absl::Status OutgoingJoin::Invite(const RemoteInviteRequest& request) {
  if (!matrix::IsValidUserId(request.invitee)) {
    return absl::InvalidArgumentError("not a valid user id");
  }
  ASSIGN_OR_RETURN(std::string server, matrix::ServerNameOf(request.invitee));
  if (server == server_name_) return absl::InvalidArgumentError("a user of this server");
  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> row, messaging_.GetRoom(request.room_id));
  if (!row) return absl::NotFoundError("no such room");
  const std::string invitee_id = RemoteUserUuid(request.invitee);
  Json content = {{"membership", "invite"}};
  if (row->kind == "direct") {
    // The contact policy: a direct room is the pair's alone; its own peer
    // is invited as such (the caller checked the friendship).
    if (row->direct_key != messaging::DirectKey(request.user_id, invitee_id)) {
      return absl::PermissionDeniedError("a direct room takes no one else");
    }
    content["is_direct"] = true;
  }
  if (request.reason) content["reason"] = *request.reason;
  const messaging::WriteDraft draft{
      {request.matrix_user_id, matrix::kMemberType, request.invitee, std::move(content),
       std::nullopt},
      request.user_id,
      invitee_id};
  return writer_
      .WriteState(
          request.room_id, {draft},
          [&](messaging::MessagingTx& tx, const std::vector<messaging::StoredEvent>& written,
              const std::vector<std::string>&) -> absl::Status {
            if (written.size() != 1) return absl::InternalError("one invite was to be written");
            RETURN_IF_ERROR(store_.AddRemoteUser(tx.tx(), invitee_id, request.invitee));
            ASSIGN_OR_RETURN(Json pdu, matrix::ParseJson(written.front().pdu));
            ASSIGN_OR_RETURN(std::vector<std::string> state,
                             tx.CurrentStatePdus(request.room_id));
            ASSIGN_OR_RETURN(Json stripped, StrippedState(state, request.matrix_user_id));
            const Json body = {{"event", pdu},
                               {"room_version", matrix::kRoomVersion},
                               {"invite_room_state", std::move(stripped)}};
            const std::string uri = absl::StrCat(
                "/_matrix/federation/v2/invite/", QueryEscape(request.room_id), "/",
                QueryEscape(written.front().event_id));
            ASSIGN_OR_RETURN(Json answer,
                             JsonAnswer(client_.Request("PUT", server, uri, body, true),
                                        absl::StrCat("invite on ", server)));
            const auto event = answer.find("event");
            if (event == answer.end() || !event->is_object() ||
                !(*event)["signatures"].is_object() ||
                !(*event)["signatures"][server].is_object()) {
              return absl::UnavailableError(
                  absl::StrCat("invite on ", server, ": the answer has no signed event"));
            }
            // Ours, with the invitee's server's signature added (its other
            // fields are not taken).
            pdu["signatures"][server] = (*event)["signatures"][server];
            ASSIGN_OR_RETURN(std::string text, matrix::CanonicalJson(pdu));
            return store_.ReplacePdu(tx.tx(), written.front().event_id, text);
          })
      .status();
}

}  // namespace messenger::federation
