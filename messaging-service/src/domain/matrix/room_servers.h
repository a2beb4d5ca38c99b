// The servers taking part in a room: the server part of every joined member
// in its current state, less those its server ACL denies. Outgoing
// federation sends a room's events to them.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "messaging-service/src/domain/matrix/state_map.h"

namespace messenger::matrix {

// Sorted, without duplicates and without `self` (this server).
std::vector<std::string> JoinedServers(const StateMap& state, absl::string_view self);

}  // namespace messenger::matrix
