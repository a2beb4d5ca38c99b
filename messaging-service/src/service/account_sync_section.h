// The account_data part of the Matrix sync: top-level account_data.events
// and rooms.join.<id>.account_data.events. Its cursor packs the user's
// account data version with the number of their direct rooms, so a new
// direct room (m.direct is computed) counts as a change.
#pragma once

#include "messaging-service/src/service/account_data.h"
#include "messaging-service/src/service/user_sync_section.h"

namespace messenger::messaging {

class AccountDataSyncSection final : public UserSyncSection {
 public:
  // Rows one sync returns at most; the rest come with the next one.
  static constexpr int kMaxRows = 100;
  // The cursor is version * kDirectSlots + direct room count.
  static constexpr int64_t kDirectSlots = int64_t{1} << 20;

  AccountDataSyncSection(AccountStore& store, AccountDataManager& account)
      : store_(store), account_(account) {}
  absl::string_view name() const override { return "account_data"; }
  absl::StatusOr<UserSyncOutput> Collect(const UserSyncInput& in) override;

 private:
  AccountStore& store_;
  AccountDataManager& account_;
};

}  // namespace messenger::messaging
