// The profile service assembled on a ServiceCore, with its user.* consumer.
#pragma once

#include <memory>

#include "common/config.h"
#include "common/grpc/auth_accounts.h"
#include "common/service/service_main.h"
#include "profile-service/src/grpc/profile_grpc_service.h"
#include "profile-service/src/service/profile_manager.h"
#include "profile-service/src/storage/pg_profile_store.h"

namespace messenger::profile {

class ProfileModule final : public ServiceModule {
 public:
  static absl::StatusOr<std::unique_ptr<ProfileModule>> Create(const CommonConfig& common,
                                                               bus::NatsBus& bus,
                                                               grpcx::ChannelSource auth);
  std::vector<grpc::Service*> grpc_services() override { return {grpc_.get()}; }
  ServiceCore& core() override { return *core_; }

 private:
  ProfileModule() = default;
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<PgProfileStore> store_;
  std::unique_ptr<ProfileManager> manager_;
  std::unique_ptr<grpcx::AuthAccounts> accounts_;
  std::unique_ptr<ProfileGrpcService> grpc_;
};

}  // namespace messenger::profile
