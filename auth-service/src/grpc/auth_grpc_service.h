// gRPC adapter of the auth service: proto <-> AccountManager.
#pragma once

#include <memory>

#include <grpcpp/grpcpp.h>

#include "auth-service/src/service/account_manager.h"
#include "common/grpc/grpc_util.h"
#include "common/grpc/work_pool.h"
#include "messenger/auth/v1/auth.grpc.pb.h"
#include "messenger/session/v1/session.grpc.pb.h"

namespace messenger::auth {

class AuthGrpcService final : public v1::AuthService::CallbackService {
 public:
  AuthGrpcService(AccountManager& accounts, grpcx::WorkPool& pool)
      : accounts_(accounts), pool_(pool) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::RegisterResponse* response) override;
  grpc::ServerUnaryReactor* VerifyEmail(grpc::CallbackServerContext* context,
                                        const v1::VerifyEmailRequest* request,
                                        v1::VerifyEmailResponse* response) override;
  grpc::ServerUnaryReactor* ResendVerification(grpc::CallbackServerContext* context,
                                               const v1::ResendVerificationRequest* request,
                                               v1::ResendVerificationResponse* response) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* context,
                                  const v1::LoginRequest* request,
                                  v1::LoginResponse* response) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const v1::GetUserRequest* request, v1::User* response) override;
  grpc::ServerUnaryReactor* UsernameAvailable(grpc::CallbackServerContext* context,
                                              const v1::UsernameAvailableRequest* request,
                                              v1::UsernameAvailableResponse* response) override;
  grpc::ServerUnaryReactor* CheckPassword(grpc::CallbackServerContext* context,
                                          const v1::CheckPasswordRequest* request,
                                          v1::CheckPasswordResponse* response) override;
  grpc::ServerUnaryReactor* ChangePassword(grpc::CallbackServerContext* context,
                                           const v1::ChangePasswordRequest* request,
                                           v1::ChangePasswordResponse* response) override;
  grpc::ServerUnaryReactor* Deactivate(grpc::CallbackServerContext* context,
                                       const v1::DeactivateRequest* request,
                                       v1::DeactivateResponse* response) override;

 private:
  AccountManager& accounts_;
  grpcx::WorkPool& pool_;
};

// SessionIssuer over the session service's gRPC API.
class GrpcSessionIssuer final : public SessionIssuer {
 public:
  GrpcSessionIssuer(grpcx::ChannelSource session, absl::Duration timeout)
      : stub_(std::move(session)), timeout_(timeout) {}
  absl::StatusOr<session::v1::SessionTokens> CreateSession(const std::string& user_id,
                                                           const std::string& device_name,
                                                           const std::string& device_id) override;

 private:
  grpcx::LazyStub<session::v1::SessionService> stub_;
  absl::Duration timeout_;
};

}  // namespace messenger::auth
