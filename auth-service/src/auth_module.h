// The auth service assembled on a ServiceCore.
#pragma once

#include <memory>

#include "auth-service/src/grpc/auth_grpc_service.h"
#include "auth-service/src/mail/maildir_mailer.h"
#include "auth-service/src/service/account_manager.h"
#include "auth-service/src/storage/pg_account_store.h"
#include "common/config.h"
#include "common/service/service_main.h"

namespace messenger::auth {

struct AuthConfig {
  AccountPolicy policy;
  Argon2Cost argon2;
  int argon2_concurrency = 2;
  std::string mail_dir;
  static AuthConfig FromEnv(EnvReader& env, const CommonConfig& common);
};

class AuthModule final : public ServiceModule {
 public:
  // `session` reaches the session service.
  static absl::StatusOr<std::unique_ptr<AuthModule>> Create(const CommonConfig& common,
                                                            const AuthConfig& config,
                                                            bus::NatsBus& bus,
                                                            grpcx::ChannelSource session);
  std::vector<grpc::Service*> grpc_services() override { return {grpc_.get()}; }
  ServiceCore& core() override { return *core_; }

 private:
  AuthModule() = default;
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<PgAccountStore> store_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<MaildirMailer> mailer_;
  std::unique_ptr<GrpcSessionIssuer> sessions_;
  std::unique_ptr<AccountManager> manager_;
  std::unique_ptr<AuthGrpcService> grpc_;
};

}  // namespace messenger::auth
