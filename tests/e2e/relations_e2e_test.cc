// Edits, deletes (redactions), replies and reactions over /v1, end to end.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/pg/pg.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

constexpr char kThumbsUp[] = "\xF0\x9F\x91\x8D";  // U+1F44D
constexpr char kThumbsUpPath[] = "%F0%9F%91%8D";

class RelationsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = absl::Now() - absl::Seconds(1);
    auto started = MessengerProcess::Start(
        {{"MESSENGER_SEND_RATE_PER_S", "100000"}, {"MESSENGER_SEND_BURST", "100000"}});
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
    alice_ = CreateUser(*messenger_, *client_, "alice");
    bob_ = CreateUser(*messenger_, *client_, "bob");
    carol_ = CreateUser(*messenger_, *client_, "carol");
  }

  Reply Call(const std::string& method, const std::string& path, const TestUser& as,
             const std::optional<nlohmann::json>& body = std::nullopt) {
    return Send(*client_, method, path, body, as.access_token);
  }
  void Befriend(const TestUser& a, const TestUser& b) {
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          int status =
              Call("POST", "/v1/contacts/requests", a, nlohmann::json{{"user_id", b.user_id}})
                  .status;
          return status == 201 || status == 200;
        },
        absl::Seconds(10)));
    ASSERT_EQ(Call("POST", "/v1/contacts/requests/" + a.user_id + "/accept", b).status, 200);
  }
  // A sent message's body (message_id, conversation_id, ...).
  nlohmann::json Say(const TestUser& from, nlohmann::json body, const std::string& text) {
    body["text"] = text;
    body["client_msg_id"] = "c" + std::to_string(++sent_);
    Reply r = Call("POST", "/v1/messages", from, body);
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body;
  }
  // The conversation's first history page as `as` sees it, by message id.
  std::map<std::string, nlohmann::json> History(const std::string& conversation,
                                                const TestUser& as) {
    Reply r = Call("GET", "/v1/conversations/" + conversation + "/messages", as);
    EXPECT_EQ(r.status, 200) << r.raw;
    std::map<std::string, nlohmann::json> out;
    for (const auto& m : r.body["messages"]) out[m["message_id"]] = m;
    return out;
  }
  // Sync events of `as` after `since` until `done` holds for them (bounded).
  std::vector<nlohmann::json> SyncUntil(
      const TestUser& as, std::string& since,
      const std::function<bool(const std::vector<nlohmann::json>&)>& done) {
    std::vector<nlohmann::json> events;
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          Reply r = Call("GET", "/v1/sync?timeout_ms=2000&since=" + since, as);
          if (r.status != 200) return false;
          since = r.body["next"];
          for (const auto& e : r.body["events"]) events.push_back(e);
          return done(events);
        },
        absl::Seconds(30)));
    return events;
  }
  static std::map<std::string, nlohmann::json> ReactionsOf(const nlohmann::json& message) {
    std::map<std::string, nlohmann::json> out;
    for (const auto& r : message.value("reactions", nlohmann::json::array())) out[r["key"]] = r;
    return out;
  }
  static void ExpectError(const Reply& r, int status, const std::string& code,
                          const std::string& mentions = "") {
    EXPECT_EQ(r.status, status) << r.raw;
    EXPECT_EQ(r.body.value("/error/code"_json_pointer, ""), code) << r.raw;
    if (!mentions.empty()) {
      EXPECT_NE(r.body.value("/error/message"_json_pointer, "").find(mentions), std::string::npos)
          << r.raw;
    }
  }

  absl::Time start_;
  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
  TestUser alice_, bob_, carol_;
  int sent_ = 0;
};

TEST_F(RelationsE2eTest, EditReplyReactAndDeleteShowInHistorySyncStorageAndOnTheBus) {
  Befriend(alice_, bob_);
  const nlohmann::json first = Say(alice_, {{"to", bob_.user_id}}, "original secret");
  const std::string conversation = first["conversation_id"];
  const std::string m1 = first["message_id"];
  // Past bob's own setup rows (his friendship notices and m1).
  std::string since = SyncTokenAfter(*client_, bob_.access_token,
                                     {"contact_request", "contact_accepted", "message"});

  Reply edit =
      Call("PATCH", "/v1/messages/" + m1, alice_, nlohmann::json{{"text", "edited secret"}});
  ASSERT_EQ(edit.status, 200) << edit.raw;
  EXPECT_EQ(edit.body["message_id"], m1);
  EXPECT_EQ(edit.body["edit_id"].get<std::string>().front(), '$');
  ASSERT_EQ(
      Call("PATCH", "/v1/messages/" + m1, alice_, nlohmann::json{{"text", "final text"}}).status,
      200);
  auto history = History(conversation, bob_);
  ASSERT_EQ(history.size(), 1u) << "edits are not messages of their own";
  EXPECT_EQ(history[m1]["text"], "final text");
  EXPECT_TRUE(history[m1].contains("edited_at"));
  EXPECT_EQ(
      Call("GET", "/v1/conversations", bob_).body["conversations"][0]["last_message"]["message_id"],
      m1);

  const nlohmann::json reply =
      Say(bob_, {{"conversation_id", conversation}, {"reply_to", m1}}, "a reply");
  const std::string m2 = reply["message_id"];
  EXPECT_EQ(History(conversation, alice_)[m2]["reply_to"], m1);

  for (const TestUser* who : {&bob_, &alice_}) {
    EXPECT_EQ(Call("POST", "/v1/messages/" + m1 + "/reactions/" + kThumbsUpPath, *who).status, 204);
  }
  EXPECT_EQ(Call("POST", "/v1/messages/" + m1 + "/reactions/ok", alice_).status, 204);
  auto reactions = ReactionsOf(History(conversation, bob_)[m1]);
  EXPECT_EQ(reactions[kThumbsUp], (nlohmann::json{{"key", kThumbsUp}, {"count", 2}, {"me", true}}));
  EXPECT_EQ(reactions["ok"], (nlohmann::json{{"key", "ok"}, {"count", 1}, {"me", false}}));
  EXPECT_EQ(Call("DELETE", "/v1/messages/" + m1 + "/reactions/" + kThumbsUpPath, bob_).status, 204);
  reactions = ReactionsOf(History(conversation, bob_)[m1]);
  EXPECT_EQ(reactions[kThumbsUp],
            (nlohmann::json{{"key", kThumbsUp}, {"count", 1}, {"me", false}}));
  // Reacting again after taking it back is allowed.
  EXPECT_EQ(Call("POST", "/v1/messages/" + m1 + "/reactions/" + kThumbsUpPath, bob_).status, 204);

  ASSERT_EQ(Call("DELETE", "/v1/messages/" + m1, alice_).status, 204);
  history = History(conversation, bob_);
  EXPECT_EQ(history[m1], (nlohmann::json{{"message_id", m1},
                                         {"seq", first["seq"]},
                                         {"sender_id", alice_.user_id},
                                         {"text", ""},
                                         {"sent_at", first["sent_at"]},
                                         {"deleted", true}}));
  EXPECT_EQ(history[m2]["reply_to"], m1);

  // Bob's sync: every change once, each carrying the message as it is now.
  std::vector<nlohmann::json> events = SyncUntil(bob_, since, [](const auto& events) {
    return std::any_of(events.begin(), events.end(),
                       [](const auto& e) { return e["type"] == "deleted"; });
  });
  std::map<std::string, int> types;
  std::map<std::string, int> messages;  // message events by message id
  for (const auto& e : events) {
    ++types[e["type"]];
    if (e["type"] == "message") ++messages[e["message"]["message_id"]];
    EXPECT_EQ(e["conversation_id"], conversation);
    if (e["type"] != "message") {
      EXPECT_EQ(e["message"]["message_id"], m1) << e.dump();
    }
    if (e["type"] == "deleted") {
      EXPECT_EQ(e["user_id"], alice_.user_id);
      EXPECT_EQ(e["message"]["deleted"], true);
    }
  }
  // The first sync's token is the stream position of that read: a message
  // committed just before it may still lie past it (its transaction above
  // the read's horizon) and come now, once. Nothing comes twice.
  EXPECT_EQ(messages[m2], 1);
  EXPECT_LE(messages[m1], 1);
  EXPECT_EQ(types["message"], messages[m1] + messages[m2]);
  types.erase("message");
  EXPECT_EQ(types,
            (std::map<std::string, int>{{"edited", 2}, {"reaction", 5}, {"deleted", 1}}));

  // Storage: the texts are gone from `events`; the redacted PDUs stay.
  auto pool = pg::Pool::Create({.dsn = messenger_->database().dsn(), .size = 1});
  ASSERT_TRUE(pool.ok()) << pool.status();
  static constexpr pg::Query kPdus{
      "t_relations_pdus",
      "SELECT event_id, type, pdu FROM messaging.events WHERE room_id = $1 ORDER BY seq"};
  auto rows = (*pool)->Exec(kPdus, {conversation});
  ASSERT_TRUE(rows.ok()) << rows.status();
  int edits = 0;
  bool original_kept = false;
  for (int i = 0; i < rows->rows(); ++i) {
    const std::string pdu = rows->GetString(i, 2);
    for (const char* text : {"original secret", "edited secret", "final text"}) {
      EXPECT_EQ(pdu.find(text), std::string::npos) << text << " still stored: " << pdu;
    }
    const nlohmann::json event = nlohmann::json::parse(pdu);
    if (rows->GetString(i, 0) == m1) {
      original_kept = true;
      EXPECT_EQ(event["content"], nlohmann::json::object());
      EXPECT_TRUE(event.contains("hashes") && event.contains("signatures")) << pdu;
    }
    if (event["type"] == "m.room.message" && event["content"].empty() &&
        rows->GetString(i, 0) != m1) {
      ++edits;  // a redacted edit
    }
  }
  EXPECT_TRUE(original_kept);
  EXPECT_EQ(edits, 2);

  auto by_type = ExpectExactlyOnce(*messenger_,
                                   {{"user.created", 3},
                                    {"user.email_verified", 3},
                                    {"session.created", 3},
                                    {"friendship.created", 1},
                                    {"friendship.accepted", 1},
                                    {"message.sent", 2},
                                    {"message.edited", 2},
                                    {"message.deleted", 1}},
                                   start_);
  ASSERT_EQ(by_type["message.deleted"].size(), 1u);
  const nlohmann::json deleted = by_type["message.deleted"][0].Data();
  EXPECT_EQ(deleted["message_id"], m1);
  EXPECT_EQ(deleted["sender_id"], alice_.user_id);
  EXPECT_EQ(deleted["deleted_by"], alice_.user_id);
  EXPECT_EQ(deleted["recipients"], nlohmann::json::array({bob_.user_id}));
  for (const bus::Event& e : by_type["message.edited"]) {
    EXPECT_EQ(e.Data()["message_id"], m1);
    EXPECT_EQ(e.data.find("final"), std::string::npos) << "no text on the bus";
  }
}

TEST_F(RelationsE2eTest, RefusalsAnswerTheRightErrors) {
  Befriend(alice_, bob_);
  Befriend(alice_, carol_);
  const nlohmann::json direct = Say(alice_, {{"to", bob_.user_id}}, "to bob");
  const std::string m1 = direct["message_id"];
  const std::string other_room = Say(alice_, {{"to", carol_.user_id}}, "to carol")["message_id"];
  const std::string path = "/v1/messages/" + m1;
  const nlohmann::json text = {{"text", "changed"}};

  ExpectError(Call("PATCH", path, bob_, text), 403, "PERMISSION_DENIED", "own");
  ExpectError(Call("PATCH", path, carol_, text), 403, "PERMISSION_DENIED", "member");
  ExpectError(Call("POST", path + "/reactions/ok", carol_), 403, "PERMISSION_DENIED", "member");
  ExpectError(Call("DELETE", path, bob_), 403, "PERMISSION_DENIED");  // a peer is no admin
  const std::string unknown = "/v1/messages/$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  ExpectError(Call("PATCH", unknown, alice_, text), 404, "NOT_FOUND");
  ExpectError(Call("DELETE", unknown, alice_), 404, "NOT_FOUND");
  ExpectError(Call("POST", unknown + "/reactions/ok", alice_), 404, "NOT_FOUND");
  ExpectError(Call("PATCH", "/v1/messages/not-an-id", alice_, text), 400, "INVALID_ARGUMENT",
              "message_id");
  ExpectError(Call("DELETE", "/v1/messages/not-an-id/reactions/ok", alice_), 400,
              "INVALID_ARGUMENT", "message_id");
  ExpectError(Call("PATCH", path, alice_, nlohmann::json{{"text", ""}}), 400, "INVALID_ARGUMENT");
  ExpectError(Call("POST", "/v1/messages", bob_,
                   nlohmann::json{{"conversation_id", direct["conversation_id"]},
                                  {"text", "re"},
                                  {"client_msg_id", "r1"},
                                  {"reply_to", "x"}}),
              400, "INVALID_ARGUMENT", "reply_to");
  ExpectError(Call("POST", "/v1/messages", bob_,
                   nlohmann::json{{"conversation_id", direct["conversation_id"]},
                                  {"text", "re"},
                                  {"client_msg_id", "r2"},
                                  {"reply_to", other_room}}),
              400, "INVALID_ARGUMENT", "reply_to");
  ExpectError(Call("POST", path + "/reactions/" + std::string(65, 'k'), bob_), 400,
              "INVALID_ARGUMENT");

  ASSERT_EQ(Call("POST", path + "/reactions/ok", bob_).status, 204);
  ExpectError(Call("POST", path + "/reactions/ok", bob_), 409, "ALREADY_EXISTS");
  ExpectError(Call("DELETE", path + "/reactions/no", bob_), 404, "NOT_FOUND");

  ASSERT_EQ(Call("DELETE", path, alice_).status, 204);
  ExpectError(Call("DELETE", path, alice_), 409, "ALREADY_EXISTS", "deleted");
  ExpectError(Call("PATCH", path, alice_, text), 409, "ALREADY_EXISTS", "deleted");
  ExpectError(Call("POST", path + "/reactions/new", bob_), 409, "ALREADY_EXISTS", "deleted");

  // In a group the creator (power 100) deletes anyone's message; a member
  // (power 0) only their own.
  Reply group = Call("POST", "/v1/conversations", alice_,
                     nlohmann::json{{"name", "g"}, {"member_ids", {bob_.user_id, carol_.user_id}}});
  ASSERT_EQ(group.status, 201) << group.raw;
  const nlohmann::json in_group = {{"conversation_id", group.body["conversation_id"]}};
  const std::string bobs = Say(bob_, in_group, "bob's")["message_id"];
  const std::string alices = Say(alice_, in_group, "alice's")["message_id"];
  ExpectError(Call("DELETE", "/v1/messages/" + alices, bob_), 403, "PERMISSION_DENIED");
  EXPECT_EQ(Call("DELETE", "/v1/messages/" + bobs, alice_).status, 204);
}

}  // namespace
}  // namespace messenger::e2e
