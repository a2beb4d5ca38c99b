// The messaging service assembled on a ServiceCore: rooms and events, the sync
// hub, its consumers (user.*, friendship.*) and the contact client.
#pragma once

#include <memory>

#include "common/config.h"
#include "common/grpc/auth_accounts.h"
#include "common/service/service_main.h"
#include "messaging-service/src/federation/direct_joiner.h"
#include "messaging-service/src/federation/federation.h"
#include "messaging-service/src/federation/outgoing_sender.h"
#include "messaging-service/src/grpc/e2ee_grpc_service.h"
#include "messaging-service/src/grpc/account_grpc.h"
#include "messaging-service/src/grpc/federation_grpc_service.h"
#include "messaging-service/src/grpc/federation_rooms_grpc.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"
#include "messaging-service/src/grpc/remote_contacts_client.h"
#include "messaging-service/src/service/account_deactivation.h"
#include "messaging-service/src/service/account_profile_members.h"
#include "messaging-service/src/service/account_sync_section.h"
#include "messaging-service/src/service/contact_federation.h"
#include "messaging-service/src/service/group_manager.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/service/outgoing_typing.h"
#include "messaging-service/src/service/typing_manager.h"
#include "messaging-service/src/service/user_sync_section.h"
#include "messaging-service/src/storage/pg_e2ee_store.h"
#include "messaging-service/src/sharding/lease_holder.h"
#include "messaging-service/src/storage/pg_matrix_sync_store.h"
#include "messaging-service/src/storage/pg_account_store.h"
#include "messaging-service/src/storage/pg_messaging_store.h"

namespace messenger::messaging {

// MESSENGER_MESSAGING_ROOM_CACHE, MESSENGER_MESSAGING_CACHE_ENTRIES,
// MESSENGER_TYPING_PER_ROOM, MESSENGER_TYPING_TOTAL,
// MESSENGER_MAX_GROUP_MEMBERS, MESSENGER_E2EE_MAX_ONE_TIME_KEYS and
// MESSENGER_E2EE_INBOX.
MessagingLimits MessagingLimitsFromEnv(EnvReader& env);
// MESSENGER_ACCOUNT_DATA_MAX_BYTES.
AccountLimits AccountLimitsFromEnv(EnvReader& env);

// Several replicas: this one's address for the others ("" = the only writer,
// as in the all-in-one binary: no shard leases, no forwarding).
struct ShardingOptions {
  std::string advertise_address;
};

class MessagingModule final : public ServiceModule {
 public:
  // `contact` reaches the contact service (IsFriend). With `publish_wakeups`
  // every sync notification also goes out on bus::kSyncWakeSubject (gateways
  // in other processes wait on it), and the other replicas' notifications
  // heard there feed this one's wake log and long polls. `fed` configures
  // federation (keys, discovery, allowed servers).
  static absl::StatusOr<std::unique_ptr<MessagingModule>> Create(const CommonConfig& common,
                                                                 bus::NatsBus& bus,
                                                                 grpcx::ChannelSource contact,
                                                                 grpcx::ChannelSource auth,
                                                                 bool publish_wakeups,
                                                                 MessagingLimits limits = {},
                                                                 ShardingOptions sharding = {},
                                                                 federation::FederationConfig fed = {},
                                                                 AccountLimits account = {});
  ~MessagingModule() override;
  std::vector<grpc::Service*> grpc_services() override {
    return {grpc_.get(),      federation_grpc_.get(), federation_rooms_grpc_.get(),
            e2ee_grpc_.get(), account_grpc_.get()};
  }
  ServiceCore& core() override { return *core_; }
  // Gives the shards back (the other replicas take them within a second)
  // instead of holding them through the drain.
  void BeginDrain() override {
    if (leases_) leases_->Stop();
  }
  WaitHub& hub() { return *hub_; }
  void AnswerWaiting() override { hub_->Stop(); }
  // The per-user parts of the Matrix sync this module serves (to_device,
  // device_lists, account_data).
  std::vector<UserSyncSection*> user_sync_sections() {
    return {to_device_section_.get(), device_lists_section_.get(), account_sync_.get()};
  }

 private:
  MessagingModule() = default;
  // The end-to-end encryption relay (keys, to-device, its sync sections).
  absl::Status AddE2ee(const std::string& server_name, const E2eeLimits& limits);
  // Keys and to-device messages across servers (fede2ee).
  void AddE2eeFederation();
  // Contacts across servers (issue 16): io.messenger.contact both ways.
  void AddContactFederation(const std::string& server_name);
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<PgMessagingStore> store_;
  std::unique_ptr<WakeLog> wake_log_;
  std::unique_ptr<WaitHub> hub_;
  std::unique_ptr<CommitAnnouncer> announcer_;
  std::unique_ptr<bus::Subscription> wake_subscription_;  // feeds announcer_
  std::unique_ptr<bus::NatsBus::ReconnectHook> reconnect_hook_;  // tells wake_log_
  std::unique_ptr<GrpcFriendChecker> friends_;
  std::unique_ptr<MessagingManager> manager_;
  std::unique_ptr<RelationsManager> relations_;  // uses manager_
  std::unique_ptr<TypingManager> typing_;
  std::unique_ptr<bus::Subscription> typing_subscription_;  // feeds typing_
  std::unique_ptr<GroupManager> groups_;
  std::unique_ptr<PgMatrixSyncStore> matrix_sync_store_;
  std::unique_ptr<MatrixSync> matrix_sync_;  // uses manager_, typing_
  std::unique_ptr<LeaseHolder> leases_;
  std::unique_ptr<RoomForwarder> forwarder_;
  std::unique_ptr<MessagingGrpcService> grpc_;
  // This replica's own (non-durable) copy of friendship events.
  std::unique_ptr<bus::Subscription> friendships_heard_;
  std::unique_ptr<federation::Federation> federation_;
  std::unique_ptr<FederationGrpcService> federation_grpc_;
  std::unique_ptr<federation::PgFederationRoomStore> federation_room_store_;
  std::unique_ptr<federation::FederationRooms> federation_rooms_;
  std::unique_ptr<federation::OutgoingJoin> outgoing_join_;
  std::unique_ptr<federation::DirectJoiner> direct_joiner_;  // uses outgoing_join_
  std::unique_ptr<FederationRoomGrpcService> federation_rooms_grpc_;
  std::unique_ptr<PgMatrixWriteStore> matrix_write_store_;
  std::unique_ptr<MatrixWrites> matrix_writes_;  // uses manager_, relations_
  std::unique_ptr<MatrixMembership> matrix_membership_;
  std::unique_ptr<PgDeactivationStore> deactivation_store_;
  std::unique_ptr<AccountDeactivation> deactivation_;
  // The end-to-end encryption relay.
  std::unique_ptr<PgE2eeStore> e2ee_store_;
  std::unique_ptr<E2eeManager> e2ee_;
  std::unique_ptr<E2eeGrpcService> e2ee_grpc_;
  std::unique_ptr<federation::FederationE2ee> federation_e2ee_;  // other servers ask e2ee_
  std::unique_ptr<GrpcRemoteContacts> remote_contacts_;
  std::unique_ptr<grpcx::AuthAccounts> accounts_;
  std::unique_ptr<ContactFederation> contact_federation_;
  std::unique_ptr<UserSyncSection> to_device_section_;
  std::unique_ptr<UserSyncSection> device_lists_section_;
  // Matrix account state (account data, push rules, aliases, directory).
  std::unique_ptr<PgAccountStore> account_store_;
  std::unique_ptr<AccountDataManager> account_;
  std::unique_ptr<AccountDirectory> directory_;
  std::unique_ptr<AccountDataSyncSection> account_sync_;
  std::unique_ptr<AccountGrpcService> account_grpc_;
  std::unique_ptr<ProfileMemberWriter> profile_members_;  // its thread uses manager_
  // Outgoing federation (issue 16): its thread uses federation_.
  std::unique_ptr<federation::PgOutgoingStore> outgoing_store_;
  std::unique_ptr<federation::OutgoingSender> outgoing_sender_;
  std::unique_ptr<OutgoingTyping> outgoing_typing_;  // uses outgoing_sender_
  std::unique_ptr<OutgoingReceipts> outgoing_receipts_;  // uses outgoing_sender_
};

}  // namespace messenger::messaging
