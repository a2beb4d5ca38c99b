// A local user declines an invite into a room of another server (fedinvite;
// server-server API, "Leaving Rooms (Rejecting Invites)"): this server is
// not in the room, so the leave goes through the inviting server's
// make_leave/send_leave (v2); once it took it, the leave ends the invite's
// stub room here (RoomWriter::WriteInviteStub), which /sync then shows under
// rooms.leave.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"
#include "messaging-service/src/domain/matrix/remote_join.h"
#include "messaging-service/src/federation/outgoing_join.h"

namespace messenger::federation {

absl::Status OutgoingJoin::Decline(const RemoteJoinRequest& request) {
  if (!matrix::IsValidRoomId(request.room_id)) {
    return absl::InvalidArgumentError("not a valid room id");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> origin, InvitedBy(request));
  if (!origin) return absl::NotFoundError("no such room");
  const std::string make_uri = absl::StrCat("/_matrix/federation/v1/make_leave/",
                                            QueryEscape(request.room_id), "/",
                                            QueryEscape(request.matrix_user_id));
  ASSIGN_OR_RETURN(nlohmann::json made,
                   JsonAnswer(client_.Request("GET", *origin, make_uri, std::nullopt, true),
                              absl::StrCat("make_leave on ", *origin)));
  ASSIGN_OR_RETURN(matrix::PduFields fields,
                   matrix::MembershipFromTemplate(made, request.room_id, request.matrix_user_id,
                                                  "leave", absl::ToUnixMillis(clock_.Now())));
  ASSIGN_OR_RETURN(matrix::Event leave, matrix::BuildPdu(fields, server_name_, key_));
  const std::string send_uri =
      absl::StrCat("/_matrix/federation/v2/send_leave/", QueryEscape(request.room_id), "/",
                   QueryEscape(leave.event_id()));
  RETURN_IF_ERROR(JsonAnswer(client_.Request("PUT", *origin, send_uri, leave.json(), true),
                             absl::StrCat("send_leave on ", *origin))
                      .status());
  ASSIGN_OR_RETURN(messaging::RoomWriter::RemoteWrite write, WriteOf(leave));
  messaging::RoomRow row;  // the stub exists: only its id is used
  row.room_id = request.room_id;
  return writer_.WriteInviteStub(row, write, nullptr).status();
}

}  // namespace messenger::federation
