#include "messaging-service/src/messaging_module.h"

#include "common/log.h"
#include "common/status.h"
#include "messaging_migrations.h"

namespace messenger::messaging {
namespace {

// The server's signing key: the stored one, or a new one saved for next time.
absl::StatusOr<matrix::Ed25519Key> LoadSigningKey(MessagingStore& store) {
  ASSIGN_OR_RETURN(auto stored, store.SigningKey());
  if (stored) {
    const std::string& key_id = stored->first;
    return matrix::Ed25519Key::FromSeed(stored->second, key_id.substr(key_id.find(':') + 1));
  }
  const std::string version = "a_" + HexEncode(SecureRng::Instance().Bytes(3));
  ASSIGN_OR_RETURN(matrix::Ed25519Key key,
                   matrix::Ed25519Key::Generate(SecureRng::Instance(), version));
  RETURN_IF_ERROR(store.SaveSigningKey(key.key_id(), key.seed()));
  // Another replica may have saved one at the same moment: use the stored one.
  ASSIGN_OR_RETURN(stored, store.SigningKey());
  if (!stored) return absl::InternalError("signing key not saved");
  const std::string& key_id = stored->first;
  return matrix::Ed25519Key::FromSeed(stored->second, key_id.substr(key_id.find(':') + 1));
}

}  // namespace

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
  if (bus_ != nullptr) bus_->OnReconnected(nullptr);
  wake_subscription_.reset();  // no more wake-ups into what goes next
  if (hub_) hub_->Stop();
}

absl::StatusOr<std::unique_ptr<MessagingModule>> MessagingModule::Create(
    const CommonConfig& common, bus::NatsBus& bus, grpcx::ChannelSource contact,
    bool publish_wakeups, MessagingLimits limits) {
  std::unique_ptr<MessagingModule> m(new MessagingModule());
  ASSIGN_OR_RETURN(m->core_,
                   ServiceCore::Create("messaging", common, bus, {&pg::MessagingMigrations()}));
  m->store_ = std::make_unique<PgMessagingStore>(m->core_->pool(), m->core_->outbox());
  m->wake_log_ = std::make_unique<WakeLog>();
  m->hub_ = std::make_unique<WaitHub>();
  m->announcer_ = std::make_unique<CommitAnnouncer>(*m->wake_log_, *m->hub_);
  if (publish_wakeups) {
    m->announcer_->SetPublisher([&bus](const std::string& payload) {
      // Best effort: a lost wake-up delays a delivery, nothing more (WakeLog).
      (void)bus.PublishCore(bus::kSyncWakeSubject, payload);
    });
    CommitAnnouncer* announcer = m->announcer_.get();
    ASSIGN_OR_RETURN(
        m->wake_subscription_,
        bus.Subscribe(bus::kSyncWakeSubject, [announcer](std::string_view, std::string_view data) {
          announcer->Heard(data);
        }));
    // Wake-ups sent while the connection was down are lost.
    WakeLog* log = m->wake_log_.get();
    bus.OnReconnected([log] { log->Forget(); });
    m->bus_ = &bus;
  }
  // After subscribing: what commits before this snapshot's xmax, this
  // replica may not have heard of.
  ASSIGN_OR_RETURN(auto horizon, m->store_->StreamHorizon());
  m->wake_log_->Reset(horizon.first, horizon.second);
  m->friends_ = std::make_unique<GrpcFriendChecker>(std::move(contact), common.rpc_timeout);
  ASSIGN_OR_RETURN(matrix::Ed25519Key key, LoadSigningKey(*m->store_));
  log::Info("matrix signing key", {{"key_id", key.key_id()},
                                   {"public_key", key.public_key_base64()},
                                   {"server_name", common.server_name}});
  m->manager_ = std::make_unique<MessagingManager>(
      *m->store_, *m->friends_, *m->announcer_, common.server_name, std::move(key),
      SystemClock::Instance(), SecureRng::Instance(), limits);
  m->grpc_ = std::make_unique<MessagingGrpcService>(*m->manager_, m->core_->work_pool());
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
