// What messaging holds of a deactivated account (interface): the rooms it
// still has to leave, and its account data to delete.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pg/pg.h"

namespace messenger::messaging {

class DeactivationStore {
 public:
  virtual ~DeactivationStore() = default;
  // Rooms the user joined or is invited to, ids above `after`, at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> RoomsToLeave(const std::string& user_id,
                                                                const std::string& after,
                                                                int limit) = 0;
  // Global and room account data (m.direct included), push rules, filters
  // and queued profile member updates of the user, in `tx`.
  virtual absl::Status DeleteAccountData(pg::Tx& tx, const std::string& user_id) = 0;
};

class PgDeactivationStore final : public DeactivationStore {
 public:
  explicit PgDeactivationStore(pg::Pool& pool) : pool_(pool) {}
  absl::StatusOr<std::vector<std::string>> RoomsToLeave(const std::string& user_id,
                                                        const std::string& after,
                                                        int limit) override;
  absl::Status DeleteAccountData(pg::Tx& tx, const std::string& user_id) override;

 private:
  pg::Pool& pool_;
};

}  // namespace messenger::messaging
