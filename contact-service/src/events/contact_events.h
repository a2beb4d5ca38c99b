// friendship.created / accepted / removed.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "contact-service/src/domain/friendship.h"

namespace messenger::contact {

inline constexpr char kEventSource[] = "contact";

// Who made a transition, towards whom. For a pair across servers,
// remote_matrix_id names the party of the other server; accepted_by is the
// user who accepted (usually the actor; the local user when a remote
// request meets theirs).
struct FriendshipParties {
  std::string actor;
  std::string other;
  std::string remote_matrix_id;
  std::string accepted_by;
};

// The event of `transition` (nullopt for none). Pairs in accepted/removed
// events are ordered: user_a < user_b.
absl::StatusOr<std::optional<bus::Event>> FriendshipEvent(const Transition& transition,
                                                          const FriendshipParties& parties,
                                                          absl::Time at, const Clock& clock,
                                                          Rng& rng);

}  // namespace messenger::contact
