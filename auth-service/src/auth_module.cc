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
  c.argon2_max_waiting = static_cast<int>(env.Int("MESSENGER_ARGON2_MAX_WAITING", 16, 0, 10'000));
  c.mail_dir = env.String("MESSENGER_MAIL_DIR", common.data_dir + "/mail");
  c.smtp.url = env.String("MESSENGER_SMTP_URL", "");
  c.smtp.from = env.String("MESSENGER_MAIL_FROM", "no-reply@" + common.server_name);
  c.smtp.ca_file = env.String("MESSENGER_SMTP_CA_FILE", "");
  c.smtp.require_tls = env.Bool("MESSENGER_SMTP_REQUIRE_TLS", true);
  c.smtp.timeout = env.Duration("MESSENGER_SMTP_TIMEOUT_MS", absl::Seconds(10),
                                absl::Milliseconds(1), 100, 600'000);
  c.mail_queue = static_cast<int>(env.Int("MESSENGER_MAIL_QUEUE", 1000, 1, 1'000'000));
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
  m->hasher_ = std::make_unique<Argon2Hasher>(config.argon2);
  m->hashes_ = std::make_unique<HashQueue>(
      config.argon2_concurrency, config.argon2_max_waiting,
      [pool = &m->core_->work_pool()](std::function<void()> next) {
        return pool->Submit(std::move(next));
      });
  RETURN_IF_ERROR(m->CreateMailer(common, config));
  Mailer& mailer = m->queued_ ? static_cast<Mailer&>(*m->queued_) : *m->transport_;
  m->sessions_ = std::make_unique<GrpcSessionIssuer>(std::move(session), common.rpc_timeout);
  m->manager_ = std::make_unique<AccountManager>(*m->store_, *m->hasher_, *m->hashes_, mailer,
                                                 *m->sessions_, config.policy,
                                                 SystemClock::Instance(), SecureRng::Instance());
  m->grpc_ = std::make_unique<AuthGrpcService>(*m->manager_, m->core_->work_pool());
  return m;
}

absl::Status AuthModule::CreateMailer(const CommonConfig& common, const AuthConfig& config) {
  if (!config.smtp.url.empty()) {
    transport_ = std::make_unique<SmtpMailer>(config.smtp, SystemClock::Instance());
    queued_ = std::make_unique<QueuedMailer>(*transport_, static_cast<size_t>(config.mail_queue));
    return absl::OkStatus();
  }
  auto maildir =
      std::make_unique<MaildirMailer>(config.mail_dir, common.server_name, SystemClock::Instance());
  RETURN_IF_ERROR(maildir->Init());
  transport_ = std::move(maildir);
  return absl::OkStatus();
}

}  // namespace messenger::auth
