#include "gateway/src/matrix/sync_render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/src/matrix/client_event_text.h"
#include "gateway/src/matrix/client_events.h"

namespace messenger::gateway::matrix {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'700'000'010'000;

messaging::v1::MatrixEvent Event(const std::string& id, json pdu, const std::string& txn = "") {
  messaging::v1::MatrixEvent e;
  e.set_event_id(id);
  e.set_pdu(pdu.dump());
  e.set_transaction_id(txn);
  return e;
}

json Pdu(const std::string& type, json content, json extra = json::object()) {
  json pdu = {{"type", type},
              {"content", std::move(content)},
              {"sender", "@a:x"},
              {"origin_server_ts", 1'700'000'000'000},
              {"room_id", "!r:x"},
              {"depth", 3},
              {"hashes", {{"sha256", "h"}}},
              {"prev_events", json::array()}};
  for (auto& [k, v] : extra.items()) pdu[k] = v;
  return pdu;
}

// What the answer was before it was written as text: one tree, dumped.
json Tree(const google::protobuf::RepeatedPtrField<messaging::v1::MatrixEvent>& events) {
  json out = json::array();
  for (const auto& e : events) out.push_back(*ClientEvent(e, kNow));
  return out;
}

messaging::v1::MatrixSyncResponse Answer() {
  messaging::v1::MatrixSyncResponse r;
  r.set_next_batch("s1");
  auto* join = r.add_rooms();
  join->set_room_id("!r:x");
  join->set_membership("join");
  *join->add_timeline() =
      Event("$m1", Pdu("m.room.message", {{"body", "h\u00e9llo \"q\" \\"}}), "txn1");
  *join->add_timeline() = Event(
      "$m2", Pdu("m.room.message", json::object(), {{"unsigned", {{"redacted_because", "x"}}}}));
  join->set_limited(true);
  join->set_prev_batch("t5");
  *join->add_state() =
      Event("$s1", Pdu("m.room.member", {{"membership", "join"}}, {{"state_key", "@a:x"}}));
  join->set_ephemeral_json(R"([{"type":"m.typing","content":{"user_ids":["@b:x"]}}])");
  join->set_notification_count(2);
  join->set_summary(true);
  join->set_joined_count(2);
  join->add_heroes("@b:x");
  auto* leave = r.add_rooms();
  leave->set_room_id("!l:x");
  leave->set_membership("leave");
  *leave->add_timeline() = Event("$l1", Pdu("m.room.message", {{"body", "bye"}}));
  auto* invite = r.add_rooms();
  invite->set_room_id("!i:x");
  invite->set_membership("invite");
  *invite->add_state() = Event("$i1", Pdu("m.room.name", {{"name", "n"}}, {{"state_key", ""}}));
  r.add_sections_json(R"({"rooms":{"join":{"!r:x":{"account_data":{"events":[{"type":"t",)"
                      R"("content":{}}]}}}},"to_device":{"events":[]}})");
  return r;
}

TEST(SyncRender, WrittenBodyIsTheDumpOfTheTree) {
  ClientEventText texts(100);
  const messaging::v1::MatrixSyncResponse r = Answer();
  absl::StatusOr<http::Response> got = RenderSync(r, kNow, texts);
  ASSERT_TRUE(got.ok()) << got.status();
  const json body = json::parse(got->body);
  // Byte for byte what dumping the parsed answer gives: sorted keys, compact.
  EXPECT_EQ(got->body, body.dump());
  const json& room = body["rooms"]["join"]["!r:x"];
  EXPECT_EQ(room["timeline"]["events"], Tree(r.rooms(0).timeline()));
  EXPECT_EQ(room["timeline"]["events"][0]["unsigned"],
            json({{"age", 10'000}, {"transaction_id", "txn1"}}));
  EXPECT_EQ(room["timeline"]["events"][1]["unsigned"]["redacted_because"], "x");
  EXPECT_FALSE(room["timeline"]["events"][0].contains("hashes"));
  EXPECT_EQ(room["state"]["events"], Tree(r.rooms(0).state()));
  EXPECT_EQ(room["timeline"]["limited"], true);
  EXPECT_EQ(room["timeline"]["prev_batch"], "t5");
  EXPECT_EQ(room["account_data"]["events"][0]["type"], "t");
  EXPECT_EQ(room["summary"]["m.heroes"], json({"@b:x"}));
  EXPECT_EQ(body["rooms"]["leave"]["!l:x"]["timeline"]["events"], Tree(r.rooms(1).timeline()));
  EXPECT_EQ(body["rooms"]["invite"]["!i:x"]["invite_state"]["events"][0]["content"]["name"], "n");
  EXPECT_EQ(body["to_device"]["events"], json::array());
  EXPECT_EQ(body["account_data"]["events"], json::array());

  // Again from the cache: the same text.
  absl::StatusOr<http::Response> again = RenderSync(r, kNow, texts);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body, got->body);
}

// An incremental sync leaves an unchanged summary out (not zero members).
TEST(SyncRender, AnUnchangedSummaryIsLeftOut) {
  ClientEventText texts(100);
  messaging::v1::MatrixSyncResponse r = Answer();
  r.mutable_rooms(0)->set_summary(false);
  absl::StatusOr<http::Response> got = RenderSync(r, kNow, texts);
  ASSERT_TRUE(got.ok()) << got.status();
  const json room = json::parse(got->body)["rooms"]["join"]["!r:x"];
  EXPECT_FALSE(room.contains("summary")) << room.dump();
  EXPECT_EQ(room["unread_notifications"]["notification_count"], 2);
}

TEST(SyncRender, ARewrittenPduIsRenderedAnew) {
  ClientEventText texts(100);
  std::string first, second;
  ASSERT_TRUE(
      texts.Append(Event("$e", Pdu("m.room.message", {{"body", "secret"}})), kNow, first).ok());
  ASSERT_TRUE(texts.Append(Event("$e", Pdu("m.room.message", json::object())), kNow, second).ok());
  EXPECT_EQ(json::parse(first)["content"]["body"], "secret");
  EXPECT_EQ(json::parse(second)["content"], json::object());
}

// messaging bundles an event's latest edit into its PDU's unsigned: the
// cached text of the same event without it must not be served.
TEST(SyncRender, ANewlyBundledEditIsRenderedAnew) {
  ClientEventText texts(100);
  const json plain = Pdu("m.room.message", {{"body", "first"}});
  json edited = plain;
  edited["unsigned"]["m.relations"]["m.replace"] = {{"event_id", "$edit"}};
  std::string before, after;
  ASSERT_TRUE(texts.Append(Event("$e", plain), kNow, before).ok());
  ASSERT_TRUE(texts.Append(Event("$e", edited), kNow, after).ok());
  EXPECT_FALSE(json::parse(before)["unsigned"].contains("m.relations"));
  EXPECT_EQ(json::parse(after)["unsigned"],
            json({{"age", 10'000}, {"m.relations", {{"m.replace", {{"event_id", "$edit"}}}}}}));
  EXPECT_EQ(json::parse(after)["content"]["body"], "first");
}

TEST(SyncRender, APduThatIsNotAnObjectIsAnError) {
  ClientEventText texts(100);
  messaging::v1::MatrixEvent e;
  e.set_event_id("$e");
  e.set_pdu("[1]");
  std::string out;
  EXPECT_FALSE(texts.Append(e, kNow, out).ok());
}

}  // namespace
}  // namespace messenger::gateway::matrix
