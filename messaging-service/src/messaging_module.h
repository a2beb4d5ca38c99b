// The messaging service assembled on a ServiceCore: rooms and events, the sync
// hub, its consumers (user.*, friendship.*) and the contact client.
#pragma once

#include <memory>

#include "common/config.h"
#include "common/service/service_main.h"
#include "messaging-service/src/grpc/messaging_grpc_service.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/pg_messaging_store.h"

namespace messenger::messaging {

class MessagingModule final : public ServiceModule {
 public:
  // `contact` reaches the contact service (IsFriend).
  static absl::StatusOr<std::unique_ptr<MessagingModule>> Create(const CommonConfig& common,
                                                                 bus::NatsBus& bus,
                                                                 grpcx::ChannelSource contact);
  ~MessagingModule() override;
  std::vector<grpc::Service*> grpc_services() override { return {grpc_.get()}; }
  ServiceCore& core() override { return *core_; }
  SyncHub& hub() { return *hub_; }

 private:
  MessagingModule() = default;
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<PgMessagingStore> store_;
  std::unique_ptr<StreamTracker> tracker_;
  std::unique_ptr<SyncHub> hub_;
  std::unique_ptr<GrpcFriendChecker> friends_;
  std::unique_ptr<MessagingManager> manager_;
  std::unique_ptr<MessagingGrpcService> grpc_;
};

}  // namespace messenger::messaging
