// Server name resolution in the spec's order (no SRV), with a fake network.
#include <gtest/gtest.h>

#include "messaging-service/src/federation/federation_config.h"
#include "messaging-service/src/federation/server_resolver.h"

namespace messenger::federation {
namespace {

class FakeWellKnown final : public HttpFetcher {
 public:
  FakeWellKnown() : HttpFetcher({}) {}
  absl::StatusOr<HttpReply> Fetch(const Endpoint& endpoint, const std::string&,
                                  const std::string& target,
                                  const std::map<std::string, std::string>&,
                                  const std::string&) override {
    ++fetches;
    EXPECT_EQ(target, "/.well-known/matrix/server");
    EXPECT_EQ(endpoint.port, 443);
    const auto it = answers.find(endpoint.host);
    if (it == answers.end()) return absl::UnavailableError("no route");
    return it->second;
  }
  std::map<std::string, HttpReply> answers;
  int fetches = 0;
};

TEST(DiscoveryTest, SplitsServerNames) {
  auto hp = SplitServerName("example.org:8008");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "example.org");
  EXPECT_EQ(hp->port, 8008);
  EXPECT_FALSE(hp->ip_literal);
  hp = SplitServerName("[1234:5678::abcd]:443");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "[1234:5678::abcd]");
  EXPECT_TRUE(hp->ip_literal);
  EXPECT_TRUE(SplitServerName("1.2.3.4")->ip_literal);
  EXPECT_FALSE(SplitServerName("1.2.3.example")->ip_literal);
  for (const char* bad : {"", "a b", "host:", "host:99999", "host:x", "[::1"}) {
    EXPECT_FALSE(SplitServerName(bad).ok()) << bad;
  }
}

TEST(DiscoveryTest, ParsesWellKnown) {
  EXPECT_EQ(ParseWellKnown(R"({"m.server":"delegated.example.org:443"})"),
            "delegated.example.org:443");
  for (const char* bad :
       {"", "[]", "{}", R"({"m.server":5})", R"({"m.server":"bad host"})", "not json"}) {
    EXPECT_FALSE(ParseWellKnown(bad).has_value()) << bad;
  }
}

TEST(DiscoveryTest, ResolvesInTheSpecsOrder) {
  FakeWellKnown net;
  FakeClock clock;
  net.answers["delegating.org"] = {200, R"({"m.server":"matrix.delegating.org"})"};
  net.answers["ported.org"] = {200, R"({"m.server":"matrix.ported.org:1234"})"};
  net.answers["broken.org"] = {200, "{"};
  ServerResolver resolver({{"override.test", "127.0.0.1:9999"}}, net, clock, 100);
  auto check = [&](const std::string& name, const std::string& host, int port,
                   const std::string& host_header) {
    auto e = resolver.Resolve(name);
    ASSERT_TRUE(e.ok()) << name << ": " << e.status();
    EXPECT_EQ(e->host, host) << name;
    EXPECT_EQ(e->port, port) << name;
    EXPECT_EQ(e->host_header, host_header) << name;
  };
  check("override.test", "127.0.0.1", 9999, "override.test");  // the configured map first
  check("1.2.3.4", "1.2.3.4", 8448, "1.2.3.4");                // IP literal
  check("[::1]:8000", "::1", 8000, "[::1]:8000");
  check("explicit.org:8000", "explicit.org", 8000, "explicit.org:8000");  // explicit port
  EXPECT_EQ(net.fetches, 0);  // none of these asks /.well-known
  check("delegating.org", "matrix.delegating.org", 8448, "matrix.delegating.org");
  check("ported.org", "matrix.ported.org", 1234, "matrix.ported.org:1234");
  check("broken.org", "broken.org", 8448, "broken.org");  // bad answer: the name itself
  check("silent.org", "silent.org", 8448, "silent.org");  // unreachable: the name itself
  EXPECT_EQ(net.fetches, 4);
  // Cached: answers for a day, failures for an hour.
  check("delegating.org", "matrix.delegating.org", 8448, "matrix.delegating.org");
  check("silent.org", "silent.org", 8448, "silent.org");
  EXPECT_EQ(net.fetches, 4);
  clock.Advance(absl::Minutes(61));
  check("delegating.org", "matrix.delegating.org", 8448, "matrix.delegating.org");
  check("silent.org", "silent.org", 8448, "silent.org");
  EXPECT_EQ(net.fetches, 5);
  EXPECT_FALSE(resolver.Resolve("bad name").ok());
}

TEST(DiscoveryTest, ParsesTheHostMap) {
  auto hosts = ParseHostMap(" a.test=127.0.0.1:1, b.test:8448=h:2 ");
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_EQ(hosts->at("a.test"), "127.0.0.1:1");
  EXPECT_EQ(hosts->at("b.test:8448"), "h:2");
  EXPECT_TRUE(ParseHostMap("")->empty());
  for (const char* bad : {"a.test", "a.test=host", "a.test=:1", "bad name=h:1"}) {
    EXPECT_FALSE(ParseHostMap(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace messenger::federation
