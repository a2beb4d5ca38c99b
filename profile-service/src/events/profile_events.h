// profile.updated, and reading the user.* events the profile service consumes.
#pragma once

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "profile-service/src/storage/profile_store.h"

namespace messenger::profile {

inline constexpr char kEventSource[] = "profile";

absl::StatusOr<bus::Event> ProfileUpdatedEvent(const ProfileRecord& profile, const Clock& clock,
                                               Rng& rng);

}  // namespace messenger::profile
