#include "messaging-service/src/service/contact_federation.h"

#include "common/log.h"
#include "common/matrix_user_uuid.h"
#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {
namespace {

absl::StatusOr<FriendshipChange> ChangeOf(const bus::Event& event) {
  FriendshipChange change{event.type, "", "", "", ""};
  if (event.type == "friendship.created") {
    events::v1::FriendshipCreated data;
    RETURN_IF_ERROR(event.DataTo(data));
    change = {event.type, data.requester_id(), data.addressee_id(), data.requester_id(),
              data.remote_matrix_id()};
  } else if (event.type == "friendship.accepted") {
    events::v1::FriendshipAccepted data;
    RETURN_IF_ERROR(event.DataTo(data));
    change = {event.type, data.user_a(), data.user_b(), data.accepted_by(),
              data.remote_matrix_id()};
  } else if (event.type == "friendship.removed") {
    events::v1::FriendshipRemoved data;
    RETURN_IF_ERROR(event.DataTo(data));
    change = {event.type, data.user_a(), data.user_b(), data.removed_by(), data.remote_matrix_id()};
  }
  change.user_a = text::ToLowerAscii(change.user_a);
  change.user_b = text::ToLowerAscii(change.user_b);
  change.actor = text::ToLowerAscii(change.actor);
  return change;
}

}  // namespace

absl::Status ContactFederation::OnFriendshipEvent(const bus::Event& event, pg::Tx& tx) {
  ASSIGN_OR_RETURN(FriendshipChange change, ChangeOf(event));
  if (change.remote_matrix_id.empty()) return absl::OkStatus();  // a local pair
  if (!matrix::IsValidUserId(change.remote_matrix_id)) {
    log::Warn("friendship event with a bad remote_matrix_id", {{"event_id", event.id}});
    return absl::OkStatus();
  }
  const std::string remote_uuid = RemoteUserUuid(change.remote_matrix_id);
  // Direct rooms with the remote contact address this row.
  RETURN_IF_ERROR(rooms_.AddRemoteUser(tx, remote_uuid, change.remote_matrix_id));
  std::optional<ContactForward> forward = ForwardOf(change, remote_uuid);
  if (!forward) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> username,
                   store_.Within(tx)->LocalUsername(forward->local_user_id));
  if (!username) {
    log::Warn("friendship event of an unknown local user", {{"event_id", event.id}});
    return absl::OkStatus();
  }
  const std::string sender = "@" + *username + ":" + server_name_;
  RETURN_IF_ERROR(
      outgoing_.QueueEdu(tx, forward->destination, ContactEdu(*forward, sender).dump()));
  if (wake_)
    tx.AfterCommit([wake = wake_, destination = forward->destination] { wake({destination}); });
  return absl::OkStatus();
}

absl::Status ContactFederation::Receive(const std::string& origin, const nlohmann::json& content) {
  absl::StatusOr<ContactClaim> claim = ParseContactEdu(origin, server_name_, content);
  absl::Status status = claim.ok() ? apply_(*claim) : claim.status();
  if (absl::IsUnavailable(status)) return status;
  if (!status.ok()) {
    log::Info("io.messenger.contact EDU ignored",
              {{"origin", origin}, {"error", std::string(status.message())}});
  }
  return absl::OkStatus();
}

}  // namespace messenger::messaging
