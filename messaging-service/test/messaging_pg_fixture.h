// The setup every messaging storage test starts from: a fresh test database
// with the messaging schema, the PostgreSQL store, and a manager whose
// contact service is `Friends` (AllFriends unless the test checks the policy).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/crypto.h"
#include "common/pg/migrations.h"
#include "common/testing/testing.h"
#include "common/wait_hub.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging-service/test/messaging_test_users.h"
#include "messaging_migrations.h"

namespace messenger::messaging::testing_users {

template <typename Friends = AllFriends>
class MessagingPgFixture : public ::testing::Test {
 protected:
  // Opens the database with a pool of `connections`, then the store and a
  // manager; the wake log starts at the store's horizon as in the service.
  void OpenStore(int connections) {
    const absl::Status opened = testing::OpenTestDatabase(
        "messaging", connections, {&pg::OutboxMigrations(), &pg::MessagingMigrations()}, &db_,
        &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    store_ = std::make_unique<PgMessagingStore>(*pool_, outbox_);
    auto horizon = store_->StreamHorizon();
    ASSERT_TRUE(horizon.ok()) << horizon.status();
    log_.Reset(horizon->first, horizon->second);
    UseLimits({});
  }

  // A fresh manager (nothing in memory) with these bounds.
  void UseLimits(MessagingLimits limits) {
    auto key = matrix::Ed25519Key::Generate(SecureRng::Instance(), "test");
    ASSERT_TRUE(key.ok()) << key.status();
    manager_.reset();
    manager_ =
        std::make_unique<MessagingManager>(*store_, friends_, announcer_, "localhost", *key,
                                           *clock_, SecureRng::Instance(), limits);
  }

  // A new local user `name` (its UUID), made as the user.created consumer does.
  std::string LocalUser(const std::string& name) {
    return testing_users::LocalUser(*pool_, *manager_, name);
  }

  // Declared so that the manager goes before what it refers to.
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  bus::Outbox outbox_;
  Friends friends_;
  const Clock* clock_ = &SystemClock::Instance();  // the manager's (UseLimits)
  WaitHub hub_;
  WakeLog log_;
  CommitAnnouncer announcer_{log_, hub_};
  std::unique_ptr<PgMessagingStore> store_;
  std::unique_ptr<MessagingManager> manager_;
};

}  // namespace messenger::messaging::testing_users
