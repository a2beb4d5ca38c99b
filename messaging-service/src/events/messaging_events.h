// message.sent (no text), message.received (the same for messages of other
// servers' users), message.seen, message.edited, message.deleted and
// the conversation.* events.
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

// What message.received says of a message another server sent us.
struct ReceivedMessage {
  std::string message_id;
  std::string conversation_id;
  std::string sender_id;         // UUID
  std::string sender_matrix_id;  // "@user:server"
  int64_t seq = 0;
  std::vector<std::string> recipients;
  absl::Time sent_at;
};

absl::StatusOr<bus::Event> MessageReceivedEvent(const ReceivedMessage& message, const Clock& clock,
                                                Rng& rng);

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

namespace messenger::messaging {

// conversation.member_added / member_removed / updated: who and what changed,
// never a message's content or a setting's value.
absl::StatusOr<bus::Event> MemberAddedEvent(const std::string& conversation_id,
                                            const std::string& user_id,
                                            const std::string& added_by, absl::Time at,
                                            const Clock& clock, Rng& rng);
// `reason`: "left" (own leave) or "removed" (by an admin).
absl::StatusOr<bus::Event> MemberRemovedEvent(const std::string& conversation_id,
                                              const std::string& user_id,
                                              const std::string& removed_by,
                                              const std::string& reason, absl::Time at,
                                              const Clock& clock, Rng& rng);
absl::StatusOr<bus::Event> ConversationUpdatedEvent(const std::string& conversation_id,
                                                    const std::string& updated_by,
                                                    const std::vector<std::string>& fields,
                                                    absl::Time at, const Clock& clock, Rng& rng);

}  // namespace messenger::messaging
