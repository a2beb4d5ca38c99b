#include "messaging-service/src/messaging_module.h"

#include "common/log.h"
#include "common/status.h"
#include "messaging_migrations.h"

namespace messenger::messaging {
MessagingLimits MessagingLimitsFromEnv(EnvReader& env) {
  MessagingLimits limits;
  limits.loaded_rooms = static_cast<size_t>(env.Int(
      "MESSENGER_MESSAGING_ROOM_CACHE", static_cast<int64_t>(limits.loaded_rooms), 1, 10'000'000));
  limits.cache_entries =
      static_cast<size_t>(env.Int("MESSENGER_MESSAGING_CACHE_ENTRIES",
                                  static_cast<int64_t>(limits.cache_entries), 1, 100'000'000));
  return limits;
}

MessagingModule::~MessagingModule() {
  if (hub_) hub_->Stop();
}

absl::StatusOr<std::unique_ptr<MessagingModule>> MessagingModule::Create(
    const CommonConfig& common, bus::NatsBus& bus, grpcx::ChannelSource contact,
    bool publish_wakeups, MessagingLimits limits, federation::FederationConfig fed) {
  std::unique_ptr<MessagingModule> m(new MessagingModule());
  ASSIGN_OR_RETURN(m->core_,
                   ServiceCore::Create("messaging", common, bus, {&pg::MessagingMigrations()}));
  m->store_ = std::make_unique<PgMessagingStore>(m->core_->pool(), m->core_->outbox());
  m->tracker_ = std::make_unique<StreamTracker>();
  ASSIGN_OR_RETURN(int64_t position, m->store_->MaxStreamPosition());
  m->tracker_->Reset(position);
  m->hub_ = std::make_unique<WaitHub>();
  if (publish_wakeups) {
    m->hub_->AddListener([&bus](const std::vector<std::string>& users) {
      // Best effort: a lost wake-up delays a poll until its timeout, nothing more.
      (void)bus.PublishCore(bus::kSyncWakeSubject, nlohmann::json(users).dump());
    });
  }
  m->friends_ = std::make_unique<GrpcFriendChecker>(std::move(contact), common.rpc_timeout);
  ASSIGN_OR_RETURN(matrix::Ed25519Key key,
                   federation::LoadSigningKey(*m->store_, fed.signing_key_file,
                                              SecureRng::Instance()));
  log::Info("matrix signing key", {{"key_id", key.key_id()},
                                   {"public_key", key.public_key_base64()},
                                   {"server_name", common.server_name}});
  m->manager_ = std::make_unique<MessagingManager>(
      *m->store_, *m->friends_, *m->tracker_, *m->hub_, common.server_name, key,
      SystemClock::Instance(), SecureRng::Instance(), limits);
  ASSIGN_OR_RETURN(m->federation_, federation::Federation::Create(
                                       fed, common.server_name, key, *m->store_,
                                       m->core_->pool(), SystemClock::Instance()));
  m->federation_grpc_ =
      std::make_unique<FederationGrpcService>(*m->federation_, m->core_->work_pool());
  m->grpc_ = std::make_unique<MessagingGrpcService>(*m->manager_,
                                                    m->core_->work_pool());
  MessagingManager* manager = m->manager_.get();
  m->core_->AddConsumer("users", "user.>", [manager](const bus::Event& event, pg::Tx& tx) {
    if (event.type != "user.created") return absl::OkStatus();
    return manager->OnUserCreated(event, tx);
  });
  m->core_->AddConsumer("friendships", "friendship.>",
                        [manager](const bus::Event& event, pg::Tx& tx) {
                          return manager->OnFriendshipEvent(event, tx);
                        });
  return m;
}

}  // namespace messenger::messaging
