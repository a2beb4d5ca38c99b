// The Matrix client-server API foundation over HTTP: the scenarios of
// tests/matrix/ (Python, standard library + Debian's python3-jsonschema and
// python3-matrix-nio) against the all-in-one messenger; every answer they see
// is validated against the spec's response schemas.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

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

// Account data, push rules, aliases, directories, profile -> member events.
TEST_F(MatrixClientTest, AccountDataPushRulesAndDirectory) {
  Run({}, "account_test.py", "");
}

}  // namespace
}  // namespace messenger::e2e
