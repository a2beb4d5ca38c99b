// Who has seen a message: the read markers (receipts) of the room's joined
// members at or past it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

// For a joined member of `room_id` only (PERMISSION_DENIED; NOT_FOUND for no
// such room or no such message in it).
absl::StatusOr<std::vector<MessageReceipt>> MessageReceiptsFor(MessagingStore& store,
                                                               MessagingManager& messaging,
                                                               const std::string& user_id,
                                                               const std::string& room_id,
                                                               const std::string& message_id);

}  // namespace messenger::messaging
