// MatrixMembership::LeaveDeactivated: a closed account goes from its rooms
// through the same write as a leave, without the direct-room refusal (the
// one case a direct room's member leaves; the friendship ends with it).
#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/service/matrix_membership.h"

namespace messenger::messaging {

absl::Status MatrixMembership::LeaveDeactivated(const std::string& user_id,
                                                const std::string& room_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  const std::string user = text::ToLowerAscii(user_id);
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(room_id));
  if (!room) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> mine, store_.Membership(room_id, user));
  if (mine != "join" && mine != "invite") return absl::OkStatus();  // left already
  const MembershipChange leave{user, room_id, MemberAction::kLeave, "", std::nullopt};
  return WriteDeparture(leave, *room, user, *mine);
}

}  // namespace messenger::messaging
