#include <gtest/gtest.h>

#include "common/crypto.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/pdu_builder.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;

constexpr char kServer[] = "example.org";
const std::string kPrev = "$" + std::string(43, 'A');

Ed25519Key TestKey() { return *Ed25519Key::FromSeed(std::string(32, '\x07'), "test"); }

PduFields MessageFields() {
  PduFields fields;
  fields.room_id = "!room:example.org";
  fields.sender = "@alice:example.org";
  fields.type = "m.room.message";
  fields.content = {{"msgtype", "m.text"}, {"body", "hello"}};
  fields.prev_events = {kPrev};
  fields.auth_events = {kPrev};
  fields.depth = 7;
  fields.origin_server_ts = 1700000000000;
  return fields;
}

TEST(BuildPdu, FillsHashesSignatureAndEventId) {
  const Ed25519Key key = TestKey();
  auto event = BuildPdu(MessageFields(), kServer, key);
  ASSERT_TRUE(event.ok()) << event.status();
  const Json& pdu = event->json();
  EXPECT_FALSE(pdu.contains("event_id"));  // v4+: the id is derived, not sent
  EXPECT_FALSE(pdu.contains("state_key"));
  EXPECT_FALSE(pdu.contains("origin"));
  EXPECT_EQ(pdu["depth"], 7);
  EXPECT_EQ(pdu["prev_events"], Json::array({kPrev}));
  EXPECT_TRUE(VerifyContentHash(pdu).ok());
  EXPECT_TRUE(VerifyEventSignature(pdu, kServer, "ed25519:test", key.public_key()).ok());
  EXPECT_EQ(event->event_id(), *ComputeEventId(pdu));
  EXPECT_TRUE(IsValidEventId(event->event_id()));

  EXPECT_EQ(event->type(), "m.room.message");
  EXPECT_EQ(event->sender(), "@alice:example.org");
  EXPECT_EQ(event->room_id(), "!room:example.org");
  EXPECT_FALSE(event->is_state());
  EXPECT_EQ(event->content()["body"], "hello");
  EXPECT_EQ(event->depth(), 7);
  EXPECT_EQ(event->origin_server_ts(), 1700000000000);
  EXPECT_EQ(event->prev_events(), std::vector<std::string>{kPrev});
  EXPECT_EQ(event->membership(), "");
}

TEST(BuildPdu, IsDeterministicAndIdDependsOnContent) {
  const Ed25519Key key = TestKey();
  PduFields fields = MessageFields();
  const std::string id = BuildPdu(fields, kServer, key)->event_id();
  EXPECT_EQ(BuildPdu(fields, kServer, key)->event_id(), id);
  fields.content["body"] = "hello!";
  EXPECT_NE(BuildPdu(fields, kServer, key)->event_id(), id);
}

TEST(BuildPdu, StateEventsAndRedactions) {
  PduFields fields = MessageFields();
  fields.type = "m.room.member";
  fields.state_key = "@alice:example.org";
  fields.content = {{"membership", "join"}};
  auto member = BuildPdu(fields, kServer, TestKey());
  ASSERT_TRUE(member.ok());
  EXPECT_TRUE(member->is_state());
  EXPECT_EQ(*member->state_key(), "@alice:example.org");
  EXPECT_EQ(member->membership(), "join");

  fields = MessageFields();
  fields.type = "m.room.redaction";
  fields.content = Json::object();
  fields.redacts = kPrev;
  auto redaction = BuildPdu(fields, kServer, TestKey());
  ASSERT_TRUE(redaction.ok());
  EXPECT_EQ(redaction->json()["redacts"], kPrev);
}

TEST(BuildPdu, RejectsBadFields) {
  const Ed25519Key key = TestKey();
  PduFields foreign = MessageFields();
  foreign.sender = "@alice:other.org";
  EXPECT_EQ(BuildPdu(foreign, kServer, key).status().code(), absl::StatusCode::kInvalidArgument);
  PduFields bad_sender = MessageFields();
  bad_sender.sender = "@Alice:example.org";
  EXPECT_EQ(BuildPdu(bad_sender, kServer, key).status().code(), absl::StatusCode::kInvalidArgument);
  PduFields negative_depth = MessageFields();
  negative_depth.depth = -1;
  EXPECT_EQ(BuildPdu(negative_depth, kServer, key).status().code(),
            absl::StatusCode::kInvalidArgument);
  PduFields array_content = MessageFields();
  array_content.content = Json::array();
  EXPECT_EQ(BuildPdu(array_content, kServer, key).status().code(),
            absl::StatusCode::kInvalidArgument);
  PduFields floats = MessageFields();
  floats.content["n"] = 0.5;
  EXPECT_EQ(BuildPdu(floats, kServer, key).status().code(), absl::StatusCode::kInvalidArgument);
  PduFields bad_room = MessageFields();
  bad_room.room_id = "room";
  EXPECT_EQ(BuildPdu(bad_room, kServer, key).status().code(), absl::StatusCode::kInvalidArgument);
  PduFields too_many = MessageFields();
  too_many.prev_events.assign(kMaxPrevEvents + 1, kPrev);
  EXPECT_EQ(BuildPdu(too_many, kServer, key).status().code(), absl::StatusCode::kInvalidArgument);
}

class EventFromJsonTest : public ::testing::Test {
 protected:
  Json Valid() { return BuildPdu(MessageFields(), kServer, TestKey())->json(); }

  absl::StatusCode CodeWith(const char* key, Json value) {
    Json pdu = Valid();
    pdu[key] = std::move(value);
    return Event::FromJson(pdu).status().code();
  }
  absl::StatusCode CodeWithout(const char* key) {
    Json pdu = Valid();
    pdu.erase(key);
    return Event::FromJson(pdu).status().code();
  }
};

TEST_F(EventFromJsonTest, AcceptsBuiltEventsAndTextRoundTrip) {
  auto event = Event::FromJson(Valid());
  ASSERT_TRUE(event.ok()) << event.status();
  auto parsed = Event::Parse(event->json().dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->event_id(), event->event_id());
  EXPECT_EQ(parsed->json(), event->json());
}

TEST_F(EventFromJsonTest, RequiresEveryFormatKey) {
  for (const char* key : {"room_id", "sender", "type", "content", "depth", "origin_server_ts",
                          "prev_events", "auth_events", "hashes", "signatures"}) {
    EXPECT_EQ(CodeWithout(key), absl::StatusCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(Event::FromJson(Json::array()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Event::Parse("{not json").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventFromJsonTest, ChecksTypesAndLimits) {
  EXPECT_EQ(CodeWith("depth", "7"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("depth", -1), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("depth", 1.5), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("origin_server_ts", kMaxSafeInteger + 1), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("content", "text"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("state_key", 5), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("state_key", std::string(256, 'k')), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("state_key", std::string(255, 'k')), absl::StatusCode::kOk);
  EXPECT_EQ(CodeWith("type", ""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("type", std::string(256, 't')), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("sender", "alice"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("room_id", "!nodomain"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("prev_events", Json::array({"$0:domain"})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("auth_events", Json(std::vector<std::string>(kMaxAuthEvents + 1, kPrev))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("signatures", {{"example.org", "sig"}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("hashes", Json::object()), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("redacts", 1), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeWith("unsigned", Json::array()), absl::StatusCode::kInvalidArgument);
  // Historical user ids are still accepted in received events.
  EXPECT_EQ(CodeWith("sender", "@Old.User:example.org"), absl::StatusCode::kOk);
}

TEST_F(EventFromJsonTest, RejectsEventsOver64KiB) {
  Json pdu = Valid();
  const size_t base = CanonicalJson(pdu)->size();
  pdu["content"]["pad"] = "";
  const size_t overhead = CanonicalJson(pdu)->size() - base;
  pdu["content"]["pad"] = std::string(kMaxEventBytes - base - overhead, 'x');
  ASSERT_EQ(CanonicalJson(pdu)->size(), kMaxEventBytes);
  EXPECT_TRUE(Event::FromJson(pdu).ok());
  pdu["content"]["pad"] = std::string(kMaxEventBytes - base - overhead + 1, 'x');
  EXPECT_EQ(Event::FromJson(pdu).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace messenger::matrix
