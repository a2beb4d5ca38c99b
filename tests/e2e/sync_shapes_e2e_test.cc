// Every /v1/sync event shape of api.md, over HTTP: the exact fields and their
// values, as a client receives them.
#include <gtest/gtest.h>

#include <set>

#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

std::set<std::string> Keys(const nlohmann::json& object) {
  std::set<std::string> keys;
  if (object.is_object()) {
    for (const auto& [key, value] : object.items()) keys.insert(key);
  }
  return keys;
}

class SyncShapesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = MessengerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
    alice_ = CreateUser(*messenger_, *client_, "alice");
    bob_ = CreateUser(*messenger_, *client_, "bob");
    carol_ = CreateUser(*messenger_, *client_, "carol");
    // The contact service knows the users from user.created within moments.
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          return Get("/v1/users/search?q=carol", alice_)
                     .body.value("users", nlohmann::json())
                     .size() == 1;
        },
        absl::Seconds(10)));
    for (const TestUser* u : {&alice_, &bob_, &carol_}) tokens_[u->user_id] = Token(*u);
  }

  Reply Get(const std::string& path, const TestUser& as) {
    return Send(*client_, "GET", path, std::nullopt, as.access_token);
  }
  Reply Post(const std::string& path, const TestUser& as,
             const std::optional<nlohmann::json>& body = std::nullopt) {
    return Send(*client_, "POST", path, body, as.access_token);
  }
  std::string Token(const TestUser& user) {
    Reply r = Get("/v1/sync", user);
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_TRUE(r.body.value("events", nlohmann::json()).empty()) << r.raw;
    return r.body.value("next", "");
  }
  // The next sync event of `user` with this type and the fields of `where`
  // (polling from the user's token, with a deadline); others are skipped.
  nlohmann::json Next(const TestUser& user, const std::string& type,
                      const nlohmann::json& where = nlohmann::json::object()) {
    nlohmann::json found;
    std::string& token = tokens_[user.user_id];
    const bool got = testing::WaitUntil(
        [&] {
          Reply r = Get("/v1/sync?timeout_ms=2000&since=" + token, user);
          EXPECT_EQ(r.status, 200) << r.raw;
          if (r.status != 200) return true;
          EXPECT_EQ(Keys(r.body), (std::set<std::string>{"next", "events"})) << r.raw;
          for (const auto& e : r.body["events"]) {
            bool match = e.value("type", "") == type;
            for (const auto& [key, value] : where.items())
              match = match && e.value(key, nlohmann::json()) == value;
            if (found.is_null() && match) found = e;
          }
          // Stop after the batch holding it; later ones stay for the next call.
          token = r.body.value("next", token);
          return !found.is_null();
        },
        absl::Seconds(30), absl::Milliseconds(1));
    EXPECT_TRUE(got) << user.username << " got no '" << type << "' event";
    return found;
  }

  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
  TestUser alice_, bob_, carol_;
  std::map<std::string, std::string> tokens_;  // user id -> sync token
};

TEST_F(SyncShapesE2eTest, ContactRequestAcceptedAndRemoved) {
  ASSERT_EQ(Post("/v1/contacts/requests", alice_, nlohmann::json{{"user_id", bob_.user_id}}).status,
            201);
  EXPECT_EQ(Next(bob_, "contact_request"),
            (nlohmann::json{{"type", "contact_request"}, {"user_id", alice_.user_id}}));

  ASSERT_EQ(Post("/v1/contacts/requests/" + alice_.user_id + "/accept", bob_).status, 200);
  EXPECT_EQ(Next(alice_, "contact_accepted"),
            (nlohmann::json{{"type", "contact_accepted"}, {"user_id", bob_.user_id}}));

  ASSERT_EQ(
      Send(*client_, "DELETE", "/v1/contacts/" + bob_.user_id, std::nullopt, alice_.access_token)
          .status,
      204);
  EXPECT_EQ(Next(bob_, "contact_removed"),
            (nlohmann::json{{"type", "contact_removed"}, {"user_id", alice_.user_id}}));
}

TEST_F(SyncShapesE2eTest, MessageSeenAndConversation) {
  for (const TestUser* other : {&bob_, &carol_}) {
    ASSERT_EQ(
        Post("/v1/contacts/requests", alice_, nlohmann::json{{"user_id", other->user_id}}).status,
        201);
    ASSERT_EQ(Post("/v1/contacts/requests/" + alice_.user_id + "/accept", *other).status, 200);
  }
  Reply sent =
      Post("/v1/messages", alice_,
           nlohmann::json{{"to", bob_.user_id}, {"text", "shape me"}, {"client_msg_id", "s1"}});
  ASSERT_EQ(sent.status, 201) << sent.raw;
  const std::string room = sent.body["conversation_id"];

  nlohmann::json message = Next(bob_, "message");
  EXPECT_EQ(Keys(message), (std::set<std::string>{"type", "conversation_id", "message"}));
  EXPECT_EQ(message["conversation_id"], room);
  const nlohmann::json& m = message["message"];
  EXPECT_EQ(Keys(m), (std::set<std::string>{"message_id", "seq", "sender_id", "text", "sent_at"}));
  EXPECT_EQ(m["message_id"], sent.body["message_id"]);
  EXPECT_EQ(m["seq"], sent.body["seq"]);
  EXPECT_TRUE(m["seq"].is_number_integer()) << m;
  EXPECT_EQ(m["sender_id"], alice_.user_id);
  EXPECT_EQ(m["text"], "shape me");
  EXPECT_EQ(m["sent_at"], sent.body["sent_at"]);
  EXPECT_TRUE(IsRfc3339Utc(m["sent_at"])) << m;

  ASSERT_EQ(
      Post("/v1/conversations/" + room + "/seen", bob_, nlohmann::json{{"seq", sent.body["seq"]}})
          .status,
      204);
  EXPECT_EQ(Next(alice_, "seen"), (nlohmann::json{{"type", "seen"},
                                                  {"conversation_id", room},
                                                  {"user_id", bob_.user_id},
                                                  {"seq", sent.body["seq"]}}));

  Reply group =
      Post("/v1/conversations", alice_,
           nlohmann::json{{"name", "shapes"}, {"member_ids", {bob_.user_id, carol_.user_id}}});
  ASSERT_EQ(group.status, 201) << group.raw;
  const nlohmann::json added = {{"type", "conversation"},
                                {"conversation_id", group.body["conversation_id"]}};
  EXPECT_EQ(Next(carol_, "conversation", added), added);
  EXPECT_EQ(Next(bob_, "conversation", added), added);
}

}  // namespace
}  // namespace messenger::e2e
