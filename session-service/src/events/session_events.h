// session.created / session.revoked events.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "session-service/src/domain/session_rules.h"

namespace messenger::session {

inline constexpr char kEventSource[] = "session";

absl::StatusOr<bus::Event> SessionCreatedEvent(const std::string& session_id,
                                               const std::string& user_id,
                                               const std::string& device_name, absl::Time at,
                                               const Clock& clock, Rng& rng);

absl::StatusOr<bus::Event> SessionRevokedEvent(const std::string& session_id,
                                               const std::string& user_id, RevokeReason reason,
                                               absl::Time at, const Clock& clock, Rng& rng);

}  // namespace messenger::session
