// Two messenger homeservers talking to each other (issue 16, fedjoin): hs1
// and hs2 each a full system (own ports, database, NATS), each naming the
// other in MESSENGER_FEDERATION_HOSTS. tests/matrix/federation_two_servers_test.py
// drives the Matrix side in three phases around stopping and restarting hs2:
// the remote join, messages both ways and typing; messages sent on hs1 while
// hs2 is down; their arrival once each and in order after the restart.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

constexpr char kHs1[] = "hs1.test";
constexpr char kHs2[] = "hs2.test";

// Runs one phase of the driver; its output (measurements) is printed.
bool Phase(const std::string& phase, int port1, int port2, const testing::TempDir& dir) {
  const std::string log = absl::StrCat(dir.path(), "/", phase, ".log");
  const std::string command =
      absl::StrCat("timeout 300 /usr/bin/python3 '", MESSENGER_FEDERATION_TWO_SERVERS_TEST,
                   "' --hs1 http://127.0.0.1:", port1, " --hs2 http://127.0.0.1:", port2,
                   " --state '", dir.path(), "/state.json' --phase ", phase, " > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  std::printf("phase %s:\n%s\n", phase.c_str(), Dump(log).c_str());
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(FederationTwoServersE2eTest, JoinMessagesTypingAndAnOutage) {
  const int port1 = testing::FreePort(), port2 = testing::FreePort();
  // unreachable.test: a free port nobody listens on.
  const std::string hosts =
      absl::StrCat(kHs1, "=127.0.0.1:", port1, ",", kHs2, "=127.0.0.1:", port2,
                   ",unreachable.test=127.0.0.1:", testing::FreePort());
  const auto env = [&](const char* name, int port) {
    return std::map<std::string, std::string>{
        {"MESSENGER_SERVER_NAME", name},
        {"MESSENGER_HTTP_ADDR", absl::StrCat("127.0.0.1:", port)},
        {"MESSENGER_FEDERATION_HOSTS", hosts},
        {"MESSENGER_FEDERATION_INSECURE_HTTP", "1"},
        // A restarted peer is retried soon (the default backoff is for production).
        {"MESSENGER_FEDERATION_BACKOFF_BASE_MS", "200"},
        {"MESSENGER_FEDERATION_BACKOFF_MAX_MS", "2000"}};
  };
  auto hs1 = MessengerProcess::Start(env(kHs1, port1));
  ASSERT_TRUE(hs1.ok()) << hs1.status();
  auto hs2 = MessengerProcess::Start(env(kHs2, port2));
  ASSERT_TRUE(hs2.ok()) << hs2.status();
  testing::TempDir dir("messenger-two-servers");
  const auto logs = [&] {
    return absl::StrCat("hs1 log:\n", Dump((*hs1)->log_path()), "\nhs2 log:\n",
                        Dump((*hs2)->log_path()));
  };
  ASSERT_TRUE(Phase("join", port1, port2, dir)) << logs();
  EXPECT_EQ((*hs2)->Stop(), 0);
  ASSERT_TRUE(Phase("down", port1, port2, dir)) << logs();
  ASSERT_TRUE((*hs2)->Restart().ok());
  EXPECT_TRUE(Phase("up", port1, port2, dir)) << logs();
}

}  // namespace
}  // namespace messenger::e2e
