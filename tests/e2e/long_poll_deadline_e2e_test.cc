// A /v1/sync long poll whose read is slower than MESSENGER_RPC_TIMEOUT_MS
// (issue 15: the 10,000-member run under load): it answers 200 with nothing
// new and its own token by the end of its timeout, never the RPC timeout's
// 504, and the client's next poll brings what was held up. The slow read is
// real: the sync feed's table is locked in PostgreSQL while the poll looks.
#include <gtest/gtest.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "common/pg/pg.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

constexpr int kRpcTimeoutMs = 1000;
constexpr int kPollTimeoutMs = 3000;

// Holds an exclusive lock on the messaging schema's receipts table (read by
// every sync feed statement) from construction until Release.
class FeedLock {
 public:
  explicit FeedLock(const std::string& dsn) {
    thread_ = std::thread([this, dsn] {
      auto pool = pg::Pool::Create({.dsn = dsn, .size = 1, .schema = "messaging"});
      if (!pool.ok()) {
        status_ = pool.status();
        locked_.Notify();
        return;
      }
      status_ = (*pool)->WithConnection([&](pg::Conn& conn) -> absl::Status {
        absl::Status begun = conn.ExecScript("BEGIN; LOCK TABLE receipts IN ACCESS EXCLUSIVE MODE");
        locked_.Notify();
        if (!begun.ok()) return begun;
        release_.WaitForNotification();
        return conn.ExecScript("ROLLBACK");
      });
    });
    locked_.WaitForNotification();
  }
  ~FeedLock() { Release().IgnoreError(); }
  absl::Status Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  // Valid once locked: an error when the lock could not be taken.
  const absl::Status& status() const { return status_; }

 private:
  absl::Notification locked_, release_;
  absl::Status status_;
  std::thread thread_;
};

TEST(LongPollDeadlineE2eTest, ASlowLookAnswersNothingNewNot504) {
  auto started =
      MessengerProcess::Start({{"MESSENGER_RPC_TIMEOUT_MS", std::to_string(kRpcTimeoutMs)}});
  ASSERT_TRUE(started.ok()) << started.status();
  MessengerProcess& messenger = **started;
  auto client = messenger.Client();
  client->set_read_timeout(60, 0);
  TestUser alice = CreateUser(messenger, *client, "alice");
  TestUser bob = CreateUser(messenger, *client, "bob");
  Reply first = Send(*client, "GET", "/v1/sync", std::nullopt, bob.access_token);
  ASSERT_EQ(first.status, 200) << first.raw;
  const std::string token = first.body.value("next", "");
  // News for bob, so that his poll must read the feed (the contact service
  // knows bob from user.created within moments).
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Send(*client, "POST", "/v1/contacts/requests",
                    nlohmann::json{{"user_id", bob.user_id}}, alice.access_token)
                   .status == 201;
      },
      absl::Seconds(30)));

  FeedLock lock(messenger.database().dsn());
  ASSERT_TRUE(lock.status().ok()) << lock.status();
  const absl::Time start = absl::Now();
  Reply held = Send(*client, "GET",
                    "/v1/sync?timeout_ms=" + std::to_string(kPollTimeoutMs) + "&since=" + token,
                    std::nullopt, bob.access_token);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(held.status, 200) << held.raw;
  EXPECT_EQ(held.body.value("next", ""), token) << held.raw;
  EXPECT_EQ(held.body.value("events", nlohmann::json()), nlohmann::json::array()) << held.raw;
  // It used its own timeout, not the RPC's; generous above for a busy machine.
  EXPECT_GE(took, absl::Milliseconds(kPollTimeoutMs - 200)) << took;
  EXPECT_LT(took, absl::Seconds(20)) << took;
  ASSERT_TRUE(lock.Release().ok());

  // The client polls again from the same token and gets what was held up.
  bool got = testing::WaitUntil(
      [&] {
        Reply r = Send(*client, "GET", "/v1/sync?timeout_ms=2000&since=" + token, std::nullopt,
                       bob.access_token);
        EXPECT_EQ(r.status, 200) << r.raw;
        for (const auto& e : r.body.value("events", nlohmann::json::array())) {
          if (e.value("type", "") == "contact_request") return true;
        }
        return r.status != 200;
      },
      absl::Seconds(30), absl::Milliseconds(10));
  EXPECT_TRUE(got) << "bob's contact request never arrived";
}

}  // namespace
}  // namespace messenger::e2e
