#include "common/bus/event.h"

#include <gtest/gtest.h>

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/struct.pb.h>

#include "common/bus/proto_json.h"
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

// Every payload type of events.proto, filled by reflection with `text` in its
// strings, prints the same JSON as protobuf's own writer.
void ExpectEveryEventTypeMatchesTheLibrary(const std::string& text, int64_t seconds,
                                           int32_t nanos, bool fill) {
  const auto* file = events::v1::MessageSent::descriptor()->file();
  ASSERT_GT(file->message_type_count(), 5);
  for (int i = 0; i < file->message_type_count(); ++i) {
    const auto* type = file->message_type(i);
    std::unique_ptr<google::protobuf::Message> message(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
    const auto* reflection = message->GetReflection();
    for (int f = 0; fill && f < type->field_count(); ++f) {
      const auto* field = type->field(f);
      using FD = google::protobuf::FieldDescriptor;
      if (field->is_repeated() && field->cpp_type() == FD::CPPTYPE_STRING) {
        reflection->AddString(message.get(), field, text);
        reflection->AddString(message.get(), field, "second");
      } else if (field->cpp_type() == FD::CPPTYPE_STRING) {
        reflection->SetString(message.get(), field, text);
      } else if (field->cpp_type() == FD::CPPTYPE_INT64) {
        reflection->SetInt64(message.get(), field, -9'007'199'254'740'993);
      } else if (field->cpp_type() == FD::CPPTYPE_MESSAGE) {
        google::protobuf::Timestamp ts;
        ts.set_seconds(seconds);
        ts.set_nanos(nanos);
        reflection->MutableMessage(message.get(), field)->CopyFrom(ts);
      }
    }
    auto ours = ProtoToJson(*message);
    auto library = ProtoToJsonByLibrary(*message);
    ASSERT_TRUE(ours.ok()) << type->name() << ": " << ours.status();
    ASSERT_TRUE(library.ok()) << type->name() << ": " << library.status();
    EXPECT_EQ(nlohmann::json::parse(*ours), nlohmann::json::parse(*library))
        << type->name() << "\nours:    " << *ours << "\nlibrary: " << *library;
  }
}

TEST(ProtoToJson, MatchesTheLibraryForEveryEventType) {
  ExpectEveryEventTypeMatchesTheLibrary("", 0, 0, /*fill=*/false);  // defaults, unset times
  ExpectEveryEventTypeMatchesTheLibrary("plain", 1'800'000'000, 0, true);
  ExpectEveryEventTypeMatchesTheLibrary("quote \" back \\ slash", 1'800'000'000, 123'000'000, true);
  ExpectEveryEventTypeMatchesTheLibrary("tab\t nl\n cr\r bell\x07 del\x7f", 1, 120'000, true);
  ExpectEveryEventTypeMatchesTheLibrary("caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 <a&b>", -1, 1, true);
  ExpectEveryEventTypeMatchesTheLibrary("far", 253'402'300'799, 999'999'999, true);
  ExpectEveryEventTypeMatchesTheLibrary("early", -62'135'596'800, 0, true);
}

TEST(ProtoToJson, LeavesWhatItDoesNotCoverToTheLibrary) {
  google::protobuf::Duration duration;  // a well-known type with its own mapping
  duration.set_seconds(90);
  EXPECT_EQ(*ProtoToJson(duration), "\"90s\"");
  google::protobuf::Struct with_map;  // maps, doubles, oneofs
  (*with_map.mutable_fields())["x"].set_number_value(1.5);
  EXPECT_EQ(nlohmann::json::parse(*ProtoToJson(with_map)), nlohmann::json({{"x", 1.5}}));
  events::v1::UserCreated bad_time;  // out of range: the library's error
  bad_time.mutable_created_at()->set_seconds(253'402'300'800);
  EXPECT_FALSE(ProtoToJson(bad_time).ok());
}

TEST(Event, PayloadIsKeptAsTextAndParsedOnDemand) {
  FakeClock clock;
  events::v1::MessageSent data;
  data.set_seq(7);
  data.add_recipients("r1");
  auto event = MakeEvent("message.sent", "messaging", data, clock, SecureRng::Instance());
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->Data()["seq"], "7");
  EXPECT_EQ(event->Data()["recipients"], nlohmann::json::array({"r1"}));
  auto back = Event::FromJson(event->ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Data(), event->Data());
  EXPECT_EQ(Event::FromJson(R"({"id":"x","type":"t","source":"s","time":"2026-01-01T00:00:00Z"})")
                ->Data(),
            nlohmann::json::object());
}

}  // namespace
}  // namespace messenger::bus
