// The contact policy across servers for direct rooms (issue 16, feddirect):
// an invite of a remote user into a direct room is taken only from a contact
// of the invitee, and while the pair of a direct room are not contacts the
// remote member's events (other than membership: leaving stays possible)
// are not applied. The friendship itself is the contact service's answer.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::federation {

// Whether two users (UUIDs; a remote one is RemoteUserUuid) are contacts;
// Unavailable when it cannot be known.
using FriendsCheck =
    std::function<absl::StatusOr<bool>(const std::string& a, const std::string& b)>;

// The direct key of the pair when `invite` (of a remote user, member content
// with is_direct: true) is from a contact of the invitee (`invitee_id`, a
// local UUID); nullopt for an invite into another kind of room;
// PermissionDenied for a non-contact (and without `friends`).
absl::StatusOr<std::optional<std::string>> DirectInviteKey(const matrix::Event& invite,
                                                           const std::string& invitee_id,
                                                           const FriendsCheck& friends);

// OK unless `event` is a non-membership event of the direct room `row` while
// its pair are not contacts (PermissionDenied: the room is read-only).
absl::Status CheckDirectRoomEvent(const messaging::RoomRow& row, const matrix::Event& event,
                                  const FriendsCheck& friends);

}  // namespace messenger::federation
