// Helpers shared by the messaging storage tests: a contact service where
// everyone is friends, and users made as the user.created consumer makes them.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/bus/consumer.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/domain/conversation_rules.h"
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

// A contact service told who is friends; `down` makes it unreachable.
class FakeFriends final : public FriendChecker {
 public:
  absl::StatusOr<bool> AreFriends(const std::string& a, const std::string& b) override {
    std::lock_guard lock(mutex_);
    if (down) return absl::UnavailableError("contact down");
    ++single_calls;
    return pairs_.contains(DirectKey(a, b));
  }
  absl::StatusOr<std::vector<bool>> AreFriendsMany(
      const std::vector<std::pair<std::string, std::string>>& pairs) override {
    std::lock_guard lock(mutex_);
    if (down) return absl::UnavailableError("contact down");
    ++batch_calls;
    std::vector<bool> out;
    for (const auto& [a, b] : pairs) out.push_back(pairs_.contains(DirectKey(a, b)));
    return out;
  }
  void Befriend(const std::string& a, const std::string& b) {
    std::lock_guard lock(mutex_);
    pairs_.insert(DirectKey(a, b));
  }
  void Unfriend(const std::string& a, const std::string& b) {
    std::lock_guard lock(mutex_);
    pairs_.erase(DirectKey(a, b));
  }
  std::atomic<bool> down = false;
  std::atomic<int> single_calls = 0;  // AreFriends
  std::atomic<int> batch_calls = 0;   // AreFriendsMany

 private:
  std::mutex mutex_;
  std::set<std::string> pairs_;
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
