// GET /v1/ws end to end: tickets and first-frame authentication, resuming
// from a sync token across a dropped connection, the slow reader's close
// code, logout closing the socket, and the per-user cap.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/messenger_process.h"
#include "tests/e2e/metrics_scrape.h"
#include "tests/e2e/ws_client.h"

namespace messenger::e2e {
namespace {

constexpr absl::Duration kFrameWait = absl::Seconds(20);

class WebSocketE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = MessengerProcess::Start({{"MESSENGER_SEND_RATE_PER_S", "100000"},
                                            {"MESSENGER_SEND_BURST", "100000"},
                                            {"MESSENGER_WS_PER_USER", "2"},
                                            {"MESSENGER_WS_MAX_QUEUE_BYTES", "4096"},
                                            {"MESSENGER_WS_SEND_BUFFER_BYTES", "4096"}});
    ASSERT_TRUE(started.ok()) << started.status();
    messenger_ = started->release();
    client_ = messenger_->Client().release();
    alice_ = new TestUser(CreateUser(*messenger_, *client_, "alice"));
    bob_ = new TestUser(CreateUser(*messenger_, *client_, "bob"));
    carol_ = new TestUser(CreateUser(*messenger_, *client_, "carol"));
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          const int status = Send(*client_, "POST", "/v1/contacts/requests",
                                  nlohmann::json{{"user_id", bob_->user_id}}, alice_->access_token)
                                 .status;
          return status == 201 || status == 200;
        },
        absl::Seconds(10)));
    // (Accepting may race the request's own commit: retried.)
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          return Send(*client_, "POST", "/v1/contacts/requests/" + alice_->user_id + "/accept",
                      std::nullopt, bob_->access_token)
                     .status == 200;
        },
        absl::Seconds(10)));
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete bob_;
    delete carol_;
    delete client_;
    delete messenger_;
  }

  static std::string Ticket(const TestUser& user) {
    Reply r = Send(*client_, "POST", "/v1/ws/ticket", std::nullopt, user.access_token);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body.value("ticket", "");
  }
  static std::unique_ptr<WsClient> Open(const TestUser& user, const std::string& since = "",
                                        WsClient::Options options = {}) {
    std::string target = "/v1/ws?ticket=" + Ticket(user);
    if (!since.empty()) target += "&since=" + since;
    auto ws = WsClient::Connect(messenger_->http_port(), target, options);
    EXPECT_TRUE(ws.ok()) << ws.status();
    return ws.ok() ? std::move(*ws) : nullptr;
  }
  // The next frame as JSON (null on timeout or close).
  static nlohmann::json NextFrame(WsClient& ws) {
    auto frame = ws.Read(kFrameWait);
    if (!frame.ok() || frame->closed) {
      ADD_FAILURE() << (frame.ok() ? absl::StrCat("closed ", frame->close_code)
                                   : frame.status().ToString());
      return nullptr;
    }
    return nlohmann::json::parse(frame->text, nullptr, false);
  }
  // Reads until the close frame; its code (0 when none came in time).
  static uint16_t CloseCode(WsClient& ws) {
    const absl::Time deadline = absl::Now() + kFrameWait;
    while (absl::Now() < deadline) {
      auto frame = ws.Read(deadline - absl::Now());
      if (!frame.ok()) return 0;
      if (frame->closed) return frame->close_code;
    }
    return 0;
  }
  static void SendText(const TestUser& from, const TestUser& to, const std::string& text) {
    Reply r = Send(*client_, "POST", "/v1/messages",
                   nlohmann::json{{"to", to.user_id}, {"text", text},
                                  {"client_msg_id", text.substr(0, 60)}},
                   from.access_token);
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.raw;
  }
  static double Metric(const std::string& name) {
    return ScrapeMetric(*client_, name).value_or(0);
  }

  static MessengerProcess* messenger_;
  static httplib::Client* client_;
  static TestUser* alice_;
  static TestUser* bob_;
  static TestUser* carol_;
};

MessengerProcess* WebSocketE2eTest::messenger_ = nullptr;
httplib::Client* WebSocketE2eTest::client_ = nullptr;
TestUser* WebSocketE2eTest::alice_ = nullptr;
TestUser* WebSocketE2eTest::bob_ = nullptr;
TestUser* WebSocketE2eTest::carol_ = nullptr;

TEST_F(WebSocketE2eTest, TicketsAreSingleUseAndTheFirstFrameMayAuthenticate) {
  const std::string ticket = Ticket(*carol_);
  auto first = WsClient::Connect(messenger_->http_port(), "/v1/ws?ticket=" + ticket);
  ASSERT_TRUE(first.ok()) << first.status();
  nlohmann::json hello = NextFrame(**first);
  EXPECT_EQ(hello["type"], "sync");
  EXPECT_FALSE(hello.value("next", "").empty()) << hello;

  auto again = WsClient::Connect(messenger_->http_port(), "/v1/ws?ticket=" + ticket);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("HTTP 401"), std::string::npos) << again.status();

  auto plain = client_->Get("/v1/ws");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 426);

  auto by_frame = WsClient::Connect(messenger_->http_port(), "/v1/ws");
  ASSERT_TRUE(by_frame.ok()) << by_frame.status();
  ASSERT_TRUE((*by_frame)->Send(nlohmann::json{{"type", "auth"},
                                               {"access_token", carol_->access_token}}.dump()).ok());
  EXPECT_EQ(NextFrame(**by_frame)["type"], "sync");
  ASSERT_TRUE((*by_frame)->Send(R"({"type":"ping"})").ok());
  EXPECT_EQ(NextFrame(**by_frame)["type"], "pong");

  auto bad = WsClient::Connect(messenger_->http_port(), "/v1/ws");
  ASSERT_TRUE(bad.ok()) << bad.status();
  ASSERT_TRUE((*bad)->Send(R"({"type":"auth","access_token":"nope"})").ok());
  EXPECT_EQ(CloseCode(**bad), 4001);
}

TEST_F(WebSocketE2eTest, ResumeAcrossDroppedConnectionLosesAndRepeatsNothing) {
  constexpr int kMessages = 40;
  auto ws = Open(*bob_);
  ASSERT_NE(ws, nullptr);
  std::string next = NextFrame(*ws).value("next", "");
  ASSERT_FALSE(next.empty());

  // The second half waits for the drop: under load the first frame may
  // bring many messages at once, and the drop must still come mid-stream.
  std::atomic<bool> dropped{false};
  std::jthread sender([&] {
    for (int i = 0; i < kMessages; ++i) {
      if (i == kMessages / 2) testing::WaitUntil([&] { return dropped.load(); }, absl::Seconds(30));
      SendText(*alice_, *bob_, absl::StrCat("resume-", i));
    }
  });
  std::vector<std::string> seen;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (seen.size() < kMessages && absl::Now() < deadline) {
    if (!dropped && seen.size() >= 10) {
      ws->Drop();  // mid-stream, without a close frame
      dropped = true;
      ws = Open(*bob_, next);
      ASSERT_NE(ws, nullptr);
    }
    nlohmann::json frame = NextFrame(*ws);
    ASSERT_TRUE(frame.is_object());
    ASSERT_EQ(frame["type"], "sync") << frame;
    for (const auto& e : frame["events"]) {
      if (e["type"] == "message" && e["message"]["sender_id"] == alice_->user_id) {
        const std::string text = e["message"]["text"];
        if (text.rfind("resume-", 0) == 0) seen.push_back(text);
      }
    }
    next = frame["next"];
  }
  sender.join();
  ASSERT_TRUE(dropped);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(seen[i], absl::StrCat("resume-", i));
}

TEST_F(WebSocketE2eTest, SlowReaderIsClosedWithItsCodeWhileOthersFlow) {
  WsClient::Options tiny;
  tiny.receive_buffer_bytes = 2048;
  auto slow = Open(*bob_, "", tiny);
  ASSERT_NE(slow, nullptr);
  auto fast = Open(*bob_);
  ASSERT_NE(fast, nullptr);
  EXPECT_EQ(NextFrame(*fast)["type"], "sync");

  // The fast socket reads everything as it comes.
  constexpr char kLast[] = "after-the-slow-one";
  std::atomic<int> fast_seen{0};
  std::string last_text;
  std::jthread reader([&] {
    while (last_text != kLast) {
      auto frame = fast->Read(absl::Seconds(60));
      if (!frame.ok() || frame->closed) return;
      nlohmann::json body = nlohmann::json::parse(frame->text, nullptr, false);
      for (const auto& e : body["events"]) {
        if (e["type"] == "message") {
          last_text = e["message"]["text"];
          ++fast_seen;
        }
      }
    }
  });
  const double before = Metric("websocket_queue_full_total");
  const std::string filler(3000, 'x');
  int sent = 0;
  while (Metric("websocket_queue_full_total") <= before && sent < 400) {
    for (int i = 0; i < 5; ++i) SendText(*alice_, *bob_, absl::StrCat("slow-", sent++, "-", filler));
  }
  ASSERT_GT(Metric("websocket_queue_full_total"), before) << "queue never filled after " << sent;
  // The slow one, read at last (within the server's close grace), ends with
  // the slow reader's code.
  EXPECT_EQ(CloseCode(*slow), 4008);
  // The other socket kept up with everything, and still flows.
  SendText(*alice_, *bob_, kLast);
  reader.join();
  EXPECT_EQ(last_text, kLast);
  EXPECT_EQ(fast_seen.load(), sent + 1);
}

TEST_F(WebSocketE2eTest, LogoutClosesTheSessionsSocket) {
  Reply login = Send(*client_, "POST", "/v1/auth/login",
                     nlohmann::json{{"login", "carol"}, {"password", carol_->password},
                                    {"device_name", "browser"}});
  ASSERT_EQ(login.status, 200) << login.raw;
  TestUser second = *carol_;
  second.access_token = login.body["access_token"];
  auto ws = Open(second);
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(NextFrame(*ws)["type"], "sync");
  auto other_session = Open(*carol_);
  ASSERT_NE(other_session, nullptr);
  EXPECT_EQ(NextFrame(*other_session)["type"], "sync");

  Reply out = Send(*client_, "POST", "/v1/auth/logout", std::nullopt, second.access_token);
  ASSERT_EQ(out.status, 204) << out.raw;
  EXPECT_EQ(CloseCode(*ws), 4002);
  // Carol's other session is untouched.
  ASSERT_TRUE(other_session->Send(R"({"type":"ping"})").ok());
  EXPECT_EQ(NextFrame(*other_session)["type"], "pong");
}

// While the gateway's NATS connection is down it misses session.revoked, so
// when it comes back every socket must authenticate again (checked by
// removing the CloseAll from Gateway::OnBusReconnected: no close came).
TEST_F(WebSocketE2eTest, NatsReconnectMakesSocketsAuthenticateAgain) {
  auto ws = Open(*alice_);
  ASSERT_NE(ws, nullptr);
  const nlohmann::json first = NextFrame(*ws);
  ASSERT_EQ(first["type"], "sync");
  ASSERT_TRUE(messenger_->nats().Restart().ok());
  EXPECT_EQ(CloseCode(*ws), 1012);
  // A new ticket and the last token carry on.
  auto again = Open(*alice_, first["next"].get<std::string>());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(NextFrame(*again)["type"], "sync");
}

TEST_F(WebSocketE2eTest, PastTheCapTheOldestIsClosed) {
  auto oldest = Open(*alice_);
  ASSERT_NE(oldest, nullptr);
  EXPECT_EQ(NextFrame(*oldest)["type"], "sync");
  auto second = Open(*alice_);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(NextFrame(*second)["type"], "sync");
  auto third = Open(*alice_);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(NextFrame(*third)["type"], "sync");
  EXPECT_EQ(CloseCode(*oldest), 4009);
  for (WsClient* ws : {second.get(), third.get()}) {
    ASSERT_TRUE(ws->Send(R"({"type":"ping"})").ok());
    // A sync frame may come first: the server pushes whenever the feed
    // moves (e.g. the stream horizon passing rows the first frame stopped
    // before), so the pong is the first frame that is not a sync.
    nlohmann::json frame = NextFrame(*ws);
    for (int i = 0; i < 5 && frame.is_object() && frame["type"] == "sync"; ++i) {
      frame = NextFrame(*ws);
    }
    EXPECT_EQ(frame["type"], "pong");
  }
}

}  // namespace
}  // namespace messenger::e2e
