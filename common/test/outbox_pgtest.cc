#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "common/bus/consumer.h"
#include "common/bus/outbox.h"
#include "common/test/bus_test_fixture.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::bus {
namespace {

using messenger::testing::WaitUntil;

// Every message in the stream, as event id -> number of copies.
std::map<std::string, int> StreamContents(NatsBus& bus) {
  std::map<std::string, int> out;
  for (const Event& event : messenger::testing::ReadStream(bus)) ++out[event.id];
  return out;
}

class OutboxTest : public BusTest {
 protected:
  OutboxTest() : BusTest(absl::Seconds(1)) {}

  void TearDown() override {
    relay_.reset();
    bus_.reset();
  }

  // Commits one event per transaction and returns its id.
  std::string Produce(const Outbox& outbox, int n) {
    events::v1::SessionRevoked data;
    data.set_session_id("s" + std::to_string(n));
    auto event = MakeEvent("session.revoked", "test", data, SystemClock::Instance(),
                           SecureRng::Instance());
    EXPECT_TRUE(event.ok());
    EXPECT_TRUE(pool_->Transaction([&](pg::Tx& tx) { return outbox.Enqueue(tx, *event); }).ok());
    return event->id;
  }

  // A sweep every `sweep_every`; after a failure, the next one `backoff` later.
  void StartRelay(absl::Duration sweep_every = absl::Milliseconds(500),
                  absl::Duration backoff = absl::Milliseconds(100)) {
    relay_ = std::make_unique<OutboxRelay>(
        *pool_, *bus_,
        OutboxRelay::Options{.service = "test",
                             .poll_interval = sweep_every,
                             .min_backoff = backoff,
                             .max_backoff = std::max(backoff, absl::Milliseconds(300))});
    relay_->Start();
  }

  std::unique_ptr<OutboxRelay> relay_;
};

TEST_F(OutboxTest, CommittedEventsArePublishedRolledBackOnesAreNot) {
  StartRelay();
  Outbox outbox(relay_->Handoff());
  const std::string kept = Produce(outbox, 1);
  events::v1::SessionRevoked data;
  auto dropped = MakeEvent("session.revoked", "test", data, SystemClock::Instance(),
                           SecureRng::Instance());
  ASSERT_TRUE(dropped.ok());
  (void)pool_->Transaction([&](pg::Tx& tx) -> absl::Status {
    if (auto s = outbox.Enqueue(tx, *dropped); !s.ok()) return s;
    return absl::AbortedError("roll back");
  });
  ASSERT_TRUE(WaitUntil([&] { return StreamContents(*bus_).count(kept) == 1; }, absl::Seconds(5)));
  auto contents = StreamContents(*bus_);
  EXPECT_EQ(contents.size(), 1u);
  EXPECT_EQ(contents.count(dropped->id), 0u);
}

TEST_F(OutboxTest, HandedOverEventsGoOutWithoutWaitingForTheSweep) {
  // A row committed before the relay starts: only the sweep at start can
  // publish it, so once it is out that sweep is over and the next one (like
  // any sweep after a failure) is an hour away.
  const std::string before = Produce(Outbox(), 0);
  StartRelay(/*sweep_every=*/absl::Hours(1), /*backoff=*/absl::Hours(1));
  Outbox outbox(relay_->Handoff());
  ASSERT_TRUE(WaitUntil([&] { return relay_->published() == 1; }, absl::Seconds(10)))
      << "the sweep at start published " << relay_->published();
  std::set<std::string> ids;
  for (int i = 1; i <= 20; ++i) ids.insert(Produce(outbox, i));
  ASSERT_TRUE(WaitUntil([&] { return relay_->published() == 21; }, absl::Seconds(10)))
      << "published " << relay_->published() << ": the hand-off did not deliver";
  auto contents = StreamContents(*bus_);
  for (const auto& id : ids) EXPECT_EQ(contents[id], 1) << id;
  static constexpr pg::Query kCountRows{"t_outbox_rows_handed", "SELECT count(*) FROM outbox"};
  auto rows = pool_->Exec(kCountRows);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), 0);
}

TEST_F(OutboxTest, NothingLostNothingTwiceWhileNatsIsDown) {
  StartRelay();
  Outbox outbox(relay_->Handoff());
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.insert(Produce(outbox, i));
  ASSERT_TRUE(WaitUntil([&] { return relay_->published() == 10; }, absl::Seconds(10)));

  nats_->Stop();
  for (int i = 10; i < 60; ++i) ids.insert(Produce(outbox, i));
  // Give the relay time to fail against the absent server.
  ASSERT_TRUE(WaitUntil([&] { return !bus_->connected(); }, absl::Seconds(5)));
  EXPECT_EQ(relay_->published(), 10);

  ASSERT_TRUE(nats_->Restart().ok());
  ASSERT_TRUE(WaitUntil([&] { return relay_->published() == 60; }, absl::Seconds(20)))
      << "published " << relay_->published();
  std::map<std::string, int> contents;
  ASSERT_TRUE(WaitUntil(
      [&] {
        contents = StreamContents(*bus_);
        return contents.size() == 60;
      },
      absl::Seconds(10)));
  for (const auto& id : ids) {
    ASSERT_EQ(contents[id], 1) << id;
  }
  EXPECT_EQ(contents.size(), ids.size());
  // Acknowledged rows leave the table (JetStream keeps the events).
  static constexpr pg::Query kCountRows{"t_outbox_rows", "SELECT count(*) FROM outbox"};
  auto rows = pool_->Exec(kCountRows);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), 0);
}

TEST_F(OutboxTest, ConsumerAppliesEachEventOnceAcrossRedelivery) {
  static constexpr pg::Query kCreate{"t_seen_create",
                                     "CREATE TABLE IF NOT EXISTS seen (event_id uuid, n int)"};
  ASSERT_TRUE(pool_->Exec(kCreate).ok());
  static constexpr pg::Query kInsertSeen{"t_seen_insert",
                                         "INSERT INTO seen (event_id, n) VALUES ($1, 1)"};
  static constexpr pg::Query kCountSeen{"t_seen_count", "SELECT count(*) FROM seen"};
  auto handler = [](const Event& event, pg::Tx& tx) {
    return tx.Exec(kInsertSeen, {event.id}).status();
  };
  EventConsumer consumer(*bus_, *pool_, {.durable = "test_seen", .subject = "session.revoked"},
                         handler);
  events::v1::SessionRevoked data;
  auto event = MakeEvent("session.revoked", "test", data, SystemClock::Instance(),
                         SecureRng::Instance());
  ASSERT_TRUE(event.ok());
  auto first = consumer.Apply(*event);
  auto second = consumer.Apply(*event);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);

  // Through JetStream: a publish of the same event twice is applied once, and
  // a restarted consumer does not apply old events again.
  StartRelay();
  Outbox outbox(relay_->Handoff());
  Produce(outbox, 1);
  Produce(outbox, 2);
  consumer.Start();
  ASSERT_TRUE(WaitUntil([&] { return consumer.processed() == 3; }, absl::Seconds(10)));
  consumer.Stop();
  EventConsumer again(*bus_, *pool_, {.durable = "test_seen", .subject = "session.revoked"},
                      handler);
  again.Start();
  Produce(outbox, 3);
  ASSERT_TRUE(WaitUntil([&] { return again.processed() == 1; }, absl::Seconds(10)));
  again.Stop();
  auto count = pool_->Exec(kCountSeen);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->GetInt64(0, 0), 4);
}

}  // namespace
}  // namespace messenger::bus
