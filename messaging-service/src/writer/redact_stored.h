// Deleting a message's text where it is stored: the local delete
// (RelationsManager) and a remote user's redaction (the writer) alike.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

// Replaces the stored PDU of `event_id` and of its edits by their redacted
// form (the room version's algorithm): the text is gone, the event stays.
absl::Status RedactStored(MessagingTx& tx, const std::string& event_id);

}  // namespace messenger::messaging
