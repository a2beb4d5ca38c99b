// message.sent (no text), message.seen, message.edited and message.deleted.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/event.h"

namespace messenger::messaging {

inline constexpr char kEventSource[] = "messaging";

absl::StatusOr<bus::Event> MessageSentEvent(const std::string& message_id,
                                            const std::string& conversation_id,
                                            const std::string& sender_id, int64_t seq,
                                            const std::vector<std::string>& recipients,
                                            absl::Time sent_at, const Clock& clock, Rng& rng);

absl::StatusOr<bus::Event> MessageSeenEvent(const std::string& conversation_id,
                                            const std::string& user_id, int64_t seq,
                                            absl::Time seen_at, const Clock& clock, Rng& rng);

// What message.edited and message.deleted say of the changed message.
struct ChangedMessage {
  std::string message_id;
  std::string conversation_id;
  std::string sender_id;  // who wrote it
  int64_t seq = 0;
  std::vector<std::string> recipients;  // the other members
};

absl::StatusOr<bus::Event> MessageEditedEvent(const ChangedMessage& message, absl::Time edited_at,
                                              const Clock& clock, Rng& rng);

absl::StatusOr<bus::Event> MessageDeletedEvent(const ChangedMessage& message,
                                               const std::string& deleted_by, absl::Time deleted_at,
                                               const Clock& clock, Rng& rng);

}  // namespace messenger::messaging
