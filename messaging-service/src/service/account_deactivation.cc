#include "messaging-service/src/service/account_deactivation.h"

#include "common/crypto.h"
#include "common/log.h"
#include "common/status.h"
#include "common/text.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {

absl::Status AccountDeactivation::OnUserDeactivated(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserDeactivated data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id())) return absl::InvalidArgumentError("user.deactivated without user_id");
  const std::string user = text::ToLowerAscii(data.user_id());
  std::string after;
  int left = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> rooms,
                     store_.RoomsToLeave(user, after, kBatchRooms));
    for (const std::string& room_id : rooms) {
      absl::Status status = membership_.LeaveDeactivated(user, room_id);
      // Storage down: the event comes again. A room that refuses is skipped,
      // so one bad room cannot hold the others.
      if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) return status;
      if (!status.ok()) {
        log::Warn("deactivated account could not leave a room",
                  {{"room_id", room_id}, {"error", std::string(status.message())}});
        continue;
      }
      ++left;
    }
    if (rooms.size() < static_cast<size_t>(kBatchRooms)) break;
    after = rooms.back();
  }
  log::Info("deactivated account left its rooms",
            {{"user_id", user}, {"rooms", static_cast<int64_t>(left)}});
  return store_.DeleteAccountData(tx, user);
}

}  // namespace messenger::messaging
