#pragma once

#include "common/bus/outbox.h"
#include "profile-service/src/storage/profile_store.h"

namespace messenger::profile {

class PgProfileStore final : public ProfileStore {
 public:
  PgProfileStore(pg::Pool& pool, const bus::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::StatusOr<std::optional<ProfileRecord>> Get(const std::string& user_id) override;
  absl::StatusOr<std::vector<ProfileRecord>> GetMany(const std::vector<std::string>& user_ids) override;
  absl::StatusOr<ProfileRecord> Update(const std::string& user_id, const ProfileChanges& changes,
                                       absl::Time now, const UpdatedEventFactory& updated) override;
  absl::StatusOr<std::vector<ProfileRecord>> SearchByUsernamePrefix(const std::string& pattern,
                                                                    int limit) override;
  absl::Status CreateIfMissing(const std::string& user_id, const std::string& username,
                               absl::Time created_at) override;
  absl::Status CreateFromUser(pg::Tx& tx, const std::string& user_id, const std::string& username,
                              absl::Time created_at) override;
  absl::Status MarkEmailVerified(pg::Tx& tx, const std::string& user_id) override;
  absl::Status Deactivate(pg::Tx& tx, const std::string& user_id, bool erase, absl::Time now,
                          const UpdatedEventFactory& updated) override;

 private:
  pg::Pool& pool_;
  const bus::Outbox& outbox_;
};

}  // namespace messenger::profile
