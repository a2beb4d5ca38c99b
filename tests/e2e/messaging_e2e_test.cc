// Conversations, messages, read markers and sync end to end over HTTP.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"
#include "tests/e2e/metrics_scrape.h"

namespace messenger::e2e {
namespace {

constexpr char kPollsWaiting[] = "gateway_sync_polls_waiting";

class MessagingE2eTest : public ::testing::Test {
 protected:
  virtual std::map<std::string, std::string> Env() {
    return {{"MESSENGER_SEND_RATE_PER_S", "100000"}, {"MESSENGER_SEND_BURST", "100000"}};
  }
  void SetUp() override {
    start_ = absl::Now() - absl::Seconds(1);  // event times are in milliseconds
    auto started = MessengerProcess::Start(Env());
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = std::move(*started);
    client_ = messenger_->Client();
    alice_ = CreateUser(*messenger_, *client_, "alice");
    bob_ = CreateUser(*messenger_, *client_, "bob");
    carol_ = CreateUser(*messenger_, *client_, "carol");
  }

  Reply Get(const std::string& path, const TestUser& as) {
    return Send(*client_, "GET", path, std::nullopt, as.access_token);
  }
  Reply Post(const std::string& path, const TestUser& as, const nlohmann::json& body) {
    return Send(*client_, "POST", path, body, as.access_token);
  }
  // Makes two users friends (waits for the contact service to know them).
  void Befriend(const TestUser& a, const TestUser& b) {
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          int status = Post("/v1/contacts/requests", a, {{"user_id", b.user_id}}).status;
          return status == 201 || status == 200;
        },
        absl::Seconds(5)));
    ASSERT_EQ(Send(*client_, "POST", "/v1/contacts/requests/" + a.user_id + "/accept",
                   std::nullopt, b.access_token).status, 200);
  }
  Reply Message(const TestUser& from, const nlohmann::json& target, const std::string& text,
                const std::string& cmid) {
    nlohmann::json body = target;
    body["text"] = text;
    body["client_msg_id"] = cmid;
    return Post("/v1/messages", from, body);
  }
  std::string SyncToken(const TestUser& user) {
    Reply r = Get("/v1/sync", user);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body.value("next", "");
  }
  // Messages of the conversation's first history page (0 when unreadable).
  size_t HistorySize(const std::string& conversation, const TestUser& as) {
    Reply history = Get("/v1/conversations/" + conversation + "/messages", as);
    EXPECT_EQ(history.status, 200) << history.raw;
    return history.status == 200 ? history.body["messages"].size() : 0;
  }
  nlohmann::json FindConversation(const TestUser& user, const std::string& id) {
    Reply list = Get("/v1/conversations", user);
    for (const auto& c : list.body["conversations"]) {
      if (c["conversation_id"] == id) return c;
    }
    return nullptr;
  }
  // Each reply is 403 PERMISSION_DENIED (`when`: for the failure message).
  static void ExpectDenied(std::initializer_list<Reply> replies, const char* when) {
    for (const Reply& r : replies) {
      EXPECT_EQ(r.status, 403) << when << ": " << r.raw;
      EXPECT_EQ(r.body.value("/error/code"_json_pointer, ""), "PERMISSION_DENIED") << when;
    }
  }
  // Long polls parked at the gateway (-1 when the metric cannot be read).
  double PollsWaiting() {
    auto client = messenger_->Client();
    return ScrapeMetric(*client, kPollsWaiting).value_or(-1);
  }

  absl::Time start_;
  std::unique_ptr<MessengerProcess> messenger_;
  std::unique_ptr<httplib::Client> client_;
  TestUser alice_, bob_, carol_;
};

TEST_F(MessagingE2eTest, OnlyFriendsMayWriteAndThenBothWays) {
  Reply stranger = Message(alice_, {{"to", bob_.user_id}}, "hi", "c1");
  EXPECT_EQ(stranger.status, 403) << stranger.raw;
  EXPECT_EQ(stranger.body["error"]["code"], "PERMISSION_DENIED");
  Befriend(alice_, bob_);
  Reply first = Message(alice_, {{"to", bob_.user_id}}, "hi bob", "c2");
  ASSERT_EQ(first.status, 201) << first.raw;
  for (const char* key : {"message_id", "conversation_id", "seq", "sent_at"}) {
    EXPECT_TRUE(first.body.contains(key)) << key;
  }
  const std::string conversation = first.body["conversation_id"];
  EXPECT_EQ(first.body["message_id"].get<std::string>().front(), '$');
  Reply reply = Message(bob_, {{"conversation_id", conversation}}, "hi alice", "c1");
  ASSERT_EQ(reply.status, 201) << reply.raw;
  EXPECT_EQ(reply.body["conversation_id"], conversation);
  EXPECT_EQ(reply.body["seq"].get<int64_t>(), first.body["seq"].get<int64_t>() + 1);
  Reply to_direct = Message(bob_, {{"to", alice_.user_id}}, "same room", "c3");
  EXPECT_EQ(to_direct.body["conversation_id"], conversation);
}

TEST_F(MessagingE2eTest, RetryWithTheSameClientMsgIdIsNotADuplicate) {
  Befriend(alice_, bob_);
  Reply first = Message(alice_, {{"to", bob_.user_id}}, "once", "same");
  ASSERT_EQ(first.status, 201);
  Reply retry = Message(alice_, {{"to", bob_.user_id}}, "once", "same");
  EXPECT_EQ(retry.status, 200) << retry.raw;
  EXPECT_EQ(retry.body, first.body);
  Reply history = Get("/v1/conversations/" + first.body["conversation_id"].get<std::string>() +
                          "/messages",
                      bob_);
  ASSERT_EQ(history.status, 200) << history.raw;
  EXPECT_EQ(history.body["messages"].size(), 1u);
}

TEST_F(MessagingE2eTest, HistoryPaginatesAcross250Messages) {
  Befriend(alice_, bob_);
  std::string conversation;
  for (int i = 0; i < 250; ++i) {
    Reply r = Message(i % 2 ? bob_ : alice_, {{"to", (i % 2 ? alice_ : bob_).user_id}},
                      "m" + std::to_string(i), "p" + std::to_string(i));
    ASSERT_EQ(r.status, 201) << r.raw;
    conversation = r.body["conversation_id"];
  }
  // The conversation id is a room id: send it percent-encoded, as clients do.
  std::string encoded;
  for (char ch : conversation) {
    if (ch == '!') encoded += "%21";
    else if (ch == ':') encoded += "%3A";
    else encoded += ch;
  }
  std::vector<std::string> texts;
  std::string path = "/v1/conversations/" + encoded + "/messages?limit=100";
  int pages = 0;
  while (true) {
    Reply page = Get(path, alice_);
    ASSERT_EQ(page.status, 200) << page.raw;
    ++pages;
    int64_t previous = INT64_MAX;
    for (const auto& m : page.body["messages"]) {
      EXPECT_LT(m["seq"].get<int64_t>(), previous);  // newest first
      previous = m["seq"];
      texts.push_back(m["text"]);
    }
    if (!page.body.contains("next_before_seq")) break;
    path = "/v1/conversations/" + encoded + "/messages?limit=100&before_seq=" +
           std::to_string(page.body["next_before_seq"].get<int64_t>());
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(texts.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(texts[i], "m" + std::to_string(249 - i));
  EXPECT_EQ(Get("/v1/conversations/" + encoded + "/messages?limit=101", alice_).status, 400);
  EXPECT_EQ(Get("/v1/conversations/" + encoded + "/messages?before_seq=x", alice_).status, 400);
  EXPECT_EQ(Get("/v1/conversations/" + encoded + "/messages", carol_).status, 403);
}

// Sends racing into one room take the in-memory path and its per-room queue:
// every one is kept once, seqs have no gaps, each sender's order holds, and
// the peer's sync delivers each message once.
TEST_F(MessagingE2eTest, ConcurrentSendsIntoOneRoomKeepEveryMessageInOrder) {
  Befriend(alice_, bob_);
  Reply first = Message(alice_, {{"to", bob_.user_id}}, "first", "c-first");
  ASSERT_EQ(first.status, 201) << first.raw;
  const std::string conversation = first.body["conversation_id"];
  const std::string first_id = first.body["message_id"];
  const std::string since = SyncToken(bob_);
  constexpr int kThreads = 8, kEach = 30;
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      auto client = messenger_->Client();
      const TestUser& from = t % 2 ? bob_ : alice_;
      for (int i = 0; i < kEach; ++i) {
        nlohmann::json body = {{"conversation_id", conversation},
                               {"text", "t" + std::to_string(t) + "-" + std::to_string(i)},
                               {"client_msg_id", "c" + std::to_string(t) + "-" + std::to_string(i)}};
        if (Send(*client, "POST", "/v1/messages", body, from.access_token).status != 201) ++failures;
      }
    });
  }
  for (auto& s : senders) s.join();
  ASSERT_EQ(failures.load(), 0);
  // The room and the friendship were known: sends went the in-memory way.
  Reply metrics = Send(*client_, "GET", "/metrics", std::nullopt);
  EXPECT_NE(metrics.raw.find("messaging_send_path_total{path=\"queued\"}"), std::string::npos);
  EXPECT_EQ(metrics.raw.find("messaging_send_path_total{path=\"queued\"} 0\n"), std::string::npos);

  std::vector<std::pair<int64_t, std::string>> kept;  // seq, text
  std::string path = "/v1/conversations/" + conversation + "/messages?limit=100";
  while (true) {
    Reply page = Get(path, alice_);
    ASSERT_EQ(page.status, 200) << page.raw;
    for (const auto& m : page.body["messages"]) kept.emplace_back(m["seq"], m["text"]);
    if (!page.body.contains("next_before_seq")) break;
    path = "/v1/conversations/" + conversation + "/messages?limit=100&before_seq=" +
           std::to_string(page.body["next_before_seq"].get<int64_t>());
  }
  ASSERT_EQ(kept.size(), 1u + kThreads * kEach);
  std::sort(kept.begin(), kept.end());
  std::map<int, int> next_of_thread;
  for (size_t i = 1; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].first, kept[i - 1].first + 1) << "gap before seq " << kept[i].first;
    int t = 0, n = 0;
    ASSERT_EQ(std::sscanf(kept[i].second.c_str(), "t%d-%d", &t, &n), 2) << kept[i].second;
    EXPECT_EQ(n, next_of_thread[t]++) << "thread " << t << " out of order";
  }

  std::set<std::string> delivered;
  std::string token = since;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        Reply r = Get("/v1/sync?since=" + token, bob_);
        if (r.status != 200) return false;
        token = r.body.value("next", token);
        for (const auto& e : r.body["events"]) {
          if (e.value("type", "") != "message") continue;
          EXPECT_TRUE(delivered.insert(e["message"]["message_id"].get<std::string>()).second)
              << "delivered twice";
        }
        // "first" was committed just before the token was read, so it may
        // still lie past the token (above that read's horizon): once at most.
        return delivered.size() - delivered.count(first_id) ==
               static_cast<size_t>(kThreads * kEach);
      },
      absl::Seconds(10)))
      << delivered.size() << " delivered";
}

TEST_F(MessagingE2eTest, UnreadCountsDropWhenSeenAndEventsArePublishedOnce) {
  Befriend(alice_, bob_);
  std::string conversation;
  int64_t last_seq = 0;
  std::set<std::string> sent_ids;  // message id, seq, sent_at as message.sent carries them
  for (int i = 0; i < 3; ++i) {
    Reply r = Message(alice_, {{"to", bob_.user_id}}, "unread " + std::to_string(i), "u" + std::to_string(i));
    ASSERT_EQ(r.status, 201);
    conversation = r.body["conversation_id"];
    last_seq = r.body["seq"];
    sent_ids.insert(r.body["message_id"].get<std::string>() + " " + std::to_string(last_seq) + " " +
                    r.body["sent_at"].get<std::string>());
  }
  nlohmann::json listed = FindConversation(bob_, conversation);
  ASSERT_FALSE(listed.is_null());
  EXPECT_EQ(listed["type"], "direct");
  EXPECT_EQ(listed["peer_user_id"], alice_.user_id);
  EXPECT_EQ(listed["unread_count"], 3);
  EXPECT_EQ(listed["last_message"]["text"], "unread 2");
  const absl::Time seen_after = absl::Now() - absl::Milliseconds(1);
  Reply seen = Post("/v1/conversations/" + conversation + "/seen", bob_, {{"seq", last_seq}});
  const absl::Time seen_before = absl::Now() + absl::Milliseconds(1);
  EXPECT_EQ(seen.status, 204) << seen.raw;
  EXPECT_EQ(FindConversation(bob_, conversation)["unread_count"], 0);
  EXPECT_EQ(Post("/v1/conversations/" + conversation + "/seen", bob_, {{"seq", "x"}}).status, 400);
  EXPECT_EQ(Post("/v1/conversations/" + conversation + "/seen", carol_, {{"seq", 1}}).status, 403);

  auto by_type = ExpectExactlyOnce(*messenger_,
                                   {{"user.created", 3},
                                    {"user.email_verified", 3},
                                    {"session.created", 3},
                                    {"friendship.created", 1},
                                    {"friendship.accepted", 1},
                                    {"message.sent", 3},
                                    {"message.seen", 1}},
                                   start_);
  std::set<std::string> message_ids;
  for (const bus::Event& e : by_type["message.sent"]) {
    const nlohmann::json data = e.Data();
    EXPECT_EQ(data["conversation_id"], conversation);
    EXPECT_EQ(data["sender_id"], alice_.user_id);
    EXPECT_EQ(data["recipients"], nlohmann::json::array({bob_.user_id}));
    EXPECT_EQ(e.data.find("unread"), std::string::npos);  // no content
    message_ids.insert(data["message_id"].get<std::string>() + " " +
                       data["seq"].get<std::string>() + " " + data["sent_at"].get<std::string>());
  }
  EXPECT_EQ(message_ids, sent_ids);
  ASSERT_EQ(by_type["message.seen"].size(), 1u);
  const nlohmann::json seen_data = by_type["message.seen"][0].Data();
  EXPECT_EQ(seen_data["user_id"], bob_.user_id);
  EXPECT_EQ(seen_data["conversation_id"], conversation);
  EXPECT_EQ(seen_data["seq"], std::to_string(last_seq));  // int64 in the protobuf JSON mapping
  EXPECT_GE(JsonTime(seen_data["seen_at"]), seen_after);
  EXPECT_LE(JsonTime(seen_data["seen_at"]), seen_before);
}

TEST_F(MessagingE2eTest, LongPollReturnsTheMessageAtOnce) {
  Befriend(alice_, bob_);
  ASSERT_EQ(Message(alice_, {{"to", bob_.user_id}}, "warm up", "w").status, 201);
  const std::string since = SyncToken(bob_);
  // Other news (contact notices still arriving from the friendship events) may
  // end a poll first: keep polling until the message comes.
  std::atomic<bool> found{false};
  absl::Time returned;
  nlohmann::json message_event;
  std::string next;
  std::thread poller([&] {
    auto client = messenger_->Client();
    std::string token = since;
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!found && absl::Now() < deadline) {
      Reply r = Send(*client, "GET", "/v1/sync?timeout_ms=20000&since=" + token, std::nullopt,
                     bob_.access_token);
      if (r.status != 200) break;
      token = r.body["next"];
      for (const auto& e : r.body["events"]) {
        if (e["type"] == "message" && e["message"]["text"] == "are you there?") {
          returned = absl::Now();
          message_event = e;
          next = token;
          found = true;
        }
      }
    }
  });
  // Parked at the gateway before the send, so the send is what wakes it.
  ASSERT_TRUE(testing::WaitUntil([&] { return PollsWaiting() >= 1; }, absl::Seconds(30),
                                 absl::Milliseconds(10)));
  const absl::Time sent_at = absl::Now();
  Reply sent = Message(alice_, {{"to", bob_.user_id}}, "are you there?", "lp");
  ASSERT_EQ(sent.status, 201);
  poller.join();
  ASSERT_TRUE(found.load());
  const absl::Duration latency = returned - sent_at;
  std::cout << "send -> sync delivery latency: " << absl::ToDoubleMilliseconds(latency) << " ms\n";
  EXPECT_LT(latency, absl::Seconds(2));
  EXPECT_EQ(message_event["conversation_id"], sent.body["conversation_id"]);
  EXPECT_EQ(message_event["message"]["sender_id"], alice_.user_id);
  // After `next`, the message does not come again.
  Reply after = Get("/v1/sync?timeout_ms=0&since=" + next, bob_);
  ASSERT_EQ(after.status, 200);
  for (const auto& e : after.body["events"]) EXPECT_NE(e["type"], "message") << after.raw;
  EXPECT_EQ(Get("/v1/sync?since=garbage", bob_).status, 400);
  EXPECT_EQ(Get("/v1/sync?since=" + since + "&timeout_ms=30001", bob_).status, 400);
}

// 300 polls of one user may all wait at the gateway.
class ParkedPollsE2eTest : public MessagingE2eTest {
 protected:
  std::map<std::string, std::string> Env() override {
    auto env = MessagingE2eTest::Env();
    env["MESSENGER_SYNC_POLLS_PER_USER"] = "300";
    return env;
  }
};

// 300 polls are parked (the gateway's gauge says so, and none answered before
// the news), other requests are served meanwhile, and one piece of news
// answers every poll with it.
TEST_F(ParkedPollsE2eTest, WaitingPollsDoNotSlowOtherRequests) {
  // The contact service knows the users (user.created is consumed in order:
  // carol is the last one), so that Bob's request below is accepted.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Post("/v1/contacts/requests", carol_, {{"user_id", bob_.user_id}}).status == 201;
      },
      absl::Seconds(10)));
  const std::string since = SyncToken(alice_);
  constexpr int kWaiting = 300;
  std::vector<std::thread> pollers;
  std::atomic<bool> news_sent{false};
  std::atomic<int> early{0}, with_news{0};
  for (int i = 0; i < kWaiting; ++i) {
    pollers.emplace_back([&] {
      httplib::Client c("127.0.0.1", messenger_->http_port());
      c.set_read_timeout(45, 0);
      auto res = c.Get("/v1/sync?timeout_ms=30000&since=" + since,
                       {{"Authorization", "Bearer " + alice_.access_token}});
      if (!news_sent) ++early;
      if (!res || res->status != 200) return;
      auto body = nlohmann::json::parse(res->body, nullptr, false);
      for (const auto& e : body.value("events", nlohmann::json::array())) {
        if (e.value("type", "") == "contact_request" && e.value("user_id", "") == bob_.user_id) {
          ++with_news;
          break;
        }
      }
    });
  }
  // Every poll is parked (not answered, not refused) before anything else.
  double waiting = 0;
  EXPECT_TRUE(
      testing::WaitUntil([&] { return (waiting = PollsWaiting()) == kWaiting || early > 0; },
                         absl::Seconds(60), absl::Milliseconds(20)))
      << waiting << " polls waiting";
  EXPECT_EQ(waiting, kWaiting);
  const absl::Time start = absl::Now();
  Reply me = Get("/v1/me", bob_);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(me.status, 200);
  std::cout << "GET /v1/me with " << kWaiting
            << " polls parked: " << absl::ToDoubleMilliseconds(took) << " ms\n";
  // A margin for a shared 2-core machine; the point is that no worker is held.
  EXPECT_LT(took, absl::Seconds(2)) << took;
  EXPECT_EQ(PollsWaiting(), kWaiting);
  EXPECT_EQ(early.load(), 0) << "polls answered before there was news";
  // News for alice: Bob asks her to be his contact.
  news_sent = true;
  EXPECT_EQ(Post("/v1/contacts/requests", bob_, {{"user_id", alice_.user_id}}).status, 201);
  for (auto& t : pollers) t.join();
  EXPECT_EQ(with_news.load(), kWaiting);
  EXPECT_EQ(PollsWaiting(), 0);
}

TEST_F(MessagingE2eTest, RemovedFriendCannotWriteButReadsAndReAddingReopens) {
  Befriend(alice_, bob_);
  Reply first = Message(alice_, {{"to", bob_.user_id}}, "before", "r1");
  ASSERT_EQ(first.status, 201);
  const std::string conversation = first.body["conversation_id"];
  ASSERT_EQ(Send(*client_, "DELETE", "/v1/contacts/" + bob_.user_id, std::nullopt,
                 alice_.access_token).status, 204);
  // Messaging learns of it from friendship.removed, within moments.
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return FindConversation(bob_, conversation)["read_only"] == true; }, absl::Seconds(5)));
  EXPECT_EQ(Message(bob_, {{"conversation_id", conversation}}, "hello?", "r2").status, 403);
  EXPECT_EQ(Message(alice_, {{"to", bob_.user_id}}, "hello?", "r3").status, 403);
  Reply history = Get("/v1/conversations/" + conversation + "/messages", bob_);
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(history.body["messages"][0]["text"], "before");
  Befriend(bob_, alice_);
  Reply again = Message(bob_, {{"to", alice_.user_id}}, "after", "r4");
  ASSERT_EQ(again.status, 201) << again.raw;
  EXPECT_EQ(again.body["conversation_id"], conversation);
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return FindConversation(alice_, conversation)["read_only"] == false; }, absl::Seconds(5)));
}

// api.md: messages need friends (403 otherwise) and a block ends the
// friendship either way; the direct room stays readable, read-only for both.
TEST_F(MessagingE2eTest, BlockMakesTheDirectRoomReadOnlyForBoth) {
  Befriend(alice_, bob_);
  Reply first = Message(alice_, {{"to", bob_.user_id}}, "hello bob", "b1");
  ASSERT_EQ(first.status, 201) << first.raw;
  const std::string room = first.body["conversation_id"];
  ASSERT_EQ(Message(bob_, {{"conversation_id", room}}, "hello alice", "b2").status, 201);
  ASSERT_EQ(Send(*client_, "POST", "/v1/contacts/" + bob_.user_id + "/block", std::nullopt,
                 alice_.access_token)
                .status,
            204);
  auto refused = [&](const char* when) {
    ExpectDenied({Message(bob_, {{"conversation_id", room}}, "why?", "b3"),
                  Message(bob_, {{"to", alice_.user_id}}, "why?", "b4"),
                  Message(alice_, {{"conversation_id", room}}, "bye", "b5"),
                  Message(alice_, {{"to", bob_.user_id}}, "bye", "b6")},
                 when);
  };
  refused("at once");
  // Messaging hears of it (friendship.removed): the room turns read-only for both.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return FindConversation(alice_, room)["read_only"] == true &&
               FindConversation(bob_, room)["read_only"] == true;
      },
      absl::Seconds(30)));
  refused("once read-only");
  for (const TestUser* u : {&alice_, &bob_}) {
    Reply history = Get("/v1/conversations/" + room + "/messages", *u);
    ASSERT_EQ(history.status, 200) << history.raw;
    ASSERT_EQ(history.body["messages"].size(), 2u) << history.raw;
    EXPECT_EQ(history.body["messages"][0]["text"], "hello alice");
    EXPECT_EQ(history.body["messages"][1]["text"], "hello bob");
  }
  // Blocked either way: no new contact request, so no way back to writing.
  EXPECT_EQ(Post("/v1/contacts/requests", bob_, {{"user_id", alice_.user_id}}).status, 403);
}

TEST_F(MessagingE2eTest, ReusedClientMsgIdWithAnotherBodyIs409) {
  Befriend(alice_, bob_);
  Befriend(alice_, carol_);
  Reply first = Message(alice_, {{"to", bob_.user_id}}, "once", "same");
  ASSERT_EQ(first.status, 201) << first.raw;
  for (const Reply& other : {Message(alice_, {{"to", bob_.user_id}}, "other text", "same"),
                             Message(alice_, {{"to", carol_.user_id}}, "once", "same")}) {
    EXPECT_EQ(other.status, 409) << other.raw;
    EXPECT_EQ(other.body["error"]["code"], "ALREADY_EXISTS");
    EXPECT_EQ(other.body["error"]["message"],
              "client_msg_id was already used for a different message");
  }
  Reply retry = Message(alice_, {{"to", bob_.user_id}}, "once", "same");
  EXPECT_EQ(retry.status, 200) << retry.raw;
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(HistorySize(first.body["conversation_id"], bob_), 1u);
}

TEST_F(MessagingE2eTest, UnfriendAndBlockRefuseSendsBeforeMessagingHearsOfThem) {
  Befriend(alice_, bob_);
  Befriend(alice_, carol_);
  Reply ab = Message(alice_, {{"to", bob_.user_id}}, "hi bob", "n1");
  ASSERT_EQ(ab.status, 201) << ab.raw;
  Reply ac = Message(alice_, {{"to", carol_.user_id}}, "hi carol", "n2");
  ASSERT_EQ(ac.status, 201) << ac.raw;
  const std::string ab_room = ab.body["conversation_id"], ac_room = ac.body["conversation_id"];
  // With NATS down, messaging's consumer cannot see friendship.removed.
  messenger_->nats().Stop();
  ASSERT_EQ(
      Send(*client_, "DELETE", "/v1/contacts/" + bob_.user_id, std::nullopt, alice_.access_token)
          .status,
      204);
  ASSERT_EQ(Send(*client_, "POST", "/v1/contacts/" + alice_.user_id + "/block", std::nullopt,
                 carol_.access_token)
                .status,
            204);
  auto refused = [&](const char* when) {
    ExpectDenied({Message(bob_, {{"conversation_id", ab_room}}, "still there?", "n3"),
                  Message(alice_, {{"to", bob_.user_id}}, "hello?", "n4"),
                  Message(alice_, {{"to", carol_.user_id}}, "hello?", "n5"),
                  Message(carol_, {{"conversation_id", ac_room}}, "go away", "n6")},
                 when);
  };
  refused("before the events");
  // The events arrive once NATS is back: the rooms turn read-only.
  ASSERT_TRUE(messenger_->nats().Restart().ok());
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return FindConversation(bob_, ab_room)["read_only"] == true &&
               FindConversation(carol_, ac_room)["read_only"] == true;
      },
      absl::Seconds(60)));
  refused("after the events");
  EXPECT_EQ(HistorySize(ab_room, bob_), 1u);
}

TEST_F(MessagingE2eTest, GroupOfThree) {
  Befriend(alice_, bob_);
  Befriend(alice_, carol_);
  TestUser dave = CreateUser(*messenger_, *client_, "dave");
  Reply refused = Post("/v1/conversations", alice_,
                       {{"name", "team"}, {"member_ids", {bob_.user_id, dave.user_id}}});
  EXPECT_EQ(refused.status, 403) << refused.raw;
  Reply group = Post("/v1/conversations", alice_,
                     {{"name", "team"}, {"member_ids", {bob_.user_id, carol_.user_id}}});
  ASSERT_EQ(group.status, 201) << group.raw;
  EXPECT_EQ(group.body["type"], "group");
  EXPECT_EQ(group.body["name"], "team");
  const std::string id = group.body["conversation_id"];
  for (const TestUser* u : {&alice_, &bob_, &carol_}) {
    Reply r = Message(*u, {{"conversation_id", id}}, "hi from " + u->username, "g-" + u->username);
    EXPECT_EQ(r.status, 201) << r.raw;
  }
  Reply history = Get("/v1/conversations/" + id + "/messages", carol_);
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(history.body["messages"].size(), 3u);
  nlohmann::json listed = FindConversation(bob_, id);
  EXPECT_EQ(listed["type"], "group");
  EXPECT_EQ(listed["name"], "team");
  EXPECT_EQ(listed["unread_count"], 2);
  EXPECT_EQ(Get("/v1/conversations/" + id + "/messages", dave).status, 403);
  EXPECT_EQ(Message(dave, {{"conversation_id", id}}, "let me in", "d1").status, 403);
}

TEST_F(MessagingE2eTest, BadInputIs4xx) {
  Befriend(alice_, bob_);
  const std::vector<std::string> bodies = {
      "{",
      R"({"text": "x", "client_msg_id": "a"})",
      R"({"to": "BOB", "conversation_id": "!x:localhost", "text": "x", "client_msg_id": "a"})",
      R"({"to": 5, "text": "x", "client_msg_id": "a"})",
      R"({"to": "x", "text": "", "client_msg_id": "a"})",
      R"({"to": "x", "text": "x"})",
      R"({"conversation_id": "!nope:localhost", "text": "x", "client_msg_id": "a"})",
  };
  for (const auto& body : bodies) {
    Reply r = SendRaw(*client_, "POST", "/v1/messages", body, alice_.access_token);
    EXPECT_GE(r.status, 400) << body;
    EXPECT_LT(r.status, 500) << body << " -> " << r.raw;
  }
  std::string long_text(4001, 'x');
  EXPECT_EQ(Message(alice_, {{"to", bob_.user_id}}, long_text, "long").status, 400);
  EXPECT_EQ(Post("/v1/conversations", alice_, {{"name", "x"}, {"member_ids", "no"}}).status, 400);
  EXPECT_EQ(Post("/v1/conversations", alice_, {{"name", "x"}, {"member_ids", nlohmann::json::array()}}).status, 400);
}

TEST(MessagingRateLimitE2eTest, SendsPastTheBurstAre429) {
  auto started = MessengerProcess::Start({{"MESSENGER_SEND_RATE_PER_S", "1"},
                                          {"MESSENGER_SEND_BURST", "5"}});
  ASSERT_TRUE(started.ok()) << started.status();
  auto client = (*started)->Client();
  TestUser a = CreateUser(**started, *client, "ann");
  TestUser b = CreateUser(**started, *client, "ben");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Send(*client, "POST", "/v1/contacts/requests", nlohmann::json{{"user_id", b.user_id}},
                    a.access_token).status == 201;
      },
      absl::Seconds(5)));
  ASSERT_EQ(Send(*client, "POST", "/v1/contacts/requests/" + a.user_id + "/accept", std::nullopt,
                 b.access_token).status, 200);
  // The bucket refills one send a second, so a slow machine may earn extra
  // sends while the loop runs: bound by the time it took, not an exact count.
  int created = 0, limited = 0;
  const absl::Time start = absl::Now();
  for (int i = 0; i < 8; ++i) {
    Reply r = Send(*client, "POST", "/v1/messages",
                   nlohmann::json{{"to", b.user_id}, {"text", "x"}, {"client_msg_id", std::to_string(i)}},
                   a.access_token);
    if (r.status == 201) ++created;
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.body["error"]["code"], "RESOURCE_EXHAUSTED");
    }
  }
  const int64_t refilled = absl::ToInt64Seconds(absl::Now() - start) + 1;
  EXPECT_EQ(created + limited, 8);
  EXPECT_GE(created, 5);
  EXPECT_LE(created, 5 + refilled);
  if (refilled < 3) {
    EXPECT_GE(limited, 1) << "8 sends in under 3 s must pass the burst of 5";
  }
}

}  // namespace
}  // namespace messenger::e2e
