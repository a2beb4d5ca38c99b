// The outgoing federation sender against a receiving peer written in Python
// on matrix.org's signedjson (tests/matrix/federation_sender_test.py): it
// joins a public room of this messenger and verifies every transaction and
// PDU it is sent, through a peer outage, 500s, a 400 and a 401.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

constexpr char kServer[] = "hs1.test";
constexpr char kPeer[] = "peer.test";
constexpr char kPeerSeed[] = "cmVjZWl2aW5nIHBlZXIgc2VlZCBmb3IgdGhlIHRlc3Q";
constexpr int kBackoffBaseMs = 200;

TEST(FederationSenderE2eTest, EveryMessageReachesAVerifyingPeerOnceAndInOrder) {
  const int peer_port = testing::FreePort();
  auto server = MessengerProcess::Start(
      {{"MESSENGER_SERVER_NAME", kServer},
       {"MESSENGER_FEDERATION_HOSTS", absl::StrCat(kPeer, "=127.0.0.1:", peer_port)},
       {"MESSENGER_FEDERATION_INSECURE_HTTP", "1"},
       {"MESSENGER_FEDERATION_BACKOFF_BASE_MS", std::to_string(kBackoffBaseMs)},
       {"MESSENGER_FEDERATION_BACKOFF_MAX_MS", "2000"}});
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir("messenger-federation-sender");
  const std::string log = dir.path() + "/federation_sender_test.log";
  const std::string command =
      absl::StrCat("timeout 300 /usr/bin/python3 '", MESSENGER_FEDERATION_SENDER_TEST,
                   "' --base http://127.0.0.1:", (*server)->http_port(), " --server ", kServer,
                   " --peer '", kPeer, ":", kPeerSeed, ":ed25519:p' --port ", peer_port,
                   " --backoff-base-ms ", kBackoffBaseMs, " > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  // The measurements (latency, retry gaps) are in the script's output.
  std::printf("%s\n", Dump(log).c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "federation_sender_test.py failed; messenger log:" << Dump((*server)->log_path());
}

}  // namespace
}  // namespace messenger::e2e
