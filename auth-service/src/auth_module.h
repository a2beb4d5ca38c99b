// The auth service assembled on a ServiceCore.
#pragma once

#include <memory>

#include "auth-service/src/grpc/auth_grpc_service.h"
#include "auth-service/src/mail/maildir_mailer.h"
#include "auth-service/src/mail/queued_mailer.h"
#include "auth-service/src/mail/smtp_mailer.h"
#include "auth-service/src/service/account_manager.h"
#include "auth-service/src/storage/pg_account_store.h"
#include "common/config.h"
#include "common/service/service_main.h"

namespace messenger::auth {

struct AuthConfig {
  AccountPolicy policy;
  Argon2Cost argon2;
  int argon2_concurrency = 2;  // hashes at once ...
  int argon2_max_waiting = 16;  // ... and waiting; more are refused (429)
  std::string mail_dir;
  SmtpOptions smtp;  // used when smtp.url is set, else the maildir
  int mail_queue = 1000;
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
  absl::Status CreateMailer(const CommonConfig& common, const AuthConfig& config);
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<PgAccountStore> store_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<HashQueue> hashes_;
  std::unique_ptr<Mailer> transport_;  // maildir or SMTP
  std::unique_ptr<QueuedMailer> queued_;  // SMTP only: a maildir write is quick
  std::unique_ptr<GrpcSessionIssuer> sessions_;
  std::unique_ptr<AccountManager> manager_;
  std::unique_ptr<AuthGrpcService> grpc_;
};

}  // namespace messenger::auth
