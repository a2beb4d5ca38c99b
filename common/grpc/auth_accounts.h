// The auth service's GetUser, for a service that meets an account whose
// user.created it has not applied yet (a request right after register):
// auth owns accounts, so it answers at once what the event brings later.
// Callers may call GetUser only (caller_policy.cc).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc/grpc_util.h"
#include "messenger/auth/v1/auth.grpc.pb.h"

namespace messenger::grpcx {

struct AuthAccount {
  std::string username;
  absl::Time created_at;
};

class AuthAccounts {
 public:
  AuthAccounts(ChannelSource auth, absl::Duration timeout)
      : stub_(std::move(auth)), timeout_(timeout) {}
  // nullopt when auth has no such account; UNAVAILABLE when it cannot answer.
  absl::StatusOr<std::optional<AuthAccount>> Find(const std::string& user_id);

 private:
  LazyStub<auth::v1::AuthService> stub_;
  absl::Duration timeout_;
};

}  // namespace messenger::grpcx
