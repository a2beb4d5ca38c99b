// make_leave/send_leave (server-server API, "Leaving Rooms (Rejecting
// Invites)"): a user of the requesting server leaves a local room, or
// declines an invite to it. The leave enters the room like any remote PDU
// (Ingest: auth rules, then RoomWriter::WriteRemoteEvent), so the room's
// other servers get it from the outgoing sender.
#include "common/status.h"
#include "messaging-service/src/federation/federation_rooms.h"

namespace messenger::federation {

using Json = nlohmann::json;

absl::StatusOr<Json> FederationRooms::MakeLeave(const InboundRequest& request,
                                                const RoomRoute& route) {
  ASSIGN_OR_RETURN(std::string origin, RequestingUser(request, route));
  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> row, messaging_.GetRoom(route.room_id));
  if (!row) return absl::NotFoundError("unknown room");
  ASSIGN_OR_RETURN(matrix::StateMap state, CurrentState(route.room_id));
  RETURN_IF_ERROR(CheckAcl(state, origin));
  const std::string membership = state.Membership(route.user_id);
  if (membership != "join" && membership != "invite") {
    return absl::PermissionDeniedError("the user is not in the room");
  }
  return MembershipTemplate(route, *row, std::move(state), "leave");
}

absl::StatusOr<Json> FederationRooms::SendLeave(const InboundRequest& request,
                                                const RoomRoute& route) {
  ASSIGN_OR_RETURN(auto checked, MembershipPdu(request, route, "leave"));
  const auto& [origin, event] = checked;
  RETURN_IF_ERROR(Ingest(origin, event, nullptr, /*forward=*/true));
  return Json::object();  // v2: an empty object
}

}  // namespace messenger::federation
