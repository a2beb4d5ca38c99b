// The contact service assembled on a ServiceCore, with its user.created consumer.
#pragma once

#include <memory>

#include "common/config.h"
#include "common/grpc/auth_accounts.h"
#include "common/service/service_main.h"
#include "contact-service/src/grpc/contact_grpc_service.h"
#include "contact-service/src/service/contact_manager.h"
#include "contact-service/src/storage/pg_contact_store.h"

namespace messenger::contact {

class ContactModule final : public ServiceModule {
 public:
  static absl::StatusOr<std::unique_ptr<ContactModule>> Create(const CommonConfig& common,
                                                               bus::NatsBus& bus,
                                                               grpcx::ChannelSource auth);
  std::vector<grpc::Service*> grpc_services() override { return {grpc_.get()}; }
  ServiceCore& core() override { return *core_; }

 private:
  ContactModule() = default;
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<PgContactStore> store_;
  std::unique_ptr<ContactManager> manager_;
  std::unique_ptr<grpcx::AuthAccounts> accounts_;
  std::unique_ptr<ContactGrpcService> grpc_;
};

}  // namespace messenger::contact
