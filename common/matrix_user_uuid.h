// The UUID messenger gives a user of another Matrix server: derived from the
// full Matrix id, so every service and replica (messaging's users rows,
// contact-service's remote contacts) names that user the same without a
// lookup. A local user's UUID comes from auth-service instead.
#pragma once

#include <string>
#include <string_view>

namespace messenger {

// The UUID of the remote user `matrix_user_id` ("@local:server"): a
// name-based UUID (SHA-256, version 5 layout) in messenger's namespace.
std::string RemoteUserUuid(std::string_view matrix_user_id);

}  // namespace messenger
