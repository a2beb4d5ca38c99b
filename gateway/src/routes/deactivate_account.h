// Account deactivation as both APIs run it (docs/api-additions/
// account-deactivation.md): auth-service checks the password and closes the
// account, then every session of the user is revoked at once and dropped from
// the token cache (session-service also does it on user.deactivated, for a
// gateway that stops in between).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "gateway/src/gateway.h"

namespace messenger::gateway {

// PERMISSION_DENIED for a wrong password, RESOURCE_EXHAUSTED while locked out.
absl::Status DeactivateAccount(Gateway& gw, const std::string& user_id,
                               const std::string& password, bool erase);

}  // namespace messenger::gateway
