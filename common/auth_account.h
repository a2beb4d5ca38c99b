// An account as the auth service has it, for a service that meets a user
// whose user.created it has not applied yet (a request right after
// register): auth owns accounts and answers at once what the event brings
// later. The gRPC side is grpcx::AuthAccounts (common/grpc/auth_accounts.h).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace messenger {

struct AuthAccount {
  std::string user_id;
  std::string username;
  absl::Time created_at;
  bool deactivated = false;
};

// By user id (or by username, where a service also resolves names): nullopt
// when auth has no such account, UNAVAILABLE when it cannot answer.
using AccountLookup =
    std::function<absl::StatusOr<std::optional<AuthAccount>>(const std::string& key)>;

}  // namespace messenger
