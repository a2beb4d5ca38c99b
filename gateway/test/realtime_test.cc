// Pure parts of the web-app support: CORS origin matching, WebSocket tickets,
// the realtime hub's cap and revocation, and static file path safety.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/testing/testing.h"
#include "gateway/src/cors.h"
#include "gateway/src/realtime/realtime_hub.h"
#include "gateway/src/realtime/ws_tickets.h"
#include "gateway/src/static_files.h"

namespace messenger::gateway {
namespace {

TEST(CorsPolicyTest, ExactOriginsCaseInsensitiveAndNothingElse) {
  auto policy = CorsPolicy::Parse(" https://app.example.com , http://localhost:8000");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->Allows("https://app.example.com"));
  EXPECT_TRUE(policy->Allows("HTTPS://APP.example.com"));
  EXPECT_TRUE(policy->Allows("http://localhost:8000"));
  EXPECT_FALSE(policy->Allows("https://app.example.com.evil.test"));
  EXPECT_FALSE(policy->Allows("http://app.example.com"));
  EXPECT_FALSE(policy->Allows(""));
  EXPECT_FALSE(policy->Allows("null"));
  http::Response r = http::Response::Empty(200);
  policy->Decorate("https://evil.test", r);
  EXPECT_TRUE(r.headers.empty());
}

TEST(CorsPolicyTest, RejectsWhatIsNotAnOrigin) {
  EXPECT_FALSE(CorsPolicy::Parse("app.example.com").ok());
  EXPECT_FALSE(CorsPolicy::Parse("https://app.example.com/path").ok());
  EXPECT_FALSE(CorsPolicy::Parse("https://").ok());
  EXPECT_FALSE(CorsPolicy::Parse("").value().enabled());
  EXPECT_TRUE(CorsPolicy::Parse("*").value().Allows("https://anything.test"));
}

TEST(CorsPolicyTest, AppliesToTheApiOnly) {
  EXPECT_TRUE(CorsPolicy::Applies("/v1/messages"));
  EXPECT_TRUE(CorsPolicy::Applies("/_matrix/client/versions"));
  EXPECT_FALSE(CorsPolicy::Applies("/v10/x"));
  EXPECT_FALSE(CorsPolicy::Applies("/app/index.html"));
  EXPECT_FALSE(CorsPolicy::Applies("/metrics"));
}

TEST(WsTicketsTest, SingleUseAndShortLived) {
  FakeClock clock(absl::FromUnixSeconds(1'000'000));
  WsTickets tickets(absl::Seconds(30), 10, clock, SecureRng::Instance());
  const Principal alice{"u-alice", "s-alice"};
  const std::string ticket = tickets.Issue(alice);
  auto redeemed = tickets.Redeem(ticket);
  ASSERT_TRUE(redeemed.ok());
  EXPECT_EQ(redeemed->user_id, "u-alice");
  EXPECT_EQ(tickets.Redeem(ticket).status().code(), absl::StatusCode::kUnauthenticated);

  const std::string late = tickets.Issue(alice);
  clock.Advance(absl::Seconds(31));
  EXPECT_EQ(tickets.Redeem(late).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(tickets.Redeem("").ok());
  EXPECT_FALSE(tickets.Redeem(std::string(500, 'a')).ok());
}

TEST(WsTicketsTest, BoundedStoreForgetsTheOldest) {
  FakeClock clock(absl::FromUnixSeconds(1'000'000));
  WsTickets tickets(absl::Seconds(30), 2, clock, SecureRng::Instance());
  const std::string first = tickets.Issue({"u", "s"});
  tickets.Issue({"u", "s"});
  tickets.Issue({"u", "s"});
  EXPECT_FALSE(tickets.Redeem(first).ok());
}

class FakeClient : public RealtimeClient {
 public:
  void Wake() override { ++wakes; }
  void Close(uint16_t code, const char*) override { closed_with = code; }
  int wakes = 0;
  uint16_t closed_with = 0;
};

TEST(RealtimeHubTest, PastTheCapTheOldestIsClosed) {
  RealtimeHub hub(2);
  auto a = std::make_shared<FakeClient>(), b = std::make_shared<FakeClient>(),
       c = std::make_shared<FakeClient>();
  hub.Add("u", "s1", a);
  hub.Add("u", "s1", b);
  EXPECT_EQ(a->closed_with, 0);
  hub.Add("u", "s2", c);
  EXPECT_EQ(a->closed_with, kWsCloseTooMany);
  EXPECT_EQ(b->closed_with, 0);
  hub.Remove("u", "s1", a.get());
  EXPECT_EQ(hub.size(), 2u);
}

TEST(RealtimeHubTest, WakesTheUsersSocketsAndClosesARevokedSession) {
  RealtimeHub hub(8);
  auto a = std::make_shared<FakeClient>(), b = std::make_shared<FakeClient>(),
       other = std::make_shared<FakeClient>();
  hub.Add("u", "s1", a);
  hub.Add("u", "s2", b);
  hub.Add("v", "s3", other);
  hub.Wake({"u"});
  EXPECT_EQ(a->wakes, 1);
  EXPECT_EQ(b->wakes, 1);
  EXPECT_EQ(other->wakes, 0);
  hub.CloseSession("s2");
  EXPECT_EQ(a->closed_with, 0);
  EXPECT_EQ(b->closed_with, kWsCloseSessionEnded);
  hub.Remove("u", "s2", b.get());
  hub.Remove("u", "s1", a.get());
  hub.Remove("v", "s3", other.get());
  EXPECT_EQ(hub.size(), 0u);
}

TEST(RealtimeHubTest, CloseAllClosesEverySocket) {
  RealtimeHub hub(8);
  auto a = std::make_shared<FakeClient>(), b = std::make_shared<FakeClient>();
  hub.Add("u", "s1", a);
  hub.Add("v", "s2", b);
  hub.CloseAll(kWsCloseReauthenticate, "authenticate again");
  EXPECT_EQ(a->closed_with, kWsCloseReauthenticate);
  EXPECT_EQ(b->closed_with, kWsCloseReauthenticate);
  hub.Remove("u", "s1", a.get());
  hub.Remove("v", "s2", b.get());
}

TEST(StaticFilesTest, ServesInsideTheDirectoryOnly) {
  testing::TempDir dir("static-files");
  std::filesystem::create_directories(dir.path() + "/web/sub");
  std::ofstream(dir.path() + "/web/index.html") << "<p>hi</p>";
  std::ofstream(dir.path() + "/web/sub/app.js") << "1;";
  std::ofstream(dir.path() + "/web/.secret.txt") << "no";
  std::ofstream(dir.path() + "/outside.txt") << "no";
  std::filesystem::create_symlink(dir.path() + "/outside.txt", dir.path() + "/web/link.txt");
  std::ofstream(dir.path() + "/web/big.txt") << std::string(StaticFiles::kMaxFileBytes + 1, 'x');
  auto files = StaticFiles::Open(dir.path() + "/web");
  ASSERT_TRUE(files.ok()) << files.status();

  http::Response index = files->Serve("GET", "/app/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<p>hi</p>");
  http::Response js = files->Serve("GET", "/app/sub/app.js");
  EXPECT_EQ(js.status, 200);
  bool typed = false;
  for (const auto& [name, value] : js.headers) typed |= value == "text/javascript; charset=utf-8";
  EXPECT_TRUE(typed);
  EXPECT_EQ(files->Serve("GET", "/app").status, 301);
  for (const char* bad : {"/app/../outside.txt", "/app/%2e%2e/outside.txt", "/app/.secret.txt",
                          "/app/link.txt", "/app/sub/../../outside.txt", "/app/big.txt",
                          "/app/missing.html", "/app/sub/app.exe", "/app/%00.html"}) {
    EXPECT_EQ(files->Serve("GET", bad).status, 404) << bad;
  }
  EXPECT_EQ(files->Serve("POST", "/app/index.html").status, 405);
  EXPECT_FALSE(StaticFiles::Open(dir.path() + "/nope").ok());
}

}  // namespace
}  // namespace messenger::gateway
