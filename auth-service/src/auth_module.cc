#include "auth-service/src/auth_module.h"

#include "auth_migrations.h"
#include "common/status.h"

namespace messenger::auth {

AuthConfig AuthConfig::FromEnv(EnvReader& env, const CommonConfig& common) {
  AuthConfig c;
  c.argon2.opslimit = static_cast<uint64_t>(env.Int("MESSENGER_ARGON2_OPSLIMIT", 2, 1, 20));
  c.argon2.memlimit =
      static_cast<size_t>(env.Int("MESSENGER_ARGON2_MEMLIMIT_KIB", 65'536, 8, 4 * 1024 * 1024)) * 1024;
  c.argon2_concurrency = static_cast<int>(env.Int("MESSENGER_ARGON2_CONCURRENCY", 2, 1, 64));
  c.mail_dir = env.String("MESSENGER_MAIL_DIR", common.data_dir + "/mail");
  c.policy.public_url = env.String("MESSENGER_PUBLIC_URL", "http://127.0.0.1:8080");
  c.policy.lockout.max_failures = static_cast<int>(env.Int("MESSENGER_LOGIN_MAX_FAILURES", 5, 1, 1000));
  c.policy.lockout.window = env.Duration("MESSENGER_LOGIN_WINDOW_S", absl::Minutes(15),
                                         absl::Seconds(1), 1, 86'400);
  c.policy.lockout.lockout = env.Duration("MESSENGER_LOGIN_LOCKOUT_S", absl::Minutes(15),
                                          absl::Seconds(1), 1, 86'400);
  return c;
}

absl::StatusOr<std::unique_ptr<AuthModule>> AuthModule::Create(
    const CommonConfig& common, const AuthConfig& config, bus::NatsBus& bus,
    grpcx::ChannelSource session) {
  std::unique_ptr<AuthModule> m(new AuthModule());
  ASSIGN_OR_RETURN(m->core_, ServiceCore::Create("auth", common, bus, {&pg::AuthMigrations()}));
  m->store_ = std::make_unique<PgAccountStore>(m->core_->pool(), m->core_->outbox());
  m->hasher_ = std::make_unique<PasswordHasher>(config.argon2, config.argon2_concurrency);
  m->mailer_ = std::make_unique<MaildirMailer>(config.mail_dir, common.server_name,
                                               SystemClock::Instance());
  RETURN_IF_ERROR(m->mailer_->Init());
  m->sessions_ = std::make_unique<GrpcSessionIssuer>(std::move(session), common.rpc_timeout);
  m->manager_ = std::make_unique<AccountManager>(*m->store_, *m->hasher_, *m->mailer_,
                                                 *m->sessions_, config.policy,
                                                 SystemClock::Instance(), SecureRng::Instance());
  m->grpc_ = std::make_unique<AuthGrpcService>(*m->manager_, m->core_->work_pool());
  return m;
}

}  // namespace messenger::auth
