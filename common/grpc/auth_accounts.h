// The auth service's GetUser behind AccountLookup (common/auth_account.h).
// Callers other than the gateway may call GetUser only (caller_policy.cc).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth_account.h"
#include "common/grpc/grpc_util.h"
#include "messenger/auth/v1/auth.grpc.pb.h"

namespace messenger::grpcx {

class AuthAccounts {
 public:
  AuthAccounts(ChannelSource auth, absl::Duration timeout)
      : stub_(std::move(auth)), timeout_(timeout) {}
  // nullopt when auth has no such account; UNAVAILABLE when it cannot answer.
  absl::StatusOr<std::optional<AuthAccount>> Find(const std::string& user_id);
  // The same by username (a local Matrix id's localpart).
  absl::StatusOr<std::optional<AuthAccount>> FindByUsername(const std::string& username);

 private:
  absl::StatusOr<std::optional<AuthAccount>> Get(const auth::v1::GetUserRequest& request);

  LazyStub<auth::v1::AuthService> stub_;
  absl::Duration timeout_;
};

}  // namespace messenger::grpcx
