// Typing notices and per-message receipts end to end over HTTP (the
// all-in-one binary): PUT /v1/conversations/{id}/typing shows up in the
// other members' /v1/sync and stops on false or after its timeout; GET
// /v1/conversations/{id}/messages/{message_id}/receipts lists who has seen.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "common/pg/pg.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

class TypingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = MessengerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
    client_->set_read_timeout(40, 0);
    alice_ = CreateUser(*messenger_, *client_, "alice");
    bob_ = CreateUser(*messenger_, *client_, "bob");
    carol_ = CreateUser(*messenger_, *client_, "carol");
    dave_ = CreateUser(*messenger_, *client_, "dave");
    for (const TestUser* friend_of_alice : {&bob_, &carol_}) {
      ASSERT_TRUE(testing::WaitUntil(
          [&] {
            const int status = Call("POST", "/v1/contacts/requests", alice_,
                                    nlohmann::json{{"user_id", friend_of_alice->user_id}})
                                   .status;
            return status == 201 || status == 200;
          },
          absl::Seconds(10)));
      ASSERT_EQ(
          Call("POST", "/v1/contacts/requests/" + alice_.user_id + "/accept", *friend_of_alice)
              .status,
          200);
    }
    Reply group =
        Call("POST", "/v1/conversations", alice_,
             nlohmann::json{{"name", "team"}, {"member_ids", {bob_.user_id, carol_.user_id}}});
    ASSERT_EQ(group.status, 201) << group.raw;
    room_ = group.body["conversation_id"];
  }

  Reply Call(const std::string& method, const std::string& path, const TestUser& as,
             const std::optional<nlohmann::json>& body = std::nullopt) {
    return Send(*client_, method, path, body, as.access_token);
  }
  Reply Typing(const TestUser& as, const nlohmann::json& body, const std::string& room = "") {
    return Call("PUT", "/v1/conversations/" + (room.empty() ? room_ : room) + "/typing", as, body);
  }
  // A token past the setup's own notices (contact request and acceptance,
  // the new group).
  std::string Token(const TestUser& user) {
    return SyncTokenAfter(*client_, user.access_token,
                          {"contact_request", "contact_accepted", "conversation"});
  }
  // Long polls from `*since` until a typing event of the room comes (or
  // `within` passes); its user_ids, nullopt when none came.
  std::optional<std::vector<std::string>> NextTyping(const TestUser& user, std::string* since,
                                                     absl::Duration within) {
    const absl::Time deadline = absl::Now() + within;
    while (absl::Now() < deadline) {
      const int64_t wait_ms =
          std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
      Reply r = Call("GET",
                     "/v1/sync?since=" + *since +
                         "&timeout_ms=" + std::to_string(std::min<int64_t>(wait_ms, 30'000)),
                     user);
      EXPECT_EQ(r.status, 200) << r.raw;
      if (r.status != 200) return std::nullopt;
      *since = r.body.value("next", *since);
      for (const auto& e : r.body["events"]) {
        if (e["type"] == "typing" && e["conversation_id"] == room_) {
          return e["user_ids"].get<std::vector<std::string>>();
        }
      }
    }
    return std::nullopt;
  }
  static void ExpectError(const Reply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.raw;
    EXPECT_EQ(r.body.value("/error/code"_json_pointer, ""), code) << r.raw;
  }

  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
  TestUser alice_, bob_, carol_, dave_;
  std::string room_;
};

using Users = std::vector<std::string>;

TEST_F(TypingE2eTest, TypingReachesTheOtherMembersAndStopsOnFalse) {
  std::string bob_since = Token(bob_);
  std::string carol_since = Token(carol_);
  ASSERT_EQ(Typing(alice_, {{"typing", true}, {"timeout_ms", 30000}}).status, 204);
  EXPECT_EQ(NextTyping(bob_, &bob_since, absl::Seconds(10)), Users{alice_.user_id});
  EXPECT_EQ(NextTyping(carol_, &carol_since, absl::Seconds(10)), Users{alice_.user_id});
  // Bob types too: Carol sees both (sorted), Bob sees only Alice.
  ASSERT_EQ(Typing(bob_, {{"typing", true}}).status, 204);
  Users both = {alice_.user_id, bob_.user_id};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(NextTyping(carol_, &carol_since, absl::Seconds(10)), both);
  // Stopping: the others learn it at once (a parked poll wakes up).
  ASSERT_EQ(Typing(alice_, {{"typing", false}}).status, 204);
  EXPECT_EQ(NextTyping(carol_, &carol_since, absl::Seconds(10)), Users{bob_.user_id});
  ASSERT_EQ(Typing(bob_, {{"typing", false}}).status, 204);
  EXPECT_EQ(NextTyping(carol_, &carol_since, absl::Seconds(10)), Users{});
  // Seen once: nothing more comes from the same token.
  const absl::Time before = absl::Now();
  Reply quiet = Call("GET", "/v1/sync?since=" + carol_since + "&timeout_ms=1000", carol_);
  ASSERT_EQ(quiet.status, 200) << quiet.raw;
  EXPECT_TRUE(quiet.body["events"].empty()) << quiet.raw;
  EXPECT_GE(absl::Now() - before, absl::Milliseconds(900));
  // Typing is not a message: history stays empty.
  Reply history = Call("GET", "/v1/conversations/" + room_ + "/messages", carol_);
  ASSERT_EQ(history.status, 200);
  EXPECT_TRUE(history.body["messages"].empty()) << history.raw;
}

TEST_F(TypingE2eTest, TypingStopsByItselfAfterItsTimeout) {
  std::string bob_since = Token(bob_);
  const absl::Time started = absl::Now();
  ASSERT_EQ(Typing(alice_, {{"typing", true}, {"timeout_ms", 1500}}).status, 204);
  EXPECT_EQ(NextTyping(bob_, &bob_since, absl::Seconds(10)), Users{alice_.user_id});
  // Bob's next poll parks and wakes up when the typing runs out.
  EXPECT_EQ(NextTyping(bob_, &bob_since, absl::Seconds(20)), Users{});
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(1400));
}

TEST_F(TypingE2eTest, TypingIsForMembersOnly) {
  ExpectError(Typing(dave_, {{"typing", true}}), 403, "PERMISSION_DENIED");
  ExpectError(Typing(alice_, {{"typing", true}}, "!nope:localhost"), 404, "NOT_FOUND");
  // A member who left (the membership row as a leave writes it) is refused too.
  auto pool = pg::Pool::Create({.dsn = messenger_->database().dsn(), .size = 1});
  ASSERT_TRUE(pool.ok()) << pool.status();
  static constexpr pg::Query kLeave{
      "t_leave",
      "UPDATE messaging.memberships SET membership = 'leave' WHERE room_id = $1 AND user_id = $2"};
  auto left = (*pool)->Exec(kLeave, {room_, carol_.user_id});
  ASSERT_TRUE(left.ok()) << left.status();
  ExpectError(Typing(carol_, {{"typing", true}}), 403, "PERMISSION_DENIED");
  EXPECT_EQ(Typing(bob_, {{"typing", true}}).status, 204);
}

TEST_F(TypingE2eTest, BadTypingBodiesAre400) {
  for (const std::string body :
       {"{", "[]", "{}", R"({"typing": "yes"})", R"({"typing": true, "timeout_ms": 0})",
        R"({"typing": true, "timeout_ms": 30001})", R"({"typing": true, "timeout_ms": "5"})",
        R"({"typing": true, "timeout_ms": -1})", R"({"typing": false, "timeout_ms": 99999999})"}) {
    Reply r = SendRaw(*client_, "PUT", "/v1/conversations/" + room_ + "/typing", body,
                      alice_.access_token);
    ExpectError(r, 400, "INVALID_ARGUMENT");
  }
  EXPECT_EQ(
      SendRaw(*client_, "PUT", "/v1/conversations/" + room_ + "/typing", R"({"typing": true})", "")
          .status,
      401);
}

TEST_F(TypingE2eTest, ReceiptsListWhoHasSeenEachMessage) {
  std::vector<std::pair<std::string, int64_t>> sent;  // message id, seq
  for (int i = 0; i < 3; ++i) {
    Reply r = Call("POST", "/v1/messages", alice_,
                   nlohmann::json{{"conversation_id", room_},
                                  {"text", "m" + std::to_string(i)},
                                  {"client_msg_id", "c" + std::to_string(i)}});
    ASSERT_EQ(r.status, 201) << r.raw;
    sent.emplace_back(r.body["message_id"], r.body["seq"]);
  }
  auto seen = [&](const TestUser& who, int64_t seq) {
    ASSERT_EQ(
        Call("POST", "/v1/conversations/" + room_ + "/seen", who, nlohmann::json{{"seq", seq}})
            .status,
        204);
  };
  seen(bob_, sent[2].second);    // Bob has seen everything
  seen(carol_, sent[0].second);  // Carol only the first
  auto receipts = [&](const std::string& message_id, const TestUser& as) {
    return Call("GET", "/v1/conversations/" + room_ + "/messages/" + message_id + "/receipts", as);
  };
  auto readers = [&](const std::string& message_id) {
    Reply r = receipts(message_id, alice_);
    EXPECT_EQ(r.status, 200) << r.raw;
    Users out;
    for (const auto& receipt : r.body["receipts"]) {
      out.push_back(receipt["user_id"]);
      EXPECT_TRUE(receipt["seen_at"].is_string()) << r.raw;
      EXPECT_GE(receipt["seq"].get<int64_t>(), 1) << r.raw;
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  Users bob_and_carol = {bob_.user_id, carol_.user_id};
  std::sort(bob_and_carol.begin(), bob_and_carol.end());
  EXPECT_EQ(readers(sent[0].first), bob_and_carol);
  EXPECT_EQ(readers(sent[1].first), Users{bob_.user_id});
  EXPECT_EQ(readers(sent[2].first), Users{bob_.user_id});
  // Any member may ask (Carol too); others may not; unknown ids are 404.
  EXPECT_EQ(receipts(sent[1].first, carol_).status, 200);
  ExpectError(receipts(sent[0].first, dave_), 403, "PERMISSION_DENIED");
  ExpectError(receipts("$nosuchmessage", alice_), 404, "NOT_FOUND");
  ExpectError(receipts("not-an-event-id", alice_), 400, "INVALID_ARGUMENT");  // names message_id
  ExpectError(
      Call("GET", "/v1/conversations/!nope:localhost/messages/" + sent[0].first + "/receipts",
           alice_),
      404, "NOT_FOUND");
}

}  // namespace
}  // namespace messenger::e2e
