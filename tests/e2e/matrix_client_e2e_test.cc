// The Matrix client-server API foundation over HTTP: the scenarios of
// tests/matrix/ (Python, standard library + Debian's python3-jsonschema and
// python3-matrix-nio) against the all-in-one messenger; every answer they see
// is validated against the spec's response schemas.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

constexpr char kCorsOrigin[] = "http://matrix-client.example";
constexpr char kRegistrationToken[] = "let-me-in-7";
// What /.well-known/matrix/client must announce (MESSENGER_PUBLIC_URL).
constexpr char kPublicUrl[] = "https://matrix.example.org";

// Runs a script of tests/matrix with /usr/bin/python3; its output goes to a
// log shown on failure. Returns the exit status.
int RunScript(const std::string& script, const std::string& args, const std::string& log) {
  const std::string command =
      absl::StrCat("timeout 300 /usr/bin/python3 '", MESSENGER_SOURCE_DIR, "/tests/matrix/",
                   script, "' ", args, " > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Base(const MessengerProcess& m) {
  return absl::StrCat("http://127.0.0.1:", m.http_port());
}

class MatrixClientTest : public ::testing::Test {
 protected:
  void Run(std::map<std::string, std::string> env, const std::string& script,
           const std::string& args) {
    env.emplace("MESSENGER_SERVER_NAME", "localhost");
    auto messenger = MessengerProcess::Start(env);
    ASSERT_TRUE(messenger.ok()) << messenger.status();
    const std::string log = absl::StrCat((*messenger)->log_path(), ".", script, ".log");
    const int rc = RunScript(script, absl::StrCat("--base ", Base(**messenger), " ", args), log);
    EXPECT_EQ(rc, 0) << script << " failed; its output:" << Dump(log)
                     << "\nmessenger log:" << Dump((*messenger)->log_path());
  }
};

TEST_F(MatrixClientTest, OpenRegistrationEveryRouteAndRefusal) {
  Run({{"MESSENGER_CORS_ORIGINS", kCorsOrigin},
       {"MESSENGER_PUBLIC_URL", kPublicUrl},
       {"MESSENGER_AUTH_ACCOUNT_BURST", "30"}},
      "client_api_test.py",
      absl::StrCat("--mode open --cors-origin ", kCorsOrigin, " --public-url ", kPublicUrl));
}

TEST_F(MatrixClientTest, TokenRegistrationAndSoftLogout) {
  Run({{"MESSENGER_MATRIX_REGISTRATION", "token"},
       {"MESSENGER_MATRIX_REGISTRATION_TOKEN", kRegistrationToken},
       {"MESSENGER_ACCESS_TOKEN_TTL_S", "2"},
       {"MESSENGER_AUTH_CACHE_TTL_MS", "100"}},
      "client_api_test.py", absl::StrCat("--mode token --token ", kRegistrationToken));
}

TEST_F(MatrixClientTest, DisabledRegistration) {
  Run({{"MESSENGER_MATRIX_REGISTRATION", "disabled"}}, "client_api_test.py", "--mode disabled");
}

TEST_F(MatrixClientTest, RoomsCreateRoomAndRefusals) {
  Run({}, "rooms_test.py", "");
}

TEST_F(MatrixClientTest, MatrixNioClient) {
  Run({}, "nio_scenario.py", "");
}

// Matrix send/state/redact/event and membership through the one room write
// path, with the /v1 view of the same facts (tests/matrix/room_writes_test.py).
TEST_F(MatrixClientTest, RoomWritesAndMembership) {
  Run({}, "room_writes_test.py", "");
}

// A send's txnId is kept in PostgreSQL: the retry after a restart answers
// the original event, and /v1 holds the message once.
TEST_F(MatrixClientTest, TxnIdSurvivesRestart) {
  auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"}});
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  const std::string notes = absl::StrCat((*messenger)->log_path(), ".txn-notes.json");
  for (const char* phase : {"send", "resend"}) {
    if (std::string(phase) == "resend") {
      ASSERT_TRUE((*messenger)->Restart().ok());
    }
    const std::string log = absl::StrCat((*messenger)->log_path(), ".restart-", phase, ".log");
    const int rc = RunScript("room_writes_test.py",
                             absl::StrCat("--base ", Base(**messenger), " --restart-phase ", phase,
                                          " --notes '", notes, "'"),
                             log);
    ASSERT_EQ(rc, 0) << phase << " failed; its output:" << Dump(log)
                     << "\nmessenger log:" << Dump((*messenger)->log_path());
  }
}

// Matrix sync (mxsync): sync_test.py's main phase, a restart of the
// messenger, then its restart phase with the tokens given before.
TEST(MatrixSyncTest, SyncFiltersHistoryReceiptsTypingAndATokenAcrossARestart) {
  auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"}});
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  const std::string log = absl::StrCat((*messenger)->log_path(), ".sync_test");
  const std::string state = absl::StrCat((*messenger)->log_path(), ".sync_state.json");
  const std::string args = absl::StrCat("--base ", Base(**messenger), " --state '", state, "'");
  int rc = RunScript("sync_test.py", args + " --phase main", log + ".main.log");
  ASSERT_EQ(rc, 0) << "sync_test.py (main) failed; its output:" << Dump(log + ".main.log")
                   << "\nmessenger log:" << Dump((*messenger)->log_path());
  (*messenger)->Stop();
  ASSERT_TRUE((*messenger)->Restart().ok());
  rc = RunScript("sync_test.py", args + " --phase restart", log + ".restart.log");
  EXPECT_EQ(rc, 0) << "sync_test.py (restart) failed; its output:"
                   << Dump(log + ".restart.log")
                   << "\nmessenger log:" << Dump((*messenger)->log_path());
}

// The Matrix sync bench (bench/matrix/matrix_sync_bench.py, issue 14's
// numbers) against the all-in-one binary; run on demand:
//   build/tests/e2e_matrix_client_test --gtest_also_run_disabled_tests
//   --gtest_filter='*DISABLED_Bench*'
// MESSENGER_MATRIX_BENCH_ARGS adds arguments (--rooms, --rate, --out ...).
TEST(MatrixSyncTest, DISABLED_Bench) {
  // One sender writes every room and one reader holds every long poll of
  // the memory reading: no per-user limit in the way.
  auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"},
                                            {"MESSENGER_SEND_RATE_PER_S", "100000"},
                                            {"MESSENGER_SEND_BURST", "100000"},
                                            {"MESSENGER_SYNC_POLLS_PER_USER", "1000"}});
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  const char* extra = std::getenv("MESSENGER_MATRIX_BENCH_ARGS");
  const std::string log = absl::StrCat((*messenger)->log_path(), ".matrix_bench.log");
  const std::string command = absl::StrCat(
      "timeout 1800 /usr/bin/python3 '", MESSENGER_SOURCE_DIR,
      "/bench/matrix/matrix_sync_bench.py' --base ", Base(**messenger), " ",
      extra != nullptr ? extra : "", " > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0) << Dump(log);
  std::cout << Dump(log) << std::endl;
}

// The end-to-end encryption relay: keys upload/query/claim/changes,
// sendToDevice, their bounds (small ones here), and matrix-nio with olm.
TEST_F(MatrixClientTest, EncryptionKeysAndToDevice) {
  Run({{"MESSENGER_E2EE_INBOX", "5"}, {"MESSENGER_E2EE_MAX_ONE_TIME_KEYS", "150"}},
      "keys_test.py", "--inbox 5");
}

// Account data, push rules, aliases, directories, profile -> member events.
TEST_F(MatrixClientTest, AccountDataPushRulesAndDirectory) {
  Run({}, "account_test.py", "");
}

// matrix-nio chatting through its own API: group room, invite, join, sync,
// room_messages back to the start, olm keys, to-device once, logout.
TEST_F(MatrixClientTest, MatrixNioChatScenario) {
  Run({}, "nio_chat_scenario.py", "");
}

}  // namespace
}  // namespace messenger::e2e
