// A fresh database (schema "svc" with the outbox tables), a private
// nats-server and a connected NatsBus for each test.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "common/bus/nats_bus.h"
#include "common/pg/migrations.h"
#include "common/pg/pg.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"

namespace messenger::bus {

class BusTest : public ::testing::Test {
 protected:
  explicit BusTest(absl::Duration request_timeout) : request_timeout_(request_timeout) {}

  void SetUp() override {
    const absl::Status opened =
        messenger::testing::OpenTestDatabase("svc", 4, {&pg::OutboxMigrations()}, &db_, &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    auto nats = messenger::testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    auto bus = NatsBus::Connect({.url = nats_->url(), .request_timeout = request_timeout_});
    ASSERT_TRUE(bus.ok()) << bus.status();
    bus_ = std::move(*bus);
    ASSERT_TRUE(messenger::testing::WaitUntil([&] { return bus_->connected(); }, absl::Seconds(5)));
  }

  const absl::Duration request_timeout_;
  std::unique_ptr<messenger::testing::TestDatabase> db_;
  std::unique_ptr<messenger::testing::NatsServer> nats_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<NatsBus> bus_;
};

}  // namespace messenger::bus
