// The exactly-once checker itself: it passes on a clean stream and reports a
// late duplicate, a late stray event, a missing event and a broken field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include "absl/strings/str_join.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

using ::testing::HasSubstr;

// Publishes `payload` to the stream with its own Nats-Msg-Id, as a buggy
// producer could.
void PublishRaw(bus::NatsBus& bus, const std::string& subject, const std::string& payload,
                const std::string& msg_id) {
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(),
                           static_cast<int>(payload.size())),
            NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id.c_str()), NATS_OK);
  jsPubAck* ack = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  EXPECT_EQ(js_PublishMsg(&ack, bus.jetstream(), msg, nullptr, &err), NATS_OK) << err;
  jsPubAck_Destroy(ack);
  natsMsg_Destroy(msg);
}

class EventChecksE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = absl::Now() - absl::Seconds(1);
    auto started = MessengerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
    user_ = CreateUser(*messenger_, *client_, "audited");
  }

  EventAudit Audit(std::function<void()> between_reads = {},
                   std::map<std::string, int> expected = kExpected,
                   absl::Duration timeout = absl::Seconds(30)) {
    return AuditEvents(
        *messenger_, expected,
        {.timeout = timeout, .not_before = start_, .between_reads = std::move(between_reads)});
  }
  // The stored user.email_verified event (the outbox publishes it a little
  // after the verification returns).
  StoredEvent Verified() {
    StoredEvent verified;
    const bool found = testing::WaitUntil(
        [&] {
          auto events = ReadStoredEvents(messenger_->bus());
          EXPECT_TRUE(events.ok()) << events.status();
          for (const StoredEvent& e : events.value_or(std::vector<StoredEvent>{})) {
            if (e.subject == "user.email_verified") {
              verified = e;
              return true;
            }
          }
          return false;
        },
        absl::Seconds(10));
    if (!found) ADD_FAILURE() << "no user.email_verified";
    return verified;
  }
  static std::string All(const EventAudit& audit) { return absl::StrJoin(audit.problems, "\n"); }

  static inline const std::map<std::string, int> kExpected = {
      {"user.created", 1}, {"user.email_verified", 1}, {"session.created", 1}};
  absl::Time start_;
  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
  TestUser user_;
};

TEST_F(EventChecksE2eTest, ACleanStreamPasses) {
  EventAudit audit = Audit();
  EXPECT_TRUE(audit.problems.empty()) << All(audit);
  ASSERT_EQ(audit.by_type["user.created"].size(), 1u);
  EXPECT_EQ(audit.by_type["user.created"][0].Data()["user_id"], user_.user_id);
}

TEST_F(EventChecksE2eTest, ALateDuplicateIsReported) {
  const StoredEvent verified = Verified();
  // The same envelope again under another Nats-Msg-Id (JetStream keeps it),
  // after the first read: only the second read can see it.
  EventAudit audit = Audit([&] {
    PublishRaw(messenger_->bus(), verified.subject, verified.envelope.dump(),
               "not-" + verified.event.id);
  });
  EXPECT_THAT(All(audit), HasSubstr("arrived during the grace period"));
  EXPECT_THAT(All(audit), HasSubstr("event " + verified.event.id + " twice"));
  EXPECT_THAT(All(audit), HasSubstr("is not the id " + verified.event.id));
  EXPECT_THAT(All(audit), HasSubstr("user.email_verified=2"));
}

TEST_F(EventChecksE2eTest, ALateStrayEventIsReported) {
  StoredEvent verified = Verified();
  bus::Event stray = verified.event;
  stray.id = "00000000-0000-4000-8000-000000000001";
  EventAudit audit = Audit([&] { ASSERT_TRUE(messenger_->bus().Publish(stray).ok()); });
  EXPECT_THAT(All(audit), HasSubstr("1 event(s) arrived during the grace period"));
  EXPECT_THAT(All(audit), HasSubstr("user.email_verified=2"));
}

TEST_F(EventChecksE2eTest, AMissingEventIsReported) {
  EventAudit audit = Audit({},
                           {{"user.created", 1},
                            {"user.email_verified", 1},
                            {"session.created", 1},
                            {"session.revoked", 1}},
                           absl::Seconds(2));
  EXPECT_THAT(All(audit), HasSubstr("missing events"));
  EXPECT_THAT(All(audit), HasSubstr("expected exactly"));
}

TEST_F(EventChecksE2eTest, ABrokenEnvelopeOrFieldIsReported) {
  StoredEvent verified = Verified();
  nlohmann::json broken = verified.envelope;
  broken["id"] = "00000000-0000-4000-8000-000000000002";
  broken["time"] = "2026-01-01 00:00:00";
  broken["data"].erase("email");
  broken["data"]["verified_at"] = "yesterday";
  EventAudit audit = Audit([&] {
    PublishRaw(messenger_->bus(), verified.subject, broken.dump(), broken["id"].get<std::string>());
  });
  EXPECT_THAT(All(audit), HasSubstr("time is not an RFC 3339 UTC time"));
  EXPECT_THAT(All(audit), HasSubstr("data fields {user_id,verified_at}"));
  EXPECT_THAT(All(audit), HasSubstr("verified_at is not an RFC 3339 UTC time"));
}

}  // namespace
}  // namespace messenger::e2e
