#include "messaging-service/src/federation/remote_direct_policy.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/federation/remote_users.h"

namespace messenger::federation {

absl::StatusOr<std::optional<std::string>> DirectInviteKey(const matrix::Event& invite,
                                                           const std::string& invitee_id,
                                                           const FriendsCheck& friends) {
  const nlohmann::json& content = invite.content();
  const auto direct = content.find("is_direct");
  if (direct == content.end() || !direct->is_boolean() || !direct->get<bool>()) {
    return std::nullopt;
  }
  const std::string inviter_id = RemoteUserUuid(invite.sender());
  bool contacts = false;
  if (friends) {
    ASSIGN_OR_RETURN(contacts, friends(invitee_id, inviter_id));
  }
  if (!contacts) {
    return absl::PermissionDeniedError(
        absl::StrCat(invite.sender(), " is not a contact of ", invite.state_key().value_or(""),
                     ": a direct room invites contacts only"));
  }
  return messaging::DirectKey(invitee_id, inviter_id);
}

absl::Status CheckDirectRoomEvent(const messaging::RoomRow& row, const matrix::Event& event,
                                  const FriendsCheck& friends) {
  if (row.kind != "direct" || !row.direct_key || event.type() == matrix::kMemberType) {
    return absl::OkStatus();
  }
  const auto [a, b] = messaging::DirectPair(*row.direct_key);
  bool contacts = false;
  if (friends) {
    ASSIGN_OR_RETURN(contacts, friends(a, b));
  }
  if (!contacts) {
    return absl::PermissionDeniedError(
        "this direct room is read-only: its two users are no longer contacts");
  }
  return absl::OkStatus();
}

}  // namespace messenger::federation
