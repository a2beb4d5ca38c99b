#include "session-service/src/session_module.h"

#include "common/status.h"
#include "session_migrations.h"

namespace messenger::session {

SessionConfig SessionConfig::FromEnv(EnvReader& env) {
  SessionConfig c;
  c.policy.access_ttl = env.Duration("MESSENGER_ACCESS_TOKEN_TTL_S", absl::Minutes(15),
                                     absl::Seconds(1), 1, 86'400);
  c.policy.refresh_ttl = env.Duration("MESSENGER_REFRESH_TOKEN_TTL_S", absl::Hours(24 * 30),
                                      absl::Seconds(1), 60, 365 * 86'400);
  return c;
}

absl::StatusOr<std::unique_ptr<SessionModule>> SessionModule::Create(const CommonConfig& common,
                                                                     const SessionConfig& config,
                                                                     bus::NatsBus& bus) {
  std::unique_ptr<SessionModule> m(new SessionModule());
  ASSIGN_OR_RETURN(m->core_,
                   ServiceCore::Create("session", common, bus, {&pg::SessionMigrations()}));
  m->store_ = std::make_unique<PgSessionStore>(m->core_->pool(), m->core_->outbox());
  m->manager_ = std::make_unique<SessionManager>(*m->store_, config.policy,
                                                 SystemClock::Instance(), SecureRng::Instance());
  m->grpc_ = std::make_unique<SessionGrpcService>(*m->manager_, m->core_->work_pool());
  m->core_->AddConsumer("users", "user.>", [manager = m->manager_.get()](const bus::Event& event,
                                                                          pg::Tx&) {
    if (event.type != "user.deactivated") return absl::OkStatus();
    return manager->OnUserDeactivated(event);
  });
  // Expired tokens are useless after a day (reuse of an expired refresh token
  // is refused as expired anyway).
  m->core_->AddPeriodic("delete_expired_tokens", absl::Minutes(10), [store = m->store_.get()] {
    return store->DeleteExpiredTokens(absl::Now() - absl::Hours(24)).status();
  });
  return m;
}

}  // namespace messenger::session
