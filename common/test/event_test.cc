#include "common/bus/event.h"

#include <gtest/gtest.h>

#include "common/trace.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::bus {
namespace {

TEST(Event, EnvelopeHasTheApiFieldsAndProtoFieldNames) {
  FakeClock clock(absl::FromUnixMillis(1'800'000'000'123));
  events::v1::UserCreated data;
  data.set_user_id("u1");
  data.set_username("alice");
  data.set_email("a@example.com");
  data.mutable_created_at()->set_seconds(1'800'000'000);
  trace::ScopedTrace scoped("4bf92f3577b34da6a3ce929d0e0e4736");
  auto event = MakeEvent("user.created", "auth", data, clock, SecureRng::Instance());
  ASSERT_TRUE(event.ok()) << event.status();
  auto json = nlohmann::json::parse(event->ToJson());
  EXPECT_TRUE(IsUuid(json["id"].get<std::string>()));
  EXPECT_EQ(json["type"], "user.created");
  EXPECT_EQ(json["source"], "auth");
  EXPECT_EQ(json["time"], "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(json["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(json["data"]["user_id"], "u1");
  EXPECT_EQ(json["data"]["username"], "alice");
  EXPECT_EQ(json["data"]["created_at"], "2027-01-15T08:00:00Z");
}

TEST(Event, JsonRoundTrip) {
  FakeClock clock;
  events::v1::MessageSeen data;
  data.set_conversation_id("!r:localhost");
  data.set_seq(42);
  auto event = MakeEvent("message.seen", "messaging", data, clock, SecureRng::Instance());
  ASSERT_TRUE(event.ok());
  auto back = Event::FromJson(event->ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, event->id);
  EXPECT_EQ(back->time, event->time);
  events::v1::MessageSeen parsed;
  ASSERT_TRUE(back->DataTo(parsed).ok());
  EXPECT_EQ(parsed.seq(), 42);
  EXPECT_EQ(parsed.conversation_id(), "!r:localhost");
}

TEST(Event, RejectsMalformedEnvelopes) {
  EXPECT_FALSE(Event::FromJson("not json").ok());
  EXPECT_FALSE(Event::FromJson("[]").ok());
  EXPECT_FALSE(Event::FromJson(R"({"id":"x","type":"t","source":"s"})").ok());
  EXPECT_FALSE(Event::FromJson(R"({"id":"x","type":"t","source":"s","time":"yesterday"})").ok());
}

}  // namespace
}  // namespace messenger::bus
