// friendship.created / accepted / removed.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "contact-service/src/domain/friendship.h"

namespace messenger::contact {

inline constexpr char kEventSource[] = "contact";

// The event of `transition` made by `actor` towards `other` (nullopt for none).
// Pairs in accepted/removed events are ordered: user_a < user_b.
absl::StatusOr<std::optional<bus::Event>> FriendshipEvent(const Transition& transition,
                                                          const std::string& actor,
                                                          const std::string& other, absl::Time at,
                                                          const Clock& clock, Rng& rng);

}  // namespace messenger::contact
