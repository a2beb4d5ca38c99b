// Users of other servers as messaging stores them (issue 16): rows of the
// users table whose user_id is derived from the full Matrix id, so every
// replica (and every restart) derives the same one without a lookup, and
// whose username is the full "@local:server" (a local username cannot
// contain ':', so the two never clash). events.sender stays a UUID.
#pragma once

#include <string>
#include <string_view>

namespace messenger::federation {

// The UUID of the remote user `matrix_user_id` ("@local:server"): a
// name-based UUID (SHA-256, version 5 layout) in messenger's namespace.
std::string RemoteUserUuid(std::string_view matrix_user_id);

}  // namespace messenger::federation
