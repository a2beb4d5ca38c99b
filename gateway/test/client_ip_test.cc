#include "gateway/src/client_ip.h"

#include <gtest/gtest.h>

namespace messenger::gateway {
namespace {

TEST(TrustedProxies, WithoutTrustedProxiesThePeerIsTheClient) {
  auto none = TrustedProxies::Parse("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->ClientAddress("203.0.113.7", "198.51.100.1"), "203.0.113.7");
}

TEST(TrustedProxies, ATrustedPeerVouchesForTheNearestUntrustedHop) {
  auto proxies = TrustedProxies::Parse("10.0.0.0/8, 127.0.0.1,::1");
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  EXPECT_TRUE(proxies->Contains("10.200.3.4"));
  EXPECT_FALSE(proxies->Contains("11.0.0.1"));
  EXPECT_TRUE(proxies->Contains("::1"));
  // The client forged the first entry; the proxies appended the rest.
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "1.2.3.4, 198.51.100.9, 10.0.0.5"), "198.51.100.9");
  EXPECT_EQ(proxies->ClientAddress("127.0.0.1", "198.51.100.9"), "198.51.100.9");
  // An untrusted peer's header is ignored.
  EXPECT_EQ(proxies->ClientAddress("198.51.100.1", "1.2.3.4"), "198.51.100.1");
  // Garbage stops the walk at the last trusted view.
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "not-an-ip"), "10.0.0.2");
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", ""), "10.0.0.2");
}

TEST(TrustedProxies, BadEntriesAreRefused) {
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(TrustedProxies::Parse("proxy.example.com").ok());
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.0/x").ok());
  EXPECT_TRUE(TrustedProxies::Parse("2001:db8::/32").ok());
}

}  // namespace
}  // namespace messenger::gateway
