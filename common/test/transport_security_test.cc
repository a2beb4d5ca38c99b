#include "common/grpc/transport_security.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace messenger::grpcx {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/transport_security_test_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TransportSecurity, NoConfigurationIsPlaintext) {
  auto security = TransportSecurity::Load({});
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_FALSE(security->tls());
  grpc::ChannelArguments args;
  EXPECT_NE(security->ChannelCredentials("contact", args), nullptr);
  EXPECT_FALSE(ProcessTransportSecurity().tls());  // until Lifecycle sets it
}

TEST(TransportSecurity, AnUnreadableOrNonPemFileNamesItsVariable) {
  const std::string pem = WriteFile("x.pem", "-----BEGIN CERTIFICATE-----\nAA==\n");
  const std::string junk = WriteFile("junk", "not a certificate");
  auto missing = TransportSecurity::Load(
      {.cert_file = pem, .key_file = "/nonexistent/key.pem", .ca_file = pem});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("MESSENGER_GRPC_TLS_KEY: cannot read"),
            std::string::npos)
      << missing.status();
  auto not_pem = TransportSecurity::Load({.cert_file = pem, .key_file = pem, .ca_file = junk});
  EXPECT_NE(not_pem.status().message().find("MESSENGER_GRPC_TLS_CA"), std::string::npos)
      << not_pem.status();
  auto loaded = TransportSecurity::Load({.cert_file = pem, .key_file = pem, .ca_file = pem});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->tls());
}

}  // namespace
}  // namespace messenger::grpcx
