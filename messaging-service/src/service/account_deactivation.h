// user.deactivated in messaging: the user leaves every room (joined or
// invited) through the one write path, and their account data goes. The
// leaves commit room by room before the consumer's transaction; a
// redelivery finds only the rooms still to leave. Device keys, one-time keys
// and the to-device inbox go with each session.revoked (E2eeManager).
#pragma once

#include "absl/status/status.h"
#include "common/bus/event.h"
#include "common/pg/pg.h"
#include "messaging-service/src/service/matrix_membership.h"
#include "messaging-service/src/storage/deactivation_store.h"

namespace messenger::messaging {

class AccountDeactivation {
 public:
  static constexpr int kBatchRooms = 100;

  AccountDeactivation(DeactivationStore& store, MatrixMembership& membership)
      : store_(store), membership_(membership) {}

  absl::Status OnUserDeactivated(const bus::Event& event, pg::Tx& tx);

 private:
  DeactivationStore& store_;
  MatrixMembership& membership_;
};

}  // namespace messenger::messaging
