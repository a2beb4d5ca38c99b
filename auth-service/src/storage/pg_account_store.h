#pragma once

#include "auth-service/src/storage/account_store.h"
#include "common/bus/outbox.h"
#include "common/pg/pg.h"

namespace messenger::auth {

class PgAccountStore final : public AccountStore {
 public:
  PgAccountStore(pg::Pool& pool, const bus::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::Status CreateUser(const UserRecord& user, const VerificationToken& token,
                          const bus::Event& created) override;
  absl::StatusOr<std::optional<UserRecord>> FindById(const std::string& user_id) override;
  absl::StatusOr<std::optional<UserRecord>> FindByUsername(const std::string& username) override;
  absl::StatusOr<std::optional<UserRecord>> FindByEmail(const std::string& email) override;
  absl::StatusOr<std::optional<VerifiedEmail>> ConsumeVerification(
      const std::string& token_hash, absl::Time now, const VerifiedEventFactory& verified) override;
  absl::StatusOr<bool> ReplaceVerification(const std::string& user_id,
                                           const VerificationToken& token, absl::Time now,
                                           absl::Duration min_interval) override;
  absl::StatusOr<AttemptReservation> ReserveLoginAttempt(const std::string& user_id,
                                                         absl::Time now,
                                                         const LockoutPolicy& policy) override;
  absl::Status ClearFailures(const std::string& user_id) override;
  absl::Status SetPasswordHash(const std::string& user_id,
                               const std::string& password_hash) override;
  absl::StatusOr<bool> Deactivate(const std::string& user_id, absl::Time at,
                                  const bus::Event& deactivated) override;

 private:
  absl::StatusOr<std::optional<UserRecord>> FindOne(const pg::Query& query, const std::string& key);

  pg::Pool& pool_;
  const bus::Outbox& outbox_;
};

}  // namespace messenger::auth
