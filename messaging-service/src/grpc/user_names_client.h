// The auth service's GetUser, for the username of an account whose
// user.created messaging has not applied yet (a sync right after register).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc/grpc_util.h"
#include "messenger/auth/v1/auth.grpc.pb.h"

namespace messenger::messaging {

class GrpcUserNames {
 public:
  GrpcUserNames(grpcx::ChannelSource auth, absl::Duration timeout)
      : stub_(std::move(auth)), timeout_(timeout) {}
  // The account's username; nullopt when auth has no such account,
  // UNAVAILABLE when it cannot be reached.
  absl::StatusOr<std::optional<std::string>> Username(const std::string& user_id);

 private:
  grpcx::LazyStub<auth::v1::AuthService> stub_;
  absl::Duration timeout_;
};

}  // namespace messenger::messaging
