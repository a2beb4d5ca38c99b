// Invites across servers (server-server API, "Inviting to a room"), the pure
// steps of PUT /_matrix/federation/v2/invite: the request body's checks and
// the invite event's own rules (the room's state is not known here; the
// inviting server vouches for it with its signature).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// Stripped state events taken from invite_room_state (the rest: 400).
inline constexpr size_t kMaxInviteStateEvents = 50;

// The v2 body: {"event", "invite_room_state", "room_version"}, the event as
// sent (its signatures and hash are checked by CheckPduFormatAndSignatures).
struct InviteBody {
  nlohmann::json event;
  std::string room_version;
  // {type, state_key, sender, content} of each stripped event.
  nlohmann::json invite_state = nlohmann::json::array();
};

// InvalidArgument for a malformed body or stripped state.
absl::StatusOr<InviteBody> ParseInviteBody(const nlohmann::json& body);

// `origin` invites a user of `local_server` with `event` (already checked for
// format, signatures and hash) at PUT /invite/{room_id}/{event_id}:
// InvalidArgument unless it is that event, an m.room.member invite whose
// state_key is a user of `local_server`; PermissionDenied when its sender is
// not a user of `origin` (a server speaks for its own users only).
absl::Status CheckRemoteInvite(const Event& event, absl::string_view origin,
                               absl::string_view local_server, absl::string_view room_id,
                               absl::string_view event_id);

}  // namespace messenger::matrix
