#include "messaging-service/src/messaging_module.h"

#include <unistd.h>

#include "common/log.h"
#include "common/status.h"
#include "messaging-service/src/federation/missing_events.h"
#include "messaging-service/src/federation/remote_directory.h"
#include "messaging-service/src/service/e2ee_sync_sections.h"
#include "messaging-service/src/sharding/shard_plan.h"
#include "messaging_migrations.h"

namespace messenger::messaging {
namespace {

// Unique per process start: a restarted replica is a new one.
std::string NewReplicaId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host) + "-" + HexEncode(SecureRng::Instance().Bytes(4));
}

}  // namespace

MessagingLimits MessagingLimitsFromEnv(EnvReader& env) {
  MessagingLimits limits;
  limits.loaded_rooms = static_cast<size_t>(env.Int(
      "MESSENGER_MESSAGING_ROOM_CACHE", static_cast<int64_t>(limits.loaded_rooms), 1, 10'000'000));
  limits.cache_entries =
      static_cast<size_t>(env.Int("MESSENGER_MESSAGING_CACHE_ENTRIES",
                                  static_cast<int64_t>(limits.cache_entries), 1, 100'000'000));
  limits.typing.per_room = static_cast<size_t>(env.Int(
      "MESSENGER_TYPING_PER_ROOM", static_cast<int64_t>(limits.typing.per_room), 1, 10'000));
  limits.typing.total = static_cast<size_t>(env.Int(
      "MESSENGER_TYPING_TOTAL", static_cast<int64_t>(limits.typing.total), 1, 10'000'000));
  limits.max_group_members =
      env.Int("MESSENGER_MAX_GROUP_MEMBERS", limits.max_group_members, 2, 1'000'000);
  limits.e2ee.max_one_time_keys =
      env.Int("MESSENGER_E2EE_MAX_ONE_TIME_KEYS", limits.e2ee.max_one_time_keys, 1, 100'000);
  limits.e2ee.inbox_size = env.Int("MESSENGER_E2EE_INBOX", limits.e2ee.inbox_size, 1, 1'000'000);
  return limits;
}

AccountLimits AccountLimitsFromEnv(EnvReader& env) {
  AccountLimits limits;
  limits.max_content_bytes = static_cast<size_t>(
      env.Int("MESSENGER_ACCOUNT_DATA_MAX_BYTES", static_cast<int64_t>(limits.max_content_bytes),
              256, 16 * 1024 * 1024));
  return limits;
}

MessagingModule::~MessagingModule() {
  if (outgoing_sender_) outgoing_sender_->Stop();
  if (profile_members_) profile_members_->Stop();
  reconnect_hook_.reset();
  wake_subscription_.reset();  // no more wake-ups into what goes next
  typing_subscription_.reset();
  friendships_heard_.reset();
  if (leases_) leases_->Stop();  // the other replicas take the shards at once
  if (hub_) hub_->Stop();
}

absl::StatusOr<std::unique_ptr<MessagingModule>> MessagingModule::Create(
    const CommonConfig& common, bus::NatsBus& bus, grpcx::ChannelSource contact,
    grpcx::ChannelSource auth, bool publish_wakeups, MessagingLimits limits, ShardingOptions sharding,
    federation::FederationConfig fed, AccountLimits account) {
  std::unique_ptr<MessagingModule> m(new MessagingModule());
  ASSIGN_OR_RETURN(m->core_,
                   ServiceCore::Create("messaging", common, bus, {&pg::MessagingMigrations()}));
  // The migrations ran; a migrate-only process neither subscribes (its bus is
  // offline) nor takes shards.
  if (common.migrate_only) return m;
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
    m->reconnect_hook_ = bus.OnReconnected([log] { log->Forget(); });
  }
  // After subscribing: what commits before this snapshot's xmax, this
  // replica may not have heard of.
  ASSIGN_OR_RETURN(auto horizon, m->store_->StreamHorizon());
  m->wake_log_->Reset(horizon.first, horizon.second);
  m->remote_contacts_ = std::make_unique<GrpcRemoteContacts>(contact, common.rpc_timeout);
  m->friends_ = std::make_unique<GrpcFriendChecker>(std::move(contact), common.rpc_timeout);
  ASSIGN_OR_RETURN(matrix::Ed25519Key key,
                   federation::LoadSigningKey(*m->store_, fed.signing_key_file,
                                              SecureRng::Instance()));
  log::Info("matrix signing key", {{"key_id", key.key_id()},
                                   {"public_key", key.public_key_base64()},
                                   {"server_name", common.server_name}});
  m->manager_ = std::make_unique<MessagingManager>(
      *m->store_, *m->friends_, *m->announcer_, common.server_name, key,
      SystemClock::Instance(), SecureRng::Instance(), limits);
  m->accounts_ = std::make_unique<grpcx::AuthAccounts>(std::move(auth), common.rpc_timeout);
  m->manager_->SetAccountLookup([accounts = m->accounts_.get()](const std::string& user_id) {
    return accounts->Find(user_id);
  });
  m->typing_ = std::make_unique<TypingManager>(*m->store_, *m->manager_, *m->announcer_,
                                                SystemClock::Instance(), limits.typing);
  if (publish_wakeups) {
    m->typing_->SetPublisher([&bus](const std::string& payload) {
      (void)bus.PublishCore(kTypingSubject, payload);  // best effort: typing is a hint
    });
    TypingManager* typing = m->typing_.get();
    ASSIGN_OR_RETURN(m->typing_subscription_,
                     bus.Subscribe(kTypingSubject, [typing](std::string_view, std::string_view data) {
                       typing->Heard(data);
                     }));
  }
  ASSIGN_OR_RETURN(m->federation_, federation::Federation::Create(
                                       fed, common.server_name, key, *m->store_,
                                       m->core_->pool(), SystemClock::Instance()));
  m->federation_grpc_ =
      std::make_unique<FederationGrpcService>(*m->federation_, m->core_->work_pool());
  m->federation_room_store_ =
      std::make_unique<federation::PgFederationRoomStore>(m->core_->pool());
  m->federation_rooms_ = std::make_unique<federation::FederationRooms>(
      m->federation_->authenticator(), m->federation_->remote_keys(), m->federation_->store(),
      *m->federation_room_store_, *m->store_, m->manager_->writer(), common.server_name,
      SystemClock::Instance());
  TypingManager* typing = m->typing_.get();
  m->federation_rooms_->SetTypingSink([typing](const std::string& user, const std::string& room,
                                               bool on, absl::Duration timeout) {
    return typing->Set(user, room, on, timeout);
  });
  m->federation_rooms_->SetMissingEventsFetch(
      federation::MissingEventsFrom(m->federation_->client()));
  m->federation_rooms_->SetSigningKey(key);
  m->outgoing_join_ = std::make_unique<federation::OutgoingJoin>(
      m->federation_->client(), m->federation_->remote_keys(), *m->federation_room_store_,
      *m->store_, m->manager_->writer(), common.server_name, key, SystemClock::Instance());
  m->federation_rooms_grpc_ = std::make_unique<FederationRoomGrpcService>(
      *m->federation_rooms_, *m->outgoing_join_, m->core_->work_pool());
  // Direct rooms across servers (feddirect): the contact policy, the peer
  // invited from here and an accepted invite joined at once.
  MessagingManager* direct_manager = m->manager_.get();
  m->federation_rooms_->SetFriendsCheck(
      [direct_manager](const std::string& a, const std::string& b) {
        return direct_manager->FriendsRemembered(a, b);
      });
  federation::OutgoingJoin* outgoing_join = m->outgoing_join_.get();
  direct_manager->SetRemoteInviter([outgoing_join](const std::string& room_id,
                                            const std::string& inviter_id,
                                            const std::string& inviter_mxid,
                                            const std::string& invitee) {
    return outgoing_join->Invite({.user_id = inviter_id,
                                  .matrix_user_id = inviter_mxid,
                                  .room_id = room_id,
                                  .invitee = invitee,
                                  .reason = std::nullopt});
  });
  m->direct_joiner_ = std::make_unique<federation::DirectJoiner>(
      [outgoing_join](const federation::RemoteJoinRequest& request) {
        return outgoing_join->Join(request);
      },
      federation::DirectJoiner::Options{});
  federation::DirectJoiner* joiner = m->direct_joiner_.get();
  m->federation_rooms_->SetDirectInviteTaken(
      [joiner, manager = m->manager_.get()](
          const std::string& room_id, const std::string& user_id,
          const std::string& matrix_user_id, const std::string& origin,
          const std::string& direct_key) {
        manager->ForgetDirectRoom(direct_key);  // glare may have given the pair another room
        (void)joiner->Add({.user_id = user_id,
                           .matrix_user_id = matrix_user_id,
                           .room_id = room_id,
                           .servers = {origin}});
      });
  m->outgoing_store_ = std::make_unique<federation::PgOutgoingStore>(m->core_->pool());
  m->outgoing_sender_ = std::make_unique<federation::OutgoingSender>(
      *m->outgoing_store_, m->federation_->client(), common.server_name, SecureRng::Instance(),
      fed.sender);
  federation::OutgoingSender* sender = m->outgoing_sender_.get();
  m->manager_->writer().SetOutgoingWake(
      [sender](const std::vector<std::string>& destinations) { sender->Wake(destinations); });
  m->outgoing_typing_ = std::make_unique<OutgoingTyping>(
      *m->store_, m->manager_->writer(), *m->outgoing_sender_, common.server_name);
  OutgoingTyping* outgoing_typing = m->outgoing_typing_.get();
  m->typing_->SetFederationSink(
      [outgoing_typing](const std::string& user, const std::string& room, bool typing) {
        outgoing_typing->Changed(user, room, typing);
      });
  m->outgoing_receipts_ = std::make_unique<OutgoingReceipts>(
      *m->store_, m->manager_->writer(), *m->outgoing_sender_, common.server_name);
  m->manager_->writer().SetReceiptSink(
      [receipts = m->outgoing_receipts_.get()](const std::string& room, const std::string& user,
                                               int64_t seq, absl::Time at) {
        receipts->Advanced(user, room, seq, at);
      });
  m->outgoing_sender_->Start();
  MessagingManager* manager = m->manager_.get();
  if (!sharding.advertise_address.empty()) {
    m->leases_ = std::make_unique<LeaseHolder>(
        LeaseHolder::Options{.dsn = common.pg_dsn,
                             .schema = m->core_->pool().options().schema,
                             .replica_id = NewReplicaId(),
                             .address = sharding.advertise_address},
        [manager](int shard) {
          manager->ForgetRooms([shard](const std::string& room) { return ShardOf(room) == shard; });
        });
    RETURN_IF_ERROR(m->leases_->Start());
    log::Info("messaging replica", {{"replica_id", m->leases_->replica_id()},
                                    {"address", sharding.advertise_address},
                                    {"shards", static_cast<int64_t>(m->leases_->held().size())}});
  }
  m->forwarder_ = std::make_unique<RoomForwarder>(m->leases_.get(), common.rpc_timeout);
  m->relations_ = std::make_unique<RelationsManager>(*m->store_, *m->manager_,
                                                     SystemClock::Instance(), SecureRng::Instance());
  // Woken polls' notes (edits, reactions) read once per batch, not per poll.
  m->manager_->SetSyncPrefetch(
      [relations = m->relations_.get()](const auto& requests, const auto& pages) {
        return relations->PrefetchSync(requests, pages);
      });
  m->groups_ = std::make_unique<GroupManager>(*m->manager_, *m->store_, *m->friends_,
                                              SystemClock::Instance(), SecureRng::Instance(),
                                              limits.max_group_members);
  m->grpc_ = std::make_unique<MessagingGrpcService>(*m->manager_, *m->relations_,
                                                    m->core_->work_pool(), *m->forwarder_,
                                                    *m->groups_);
  m->grpc_->SetTypingManager(m->typing_.get(), m->store_.get());
  m->matrix_write_store_ = std::make_unique<PgMatrixWriteStore>(m->core_->pool());
  m->matrix_writes_ = std::make_unique<MatrixWrites>(
      *m->manager_, *m->store_, *m->matrix_write_store_, *m->relations_,
      SystemClock::Instance(), SecureRng::Instance());
  m->matrix_membership_ = std::make_unique<MatrixMembership>(
      *m->manager_, *m->store_, *m->matrix_write_store_, *m->friends_, SystemClock::Instance(),
      SecureRng::Instance(), limits.max_group_members);
  m->grpc_->SetMatrixWrites(m->matrix_writes_.get(), m->matrix_membership_.get());
  m->matrix_sync_store_ = std::make_unique<PgMatrixSyncStore>(m->core_->pool());
  m->matrix_sync_ =
      std::make_unique<MatrixSync>(*m->matrix_sync_store_, *m->manager_, m->typing_.get());
  m->grpc_->SetMatrixSync(m->matrix_sync_.get());
  // Every replica hears friendship.removed itself (the durable consumer
  // below reaches one replica only). A lost one costs nothing wrong: every
  // direct message is confirmed with the contact service before it commits.
  ASSIGN_OR_RETURN(m->friendships_heard_,
                   bus.Subscribe("friendship.>", [manager](std::string_view, std::string_view data) {
                     absl::StatusOr<bus::Event> event = bus::Event::FromJson(data);
                     absl::Status status =
                         event.ok() ? manager->OnFriendshipHeard(*event) : event.status();
                     if (!status.ok()) {
                       log::Warn("friendship event not understood",
                                 {{"error", std::string(status.message())}});
                     }
                   }));
  RETURN_IF_ERROR(m->AddE2ee(common.server_name, limits.e2ee));
  m->deactivation_store_ = std::make_unique<PgDeactivationStore>(m->core_->pool());
  m->deactivation_ =
      std::make_unique<AccountDeactivation>(*m->deactivation_store_, *m->matrix_membership_);
  m->core_->AddConsumer("users", "user.>", [manager, deactivation = m->deactivation_.get()](
                                               const bus::Event& event, pg::Tx& tx) {
    if (event.type == "user.deactivated") return deactivation->OnUserDeactivated(event, tx);
    if (event.type != "user.created") return absl::OkStatus();
    return manager->OnUserCreated(event, tx);
  });
  m->AddContactFederation(common.server_name);
  m->core_->AddConsumer("friendships", "friendship.>",
                        [manager, contacts = m->contact_federation_.get()](
                            const bus::Event& event, pg::Tx& tx) -> absl::Status {
                          // The remote user's row before anything names it.
                          RETURN_IF_ERROR(contacts->OnFriendshipEvent(event, tx));
                          return manager->OnFriendshipEvent(event, tx);
                        });
  m->account_store_ = std::make_unique<PgAccountStore>(m->core_->pool());
  m->account_ = std::make_unique<AccountDataManager>(*m->account_store_, *m->manager_,
                                                     *m->announcer_, common.server_name, account);
  m->directory_ = std::make_unique<AccountDirectory>(*m->account_store_, *m->store_, *m->manager_,
                                                     common.server_name, SystemClock::Instance());
  m->directory_->SetRemoteAliases(federation::RemoteAliasesFrom(m->federation_->client()));
  m->account_sync_ = std::make_unique<AccountDataSyncSection>(*m->account_store_, *m->account_);
  m->account_grpc_ = std::make_unique<AccountGrpcService>(*m->account_, *m->directory_,
                                                          m->core_->work_pool());
  m->profile_members_ = std::make_unique<ProfileMemberWriter>(*m->account_store_, *m->manager_);
  m->profile_members_->Start();
  // The per-user parts of the Matrix sync beside the rooms.
  for (UserSyncSection* section : m->user_sync_sections()) m->matrix_sync_->AddSection(section);
  ProfileMemberWriter* members = m->profile_members_.get();
  m->core_->AddConsumer("profiles", "profile.>", [members](const bus::Event& event, pg::Tx& tx) {
    if (event.type != "profile.updated") return absl::OkStatus();
    return members->OnProfileUpdated(event, tx);
  });
  return m;
}

absl::Status MessagingModule::AddE2ee(const std::string& server_name, const E2eeLimits& limits) {
  CommitAnnouncer* announcer = announcer_.get();
  e2ee_store_ = std::make_unique<PgE2eeStore>(
      core_->pool(), [announcer](pg::Tx& tx, std::vector<std::string> readers) {
        announcer->OnCommit(tx, std::move(readers));
      },
      server_name);
  e2ee_ = std::make_unique<E2eeManager>(*e2ee_store_, server_name, limits, SystemClock::Instance());
  e2ee_grpc_ = std::make_unique<E2eeGrpcService>(*e2ee_, core_->work_pool());
  AddE2eeFederation();
  to_device_section_ =
      std::make_unique<ToDeviceSection>(*e2ee_store_, static_cast<int>(limits.to_device_per_sync));
  device_lists_section_ = std::make_unique<DeviceListsSection>(*e2ee_store_, server_name);
  E2eeManager* e2ee = e2ee_.get();
  core_->AddConsumer("e2ee_sessions", "session.>", [e2ee](const bus::Event& event, pg::Tx& tx) {
    return e2ee->OnSessionEvent(event, tx);
  });
  core_->AddPeriodic("e2ee_forget_transactions", absl::Hours(1),
                     [e2ee] { return e2ee->ForgetOldTransactions(); });
  return absl::OkStatus();
}

void MessagingModule::AddContactFederation(const std::string& server_name) {
  federation::OutgoingSender* sender = outgoing_sender_.get();
  contact_federation_ = std::make_unique<ContactFederation>(
      *federation_room_store_, *store_, *outgoing_store_, server_name,
      [client = remote_contacts_.get()](const ContactClaim& claim) { return client->Apply(claim); },
      [sender](const std::vector<std::string>& destinations) { sender->Wake(destinations); });
  federation_rooms_->SetEduSink(kContactEduType, [contacts = contact_federation_.get()](
                                                     const std::string& origin,
                                                     const nlohmann::json& content) {
    return contacts->Receive(origin, content);
  });
}

void MessagingModule::AddE2eeFederation() {
  federation_e2ee_ =
      std::make_unique<federation::FederationE2ee>(federation_->authenticator(), *e2ee_);
  federation_rooms_grpc_->SetE2ee(federation_e2ee_.get());
  e2ee_->SetRemoteKeys(federation::RemoteKeysFrom(federation_->client()));
  federation::OutgoingSender* sender = outgoing_sender_.get();
  e2ee_->SetOutgoingWake(
      [sender](const std::vector<std::string>& destinations) { sender->Wake(destinations); });
  E2eeManager* e2ee = e2ee_.get();
  // Hints: refused ones are dropped, the transaction still succeeds.
  federation_rooms_->SetEduSink(
      "m.direct_to_device", [e2ee](const std::string& origin, const nlohmann::json& content) {
        (void)e2ee->ReceiveToDevice(origin, content.dump());
        return absl::OkStatus();
      });
  // A user's cross-signing keys changed: like a device change, local users
  // sharing a room see it in device_lists.changed and query the keys again.
  for (const char* type : {"m.device_list_update", "m.signing_key_update"}) {
    federation_rooms_->SetEduSink(
        type, [e2ee](const std::string& origin, const nlohmann::json& content) {
          (void)e2ee->ReceiveDeviceListUpdate(origin, content.dump());
          return absl::OkStatus();
        });
  }
}

}  // namespace messenger::messaging
