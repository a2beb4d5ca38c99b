#include "profile-service/src/profile_module.h"

#include "common/status.h"
#include "profile_migrations.h"

namespace messenger::profile {

absl::StatusOr<std::unique_ptr<ProfileModule>> ProfileModule::Create(const CommonConfig& common,
                                                                     bus::NatsBus& bus,
                                                                     grpcx::ChannelSource auth) {
  std::unique_ptr<ProfileModule> m(new ProfileModule());
  ASSIGN_OR_RETURN(m->core_,
                   ServiceCore::Create("profile", common, bus, {&pg::ProfileMigrations()}));
  m->store_ = std::make_unique<PgProfileStore>(m->core_->pool(), m->core_->outbox());
  m->manager_ = std::make_unique<ProfileManager>(*m->store_, SystemClock::Instance(),
                                                 SecureRng::Instance());
  m->accounts_ = std::make_unique<grpcx::AuthAccounts>(std::move(auth), common.rpc_timeout);
  m->manager_->SetAccountLookup([accounts = m->accounts_.get()](const std::string& user_id) {
    return accounts->Find(user_id);
  });
  m->grpc_ = std::make_unique<ProfileGrpcService>(*m->manager_, m->core_->work_pool());
  // One consumer for user.>: stream order puts user.created before
  // user.email_verified of the same user.
  m->core_->AddConsumer("users", "user.>", [manager = m->manager_.get()](const bus::Event& event,
                                                                          pg::Tx& tx) {
    if (event.type == "user.created") return manager->OnUserCreated(event, tx);
    if (event.type == "user.email_verified") return manager->OnUserEmailVerified(event, tx);
    if (event.type == "user.deactivated") return manager->OnUserDeactivated(event, tx);
    return absl::OkStatus();  // other user.* events are not ours to apply
  });
  return m;
}

}  // namespace messenger::profile
