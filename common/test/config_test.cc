#include "common/config.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace messenger {
namespace {

EnvReader ReaderFor(std::map<std::string, std::string> values) {
  return EnvReader([values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

TEST(EnvReader, DefaultsWhenUnset) {
  EnvReader env = ReaderFor({});
  EXPECT_EQ(env.String("MESSENGER_X", "d"), "d");
  EXPECT_EQ(env.Int("MESSENGER_N", 7, 0, 10), 7);
  EXPECT_TRUE(env.Bool("MESSENGER_B", true));
  EXPECT_TRUE(env.status().ok());
}

TEST(EnvReader, ParsesValues) {
  EnvReader env = ReaderFor({{"MESSENGER_N", "9"}, {"MESSENGER_B", "false"}, {"MESSENGER_T", "250"}});
  EXPECT_EQ(env.Int("MESSENGER_N", 7, 0, 10), 9);
  EXPECT_FALSE(env.Bool("MESSENGER_B", true));
  EXPECT_EQ(env.Duration("MESSENGER_T", absl::Seconds(1), absl::Milliseconds(1), 1, 1000),
            absl::Milliseconds(250));
  EXPECT_TRUE(env.status().ok());
}

TEST(EnvReader, ReportsEveryBadVariableByName) {
  EnvReader env = ReaderFor({{"MESSENGER_N", "eleven"}, {"MESSENGER_M", "99"}});
  EXPECT_EQ(env.Int("MESSENGER_N", 7, 0, 10), 7);
  EXPECT_EQ(env.Int("MESSENGER_M", 1, 0, 10), 1);
  ASSERT_FALSE(env.status().ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(env.status().message().find("MESSENGER_N=eleven"), std::string::npos);
  EXPECT_NE(env.status().message().find("MESSENGER_M=99"), std::string::npos);
}

TEST(CommonConfig, DefaultsMatchTheApiContract) {
  EnvReader env = ReaderFor({});
  CommonConfig c = CommonConfig::FromEnv(env);
  EXPECT_EQ(c.nats_url, "nats://127.0.0.1:4222");
  EXPECT_EQ(c.server_name, "localhost");
  EXPECT_EQ(c.data_dir, "var");
  EXPECT_EQ(c.nats_stream_replicas, 1);
  EXPECT_FALSE(c.migrate_only);
  EXPECT_EQ(c.PgDsnFor("auth"), c.pg_dsn);
}

TEST(CommonConfig, EachServiceMayHaveItsOwnDatabaseRole) {
  EnvReader env = ReaderFor({{"MESSENGER_PG_DSN", "user=shared"},
                             {"MESSENGER_MESSAGING_PG_DSN", "user=messenger_messaging"},
                             {"MESSENGER_MIGRATE_ONLY", "1"},
                             {"MESSENGER_NATS_STREAM_REPLICAS", "3"}});
  CommonConfig c = CommonConfig::FromEnv(env);
  EXPECT_TRUE(env.status().ok()) << env.status();
  EXPECT_EQ(c.PgDsnFor("messaging"), "user=messenger_messaging");
  EXPECT_EQ(c.PgDsnFor("contact"), "user=shared");
  EXPECT_TRUE(c.migrate_only);
  EXPECT_EQ(c.nats_stream_replicas, 3);
}

TEST(CommonConfig, NatsCredentialsComeAsAUserWithPasswordOrAsCredsFile) {
  EnvReader half = ReaderFor({{"MESSENGER_NATS_USER", "auth"}});
  CommonConfig::FromEnv(half);
  EXPECT_NE(half.status().message().find("MESSENGER_NATS_PASSWORD"), std::string::npos);
  EnvReader both = ReaderFor({{"MESSENGER_NATS_USER", "auth"},
                              {"MESSENGER_NATS_PASSWORD", "pw"},
                              {"MESSENGER_NATS_CREDS", "/x.creds"}});
  CommonConfig::FromEnv(both);
  EXPECT_NE(both.status().message().find("MESSENGER_NATS_CREDS"), std::string::npos);
  EnvReader replicas = ReaderFor({{"MESSENGER_NATS_STREAM_REPLICAS", "0"}});
  CommonConfig::FromEnv(replicas);
  EXPECT_FALSE(replicas.status().ok());
}

TEST(CommonConfig, GrpcTlsIsAllThreeFilesOrNone) {
  EnvReader none = ReaderFor({});
  EXPECT_FALSE(CommonConfig::FromEnv(none).grpc_tls.enabled());
  EXPECT_TRUE(none.status().ok());

  EnvReader all = ReaderFor({{"MESSENGER_GRPC_TLS_CERT", "/c.crt"},
                             {"MESSENGER_GRPC_TLS_KEY", "/c.key"},
                             {"MESSENGER_GRPC_TLS_CA", "/ca.crt"}});
  const GrpcTlsConfig tls = CommonConfig::FromEnv(all).grpc_tls;
  EXPECT_TRUE(all.status().ok()) << all.status();
  EXPECT_TRUE(tls.enabled());
  EXPECT_EQ(tls.cert_file, "/c.crt");
  EXPECT_EQ(tls.key_file, "/c.key");
  EXPECT_EQ(tls.ca_file, "/ca.crt");

  // Any partial set refuses to start (it would run in plaintext).
  for (const auto& partial : std::vector<std::map<std::string, std::string>>{
           {{"MESSENGER_GRPC_TLS_CERT", "/c.crt"}},
           {{"MESSENGER_GRPC_TLS_CERT", "/c.crt"}, {"MESSENGER_GRPC_TLS_KEY", "/c.key"}},
           {{"MESSENGER_GRPC_TLS_CA", "/ca.crt"}},
           {{"MESSENGER_GRPC_TLS_KEY", "/c.key"}, {"MESSENGER_GRPC_TLS_CA", "/ca.crt"}}}) {
    EnvReader env = ReaderFor(partial);
    EXPECT_FALSE(CommonConfig::FromEnv(env).grpc_tls.enabled());
    EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(env.status().message().find("MESSENGER_GRPC_TLS_KEY and MESSENGER_GRPC_TLS_CA"),
              std::string::npos)
        << env.status();
  }
}

}  // namespace
}  // namespace messenger
