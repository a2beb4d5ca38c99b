// A local user joins a room of another server (fedjoin; server-server API
// "Joining Rooms"): make_join on a resident server, our join built and
// signed, send_join, the answer checked (matrix::CheckSendJoinAnswer), then
// the room's history before the join asked with /backfill (best effort), and
// the room created here through RoomWriter::ImportRemoteRoom, so that sync,
// history and /v1 show it like a local room. Nothing is written unless every
// step passed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "messaging-service/src/domain/matrix/pdu_checks.h"
#include "messaging-service/src/domain/matrix/remote_join.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/federation/federation_room_store.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "messaging-service/src/writer/room_writer.h"
#include "nlohmann/json.hpp"

namespace messenger::federation {

// At most this many resident servers are tried for one join.
inline constexpr size_t kMaxJoinServers = 5;

struct RemoteJoinRequest {
  std::string user_id;         // the local user's UUID
  std::string matrix_user_id;  // "@localpart:our_server"
  std::string room_id;
  std::vector<std::string> servers;  // resident servers to try, in order
};

struct RemoteInviteRequest {
  std::string user_id;         // the inviter's UUID
  std::string matrix_user_id;  // "@localpart:our_server"
  std::string room_id;         // a room this server is in
  std::string invitee;         // "@localpart:other_server"
  std::optional<std::string> reason;
};

class OutgoingJoin {
 public:
  OutgoingJoin(FederationClient& client, matrix::ServerKeySource& keys, FederationRoomStore& store,
               messaging::MessagingStore& messaging, messaging::RoomWriter& writer,
               std::string server_name, matrix::Ed25519Key key, const Clock& clock)
      : client_(client),
        keys_(keys),
        store_(store),
        messaging_(messaging),
        writer_(writer),
        server_name_(std::move(server_name)),
        key_(std::move(key)),
        clock_(clock) {}

  // The room id once joined. InvalidArgument for a bad room or user id,
  // NotFound when no other server is named (an unknown local room),
  // AlreadyExists when the room is known here (join it locally), else the
  // last server's error: Unavailable (unreachable, 5xx), PermissionDenied
  // (refused), FailedPrecondition (an answer failing the checks).
  absl::StatusOr<std::string> Join(const RemoteJoinRequest& request);
  // A local user declines an invite into a room of another server this
  // server is not in (outgoing_leave.cc): make_leave/send_leave (v2) on the
  // inviting server, then the leave is written to the invite's stub room.
  // NotFound when there is no such invite; the errors of Join otherwise.
  absl::Status Decline(const RemoteJoinRequest& request);
  // A local user invites a user of another server (outgoing_invite.cc): the
  // invite is built by the room writer (auth rules) and, inside its
  // transaction, sent to the invitee's server (PUT /v2/invite); the event
  // is kept with that server's signature. Nothing is written when it
  // refuses (PermissionDenied, InvalidArgument, NotFound) or cannot be
  // reached (Unavailable). A direct room takes no one but its own peer,
  // invited with is_direct (PermissionDenied; the caller checks the friendship).
  absl::Status Invite(const RemoteInviteRequest& request);

 private:
  // make_join, send_join and the checks with one resident server.
  absl::StatusOr<std::string> JoinVia(const RemoteJoinRequest& request, const std::string& server);
  // The server that invited the user into the room when this server knows
  // the room only through that invite; nullopt for an unknown room;
  // AlreadyExists for a room this server is in.
  absl::StatusOr<std::optional<std::string>> InvitedBy(const RemoteJoinRequest& request);
  // What `server` answers to /backfill from the join's prev_events, checked
  // (matrix::CheckJoinHistory); nothing when it fails (logged).
  std::vector<matrix::Event> History(const std::string& server, const matrix::Event& join,
                                     const matrix::JoinedRoom& joined);
  // The writer's view of an event: sender and member UUIDs.
  absl::StatusOr<messaging::RoomWriter::RemoteWrite> WriteOf(const matrix::Event& event);

  FederationClient& client_;
  matrix::ServerKeySource& keys_;
  FederationRoomStore& store_;
  messaging::MessagingStore& messaging_;
  messaging::RoomWriter& writer_;
  std::string server_name_;
  matrix::Ed25519Key key_;
  const Clock& clock_;
};

}  // namespace messenger::federation
