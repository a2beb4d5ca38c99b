// Authorization rules of room version 10 (spec rooms/v10.md, "Authorisation
// rules") and the auth events selection (server-server API).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// The (type, state_key) of the state events that belong in the auth_events
// of an event with these fields; empty for m.room.create.
std::vector<StateKey> AuthEventSelection(absl::string_view type, absl::string_view sender,
                                         const std::optional<std::string>& state_key,
                                         const nlohmann::json& content);
std::vector<StateKey> AuthEventSelection(const Event& event);

// Rule 2: checks `auth_events` (the events named by event.auth_events()) and
// returns them as the state to authorize against. Rule 2.3 (no rejected
// entries) is the caller's: only pass events that were accepted.
absl::StatusOr<AuthState> AuthStateFromAuthEvents(const Event& event,
                                                  absl::Span<const Event> auth_events);

// Authorizes `event` against `state` with the v10 rules (1 and 3-10). The
// caller verifies signatures and hashes beforehand (event_signing.h), as the
// rules require events to be signed by the sender's server.
// PermissionDenied (with the reason) when the rules reject the event,
// InvalidArgument when it is malformed, Unimplemented for a
// join_authorised_via_users_server naming another server (needs that
// server's signature, which this pure function cannot check).
absl::Status Authorize(const Event& event, const AuthState& state);

}  // namespace messenger::matrix
