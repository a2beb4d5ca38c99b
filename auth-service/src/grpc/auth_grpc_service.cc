#include "auth-service/src/grpc/auth_grpc_service.h"

#include "common/grpc/grpc_util.h"
#include "common/status.h"
#include "common/time_util.h"

namespace messenger::auth {
namespace {

void ToProto(const UserRecord& user, v1::User* out) {
  out->set_user_id(user.user_id);
  out->set_username(user.username);
  out->set_email(user.email);
  out->set_email_verified(user.email_verified_at.has_value());
  messenger::ToProto(user.created_at, out->mutable_created_at());
  out->set_deactivated(user.deactivated_at.has_value());
}

}  // namespace

grpc::ServerUnaryReactor* AuthGrpcService::Register(grpc::CallbackServerContext* context,
                                                    const v1::RegisterRequest* request,
                                                    v1::RegisterResponse* response) {
  return grpcx::RunLater(context, pool_, [this, request, response](auto finish) {
    RegisterOptions options{.without_email = request->without_email(),
                            .create_session = request->create_session(),
                            .device_name = request->device_name(),
                            .device_id = request->device_id()};
    accounts_.Register(
        request->username(), request->email(), request->password(),
        [response, finish](absl::StatusOr<Registered> registered) {
          if (registered.ok()) {
            ToProto(registered->user, response->mutable_user());
            if (registered->tokens) *response->mutable_tokens() = std::move(*registered->tokens);
          }
          finish(registered.status());
        },
        std::move(options));
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::VerifyEmail(grpc::CallbackServerContext* context,
                                                       const v1::VerifyEmailRequest* request,
                                                       v1::VerifyEmailResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(VerifiedEmail verified, accounts_.VerifyEmail(request->token()));
    response->set_user_id(verified.user_id);
    response->set_email_verified(true);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::ResendVerification(
    grpc::CallbackServerContext* context, const v1::ResendVerificationRequest* request,
    v1::ResendVerificationResponse*) {
  return grpcx::RunBlocking(context, pool_, [this, request]() -> absl::Status {
    return accounts_.ResendVerification(request->email());
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::Login(grpc::CallbackServerContext* context,
                                                 const v1::LoginRequest* request,
                                                 v1::LoginResponse* response) {
  return grpcx::RunLater(context, pool_, [this, request, response](auto finish) {
    accounts_.Login(
        request->login(), request->password(), request->device_name(),
        [response, finish](absl::StatusOr<session::v1::SessionTokens> tokens) {
          if (tokens.ok()) *response->mutable_tokens() = std::move(*tokens);
          finish(tokens.status());
        },
        request->device_id());
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::GetUser(grpc::CallbackServerContext* context,
                                                   const v1::GetUserRequest* request,
                                                   v1::User* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<UserRecord> user =
        request->key_case() == v1::GetUserRequest::kUsername
            ? accounts_.GetUserByUsername(request->username())
            : accounts_.GetUser(request->user_id());
    RETURN_IF_ERROR(user.status());
    ToProto(*user, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::UsernameAvailable(
    grpc::CallbackServerContext* context, const v1::UsernameAvailableRequest* request,
    v1::UsernameAvailableResponse* response) {
  return grpcx::RunBlocking(context, pool_, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(bool available, accounts_.UsernameAvailable(request->username()));
    response->set_available(available);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::CheckPassword(grpc::CallbackServerContext* context,
                                                         const v1::CheckPasswordRequest* request,
                                                         v1::CheckPasswordResponse*) {
  return grpcx::RunLater(context, pool_, [this, request](auto finish) {
    accounts_.CheckPassword(request->user_id(), request->password(),
                            [finish](absl::StatusOr<bool> ok) { finish(ok.status()); });
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::ChangePassword(grpc::CallbackServerContext* context,
                                                          const v1::ChangePasswordRequest* request,
                                                          v1::ChangePasswordResponse*) {
  return grpcx::RunLater(context, pool_, [this, request](auto finish) {
    accounts_.ChangePassword(request->user_id(), request->old_password(),
                             request->new_password(),
                             [finish](absl::StatusOr<bool> ok) { finish(ok.status()); });
  });
}

grpc::ServerUnaryReactor* AuthGrpcService::Deactivate(grpc::CallbackServerContext* context,
                                                      const v1::DeactivateRequest* request,
                                                      v1::DeactivateResponse* response) {
  return grpcx::RunLater(context, pool_, [this, request, response](auto finish) {
    accounts_.Deactivate(request->user_id(), request->password(), request->erase(),
                         [finish, response](absl::StatusOr<bool> newly) {
                           if (newly.ok()) response->set_newly_deactivated(*newly);
                           finish(newly.status());
                         });
  });
}

absl::StatusOr<session::v1::SessionTokens> GrpcSessionIssuer::CreateSession(
    const std::string& user_id, const std::string& device_name, const std::string& device_id) {
  session::v1::CreateSessionRequest request;
  request.set_user_id(user_id);
  request.set_device_name(device_name);
  request.set_device_id(device_id);
  session::v1::SessionTokens tokens;
  auto context = grpcx::NewClientContext(timeout_);
  RETURN_IF_ERROR(FromGrpcStatus(stub_.get().CreateSession(context.get(), request, &tokens)));
  return tokens;
}

}  // namespace messenger::auth
