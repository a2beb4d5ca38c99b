// The fixture of the contact pg tests: ContactManager over PgContactStore
// against a real PostgreSQL, three local users, this server "hs1.test".
#pragma once

#include <gtest/gtest.h>

#include <map>

#include "common/bus/consumer.h"
#include "common/pg/migrations.h"
#include "common/testing/testing.h"
#include "common/time_util.h"
#include "common_bus_migrations.h"
#include "contact-service/src/service/contact_manager.h"
#include "contact-service/src/storage/pg_contact_store.h"
#include "contact_migrations.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::contact {

inline constexpr pg::Query kOutbox{"t_outbox", "SELECT subject, payload FROM outbox ORDER BY seq"};
inline constexpr pg::Query kUsers{"t_users", "SELECT count(*) FROM users"};
inline constexpr pg::Query kRelations{"t_relations", "SELECT count(*) FROM relations"};

class ContactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status opened = testing::OpenTestDatabase(
        "contact", 8, {&pg::OutboxMigrations(), &pg::ContactMigrations()}, &db_, &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    store_ = std::make_unique<PgContactStore>(*pool_, outbox_);
    manager_ = std::make_unique<ContactManager>(*store_, clock_, SecureRng::Instance(), "hs1.test");
    a_ = NewUser("a");
    b_ = NewUser("b");
    c_ = NewUser("c");
  }

  bus::Event UserCreated(const std::string& id, const std::string& name) {
    events::v1::UserCreated data;
    data.set_user_id(id);
    data.set_username(name);
    return *bus::MakeEvent("user.created", "auth", data, clock_, SecureRng::Instance());
  }

  absl::StatusOr<bool> Deliver(const bus::Event& e) {
    return bus::ApplyEventOnce(
        *pool_, "contact_user_created", e,
        [this](const bus::Event& ev, pg::Tx& tx) { return manager_->OnUserCreated(ev, tx); });
  }

  // Delivers user.deactivated of `user` (erased) once through the idempotent
  // consumer: false when it was a redelivery.
  absl::StatusOr<bool> Deactivate(const std::string& user) {
    events::v1::UserDeactivated data;
    data.set_user_id(user);
    data.set_erase(true);
    if (!deactivations_.contains(user)) {
      deactivations_.emplace(
          user, *bus::MakeEvent("user.deactivated", "auth", data, clock_, SecureRng::Instance()));
    }
    return bus::ApplyEventOnce(
        *pool_, "contact_user_deactivated", deactivations_.at(user),
        [this](const bus::Event& ev, pg::Tx& tx) { return manager_->OnUserDeactivated(ev, tx); });
  }

  std::string NewUser(const std::string& name) {
    std::string id = NewUuid(SecureRng::Instance());
    EXPECT_TRUE(*Deliver(UserCreated(id, name)));
    return id;
  }

  std::vector<std::pair<std::string, nlohmann::json>> Events() {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    auto r = pool_->Exec(kOutbox);
    for (int i = 0; i < r->rows(); ++i)
      out.emplace_back(r->GetString(i, 0), nlohmann::json::parse(r->Get(i, 1)));
    return out;
  }

  FakeClock clock_{absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()))};
  bus::Outbox outbox_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<PgContactStore> store_;
  std::unique_ptr<ContactManager> manager_;
  std::string a_, b_, c_;
  std::map<std::string, bus::Event> deactivations_;  // one event per user: redeliveries
};

}  // namespace messenger::contact
