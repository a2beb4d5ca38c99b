// The fixture of the end-to-end encryption relay's tests (E2eeManager,
// PgE2eeStore and the sync sections against a real PostgreSQL): alice and
// bob share a room, carol shares none.
#pragma once

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "common/bus/consumer.h"
#include "common/pg/migrations.h"
#include "common/status_mapping.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/service/e2ee_manager.h"
#include "messaging-service/src/service/e2ee_sync_sections.h"
#include "messaging-service/src/storage/pg_e2ee_store.h"
#include "messaging_migrations.h"
#include "messenger/events/v1/events.pb.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

using nlohmann::json;

constexpr char kServer[] = "localhost";
constexpr pg::Query kAddUser{"t_add_user", "INSERT INTO users (user_id, username) VALUES ($1, $2)"};
constexpr pg::Query kAddRoom{
    "t_add_room",
    "INSERT INTO rooms (room_id, room_version, kind, creator, created_at, last_seq, depth, "
    "tip_event_id, state_group, last_event_at) VALUES ($1, '10', 'group', $2, now(), 0, 0, '$t', "
    "0, now())"};
constexpr pg::Query kAddMember{
    "t_add_member",
    "INSERT INTO memberships (room_id, user_id, membership, event_id) VALUES ($1, $2, $3, '$m')"};

class E2eeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status opened = testing::OpenTestDatabase(
        "messaging", 12, {&pg::OutboxMigrations(), &pg::MessagingMigrations()}, &db_, &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    store_ = std::make_unique<PgE2eeStore>(
        *pool_,
        [this](pg::Tx&, std::vector<std::string> users) {
          std::lock_guard lock(mutex_);
          woken_.insert(users.begin(), users.end());
        },
        kServer);
    UseLimits({});
    alice_ = NewUser("alice");
    bob_ = NewUser("bob");
    carol_ = NewUser("carol");
    // Alice and Bob share a room; Carol shares none.
    ASSERT_TRUE(pool_->Exec(kAddRoom, {"!r:localhost", alice_}).ok());
    ASSERT_TRUE(pool_->Exec(kAddMember, {"!r:localhost", alice_, "join"}).ok());
    ASSERT_TRUE(pool_->Exec(kAddMember, {"!r:localhost", bob_, "join"}).ok());
  }

  void UseLimits(E2eeLimits limits) {
    manager_ = std::make_unique<E2eeManager>(*store_, kServer, limits, SystemClock::Instance());
  }

  std::string NewUser(const std::string& name) {
    const std::string id = NewUuid(SecureRng::Instance());
    EXPECT_TRUE(pool_->Exec(kAddUser, {id, name}).ok());
    return id;
  }

  static E2eeCaller Caller(const std::string& user, const std::string& name,
                           const std::string& device) {
    return {user, "@" + name + ":" + kServer, device, "session-" + name + "-" + device};
  }

  static json DeviceKeys(const E2eeCaller& c, const std::string& curve = "c0") {
    return {
        {"user_id", c.matrix_user_id},
        {"device_id", c.device_id},
        {"algorithms", {"m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"}},
        {"keys", {{"curve25519:" + c.device_id, curve}, {"ed25519:" + c.device_id, "ed-" + curve}}},
        {"signatures", {{c.matrix_user_id, {{"ed25519:" + c.device_id, "sig"}}}}}};
  }

  static json OneTimeKeys(int from, int count) {
    json keys = json::object();
    for (int i = from; i < from + count; ++i) {
      keys["signed_curve25519:k" + std::to_string(1000 + i)] = {{"key", "otk" + std::to_string(i)}};
    }
    return keys;
  }

  json Upload(const E2eeCaller& c, const json& body) {
    auto answer = manager_->UploadKeys(c, body.dump());
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? json::parse(*answer) : json();
  }

  json Query(const E2eeCaller& c, const json& users) {
    auto answer = manager_->QueryKeys(c, json{{"device_keys", users}}.dump());
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? json::parse(*answer) : json();
  }

  json Claim(const E2eeCaller& c, const json& users) {
    auto answer = manager_->ClaimKeys(c, json{{"one_time_keys", users}}.dump());
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? json::parse(*answer) : json();
  }

  absl::StatusOr<UserSyncOutput> Sync(UserSyncSection& section, const E2eeCaller& c,
                                      int64_t since) {
    return section.Collect({c.user_id, c.device_id, since});
  }

  std::set<std::string> TakeWoken() {
    std::lock_guard lock(mutex_);
    return std::exchange(woken_, {});
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgE2eeStore> store_;
  std::unique_ptr<E2eeManager> manager_;
  std::string alice_, bob_, carol_;
  std::mutex mutex_;
  std::set<std::string> woken_;
};

}  // namespace messenger::messaging
