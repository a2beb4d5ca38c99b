#include "contact-service/src/contact_module.h"

#include "common/status.h"
#include "contact_migrations.h"

namespace messenger::contact {

absl::StatusOr<std::unique_ptr<ContactModule>> ContactModule::Create(const CommonConfig& common,
                                                                     bus::NatsBus& bus,
                                                                     grpcx::ChannelSource auth) {
  std::unique_ptr<ContactModule> m(new ContactModule());
  ASSIGN_OR_RETURN(m->core_,
                   ServiceCore::Create("contact", common, bus, {&pg::ContactMigrations()}));
  m->store_ = std::make_unique<PgContactStore>(m->core_->pool(), m->core_->outbox());
  m->manager_ = std::make_unique<ContactManager>(*m->store_, SystemClock::Instance(),
                                                 SecureRng::Instance(), common.server_name);
  m->accounts_ = std::make_unique<grpcx::AuthAccounts>(std::move(auth), common.rpc_timeout);
  grpcx::AuthAccounts* accounts = m->accounts_.get();
  m->manager_->SetAccountLookups(
      [accounts](const std::string& user_id) { return accounts->Find(user_id); },
      [accounts](const std::string& username) { return accounts->FindByUsername(username); });
  m->grpc_ = std::make_unique<ContactGrpcService>(*m->manager_, m->core_->work_pool());
  m->core_->AddConsumer("user_created", "user.created",
                        [manager = m->manager_.get()](const bus::Event& event, pg::Tx& tx) {
                          return manager->OnUserCreated(event, tx);
                        });
  m->core_->AddConsumer("user_deactivated", "user.deactivated",
                        [manager = m->manager_.get()](const bus::Event& event, pg::Tx& tx) {
                          return manager->OnUserDeactivated(event, tx);
                        });
  return m;
}

}  // namespace messenger::contact
