// Helpers shared by the messaging storage tests: a contact service where
// everyone is friends, and users made as the user.created consumer makes them.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/bus/consumer.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging::testing_users {

class AllFriends final : public FriendChecker {
 public:
  absl::StatusOr<bool> AreFriends(const std::string&, const std::string&) override { return true; }
  absl::StatusOr<std::vector<bool>> AreFriendsMany(
      const std::vector<std::pair<std::string, std::string>>& pairs) override {
    return std::vector<bool>(pairs.size(), true);
  }
};

// A new local user `name` (its UUID), known to `manager` through user.created.
inline std::string LocalUser(pg::Pool& pool, MessagingManager& manager, const std::string& name) {
  const std::string id = NewUuid(SecureRng::Instance());
  events::v1::UserCreated data;
  data.set_user_id(id);
  data.set_username(name);
  auto event =
      bus::MakeEvent("user.created", "auth", data, SystemClock::Instance(), SecureRng::Instance());
  EXPECT_TRUE(*bus::ApplyEventOnce(
      pool, "messaging_users", *event,
      [&](const bus::Event& e, pg::Tx& tx) { return manager.OnUserCreated(e, tx); }));
  return id;
}

}  // namespace messenger::messaging::testing_users
