// user.created / user.email_verified / user.deactivated events.
#pragma once

#include "absl/status/statusor.h"
#include "auth-service/src/storage/account_store.h"
#include "common/bus/event.h"

namespace messenger::auth {

inline constexpr char kEventSource[] = "auth";

absl::StatusOr<bus::Event> UserCreatedEvent(const UserRecord& user, const Clock& clock, Rng& rng);
absl::StatusOr<bus::Event> UserEmailVerifiedEvent(const VerifiedEmail& verified, absl::Time at,
                                                  const Clock& clock, Rng& rng);
absl::StatusOr<bus::Event> UserDeactivatedEvent(const std::string& user_id, bool erase,
                                                absl::Time at, const Clock& clock, Rng& rng);

}  // namespace messenger::auth
