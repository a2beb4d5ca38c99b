#pragma once

#include "common/pg/pg.h"
#include "messaging-service/src/storage/account_store.h"

namespace messenger::messaging {

class PgAccountStore final : public AccountStore {
 public:
  explicit PgAccountStore(pg::Pool& pool) : pool_(pool) {}

  absl::Status Transaction(const std::function<absl::Status(AccountTx&)>& fn) override;
  std::unique_ptr<AccountTx> Within(pg::Tx& tx) override;
  absl::StatusOr<std::optional<std::string>> GetAccountData(const std::string& user_id,
                                                            const std::string& room_id,
                                                            const std::string& type) override;
  absl::StatusOr<AccountDataChanges> AccountDataSince(const std::string& user_id, int64_t since,
                                                      int limit) override;
  absl::StatusOr<std::vector<push::StoredRule>> PushRules(const std::string& user_id) override;
  absl::StatusOr<std::vector<DirectRoomRow>> DirectRooms(const std::string& user_id) override;
  absl::StatusOr<std::optional<AliasRow>> FindAlias(const std::string& alias) override;
  absl::StatusOr<std::vector<std::string>> AliasesOf(const std::string& room_id) override;
  absl::StatusOr<bool> IsPublished(const std::string& room_id) override;
  absl::StatusOr<PublicRoomsPage> PublicRooms(int64_t offset, int limit,
                                              const std::string& search) override;
  absl::StatusOr<std::optional<ProfileUpdateJob>> NextProfileUpdate() override;
  absl::StatusOr<std::vector<std::string>> JoinedRoomsAfter(const std::string& user_id,
                                                            const std::string& after,
                                                            int limit) override;
  absl::Status ProfileUpdateProgress(const std::string& user_id, int64_t revision,
                                     const std::string& after_room, bool done) override;

 private:
  pg::Pool& pool_;
};

}  // namespace messenger::messaging
