// Users of other servers as messaging stores them (issue 16): rows of the
// users table whose user_id is derived from the full Matrix id
// (common/matrix_user_uuid.h), so every replica (and every restart) derives
// the same one without a lookup, and whose username is the full
// "@local:server" (a local username cannot contain ':', so the two never
// clash). events.sender stays a UUID.
#pragma once

#include "common/matrix_user_uuid.h"

namespace messenger::federation {

using messenger::RemoteUserUuid;

}  // namespace messenger::federation
