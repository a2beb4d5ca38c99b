#include "common/grpc/auth_accounts.h"

#include "common/status_mapping.h"

namespace messenger::grpcx {

absl::StatusOr<std::optional<AuthAccount>> AuthAccounts::Find(const std::string& user_id) {
  auth::v1::GetUserRequest request;
  request.set_user_id(user_id);
  return Get(request);
}

absl::StatusOr<std::optional<AuthAccount>> AuthAccounts::FindByUsername(
    const std::string& username) {
  auth::v1::GetUserRequest request;
  request.set_username(username);
  return Get(request);
}

absl::StatusOr<std::optional<AuthAccount>> AuthAccounts::Get(
    const auth::v1::GetUserRequest& request) {
  auth::v1::User user;
  auto context = NewClientContext(timeout_);
  grpc::Status status = stub_.get().GetUser(context.get(), request, &user);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError("the auth service did not answer in time");
  }
  if (!status.ok()) return FromGrpcStatus(status);
  if (user.user_id().empty() || user.username().empty()) return std::nullopt;
  return AuthAccount{user.user_id(), user.username(),
                     absl::FromUnixSeconds(user.created_at().seconds()) +
                         absl::Nanoseconds(user.created_at().nanos()),
                     user.deactivated()};
}

}  // namespace messenger::grpcx
