// message.sent (no text) and message.seen.
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

}  // namespace messenger::messaging
