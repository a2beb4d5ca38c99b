// Matrix user ids of local accounts: "@username:server_name". Pure, no IO.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace messenger::gateway::matrix {

// The localpart of a user id of `server_name`: M_INVALID_PARAM when it is not
// "@localpart:server", M_NOT_FOUND when it names another server.
absl::StatusOr<std::string> LocalpartOf(std::string_view user_id, std::string_view server_name);

// What a login names: a full user id of this server or a bare localpart,
// lowercased (usernames are case-insensitive). M_FORBIDDEN for another
// server's user, M_INVALID_PARAM for an empty or malformed name.
absl::StatusOr<std::string> LoginUsername(std::string_view user, std::string_view server_name);

}  // namespace messenger::gateway::matrix
