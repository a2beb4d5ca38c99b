#include "messaging-service/src/service/message_receipts.h"

#include "common/crypto.h"
#include "common/status.h"

namespace messenger::messaging {

absl::StatusOr<std::vector<MessageReceipt>> MessageReceiptsFor(MessagingStore& store,
                                                               MessagingManager& messaging,
                                                               const std::string& user_id,
                                                               const std::string& room_id,
                                                               const std::string& message_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  RETURN_IF_ERROR(messaging.CheckMember(room_id, user_id));
  ASSIGN_OR_RETURN(std::optional<std::vector<MessageReceipt>> receipts,
                   store.MessageReceipts(room_id, message_id));
  if (!receipts) return absl::NotFoundError("no such message in this conversation");
  return std::move(*receipts);
}

}  // namespace messenger::messaging
