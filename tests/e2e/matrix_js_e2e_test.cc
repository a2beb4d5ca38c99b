// matrix-js-sdk 37.5.0 (npm, the client library under Element Web) against
// the all-in-one messenger: tests/matrix/js/scenario.mjs. The SDK comes from
// npm (package-lock.json) on first run, into the build tree. One test runs
// it across two federating systems (fede2ee).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class MatrixJsSdkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string npm_dir = MESSENGER_MATRIX_JS_NPM_DIR;
    if (std::filesystem::exists(npm_dir + "/node_modules/matrix-js-sdk/package.json")) return;
    installed_ = RunShell(absl::StrCat("cd '", npm_dir,
                                       "' && timeout 300 npm ci --no-audit --no-fund "
                                       "--ignore-scripts > npm-ci.log 2>&1")) == 0;
  }

  void Run(const std::string& args) {
    auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"}});
    ASSERT_TRUE(messenger.ok()) << messenger.status();
    Scenario(**messenger, args, "");
  }

  // scenario.mjs against `messenger` with `args`; `more_logs` added on failure.
  void Scenario(MessengerProcess& messenger, const std::string& args,
                const std::string& more_logs) {
    ASSERT_TRUE(installed_) << "npm ci of tests/matrix/js failed:"
                            << Dump(absl::StrCat(MESSENGER_MATRIX_JS_NPM_DIR, "/npm-ci.log"));
    const std::string log = absl::StrCat(messenger.log_path(), ".matrix-js.log");
    const int rc = RunShell(absl::StrCat(
        "timeout 300 node '", MESSENGER_SOURCE_DIR, "/tests/matrix/js/scenario.mjs' --base http://127.0.0.1:",
        messenger.http_port(), " --sdk '", MESSENGER_MATRIX_JS_NPM_DIR, "' ", args, " > '",
        log, "' 2>&1"));
    EXPECT_EQ(rc, 0) << "scenario.mjs failed; its output:" << Dump(log)
                     << "\nmessenger log:" << Dump(messenger.log_path()) << more_logs;
  }

  static bool installed_;
};

bool MatrixJsSdkTest::installed_ = true;

// The chat (invite, messages, typing, receipts, scrollback, redaction), then
// an encrypted room with the SDK's Rust crypto: keys upload, query and claim,
// to-device room keys, and each side decrypting the other's message.
TEST_F(MatrixJsSdkTest, ChatThenAnEncryptedRoomWithRustCrypto) { Run("--e2ee"); }

// fede2ee: alice on hs1.test and bob on hs2.test (two federating systems),
// each with the Rust crypto: bob joins alice's public encrypted room over
// federation and each decrypts the other's message.
TEST_F(MatrixJsSdkTest, AnEncryptedRoomAcrossTwoServersWithRustCrypto) {
  const int port1 = testing::FreePort(), port2 = testing::FreePort();
  const std::string hosts =
      absl::StrCat("hs1.test=127.0.0.1:", port1, ",hs2.test=127.0.0.1:", port2);
  const auto env = [&](const char* name, int port) {
    return std::map<std::string, std::string>{
        {"MESSENGER_SERVER_NAME", name},
        {"MESSENGER_HTTP_ADDR", absl::StrCat("127.0.0.1:", port)},
        {"MESSENGER_FEDERATION_HOSTS", hosts},
        {"MESSENGER_FEDERATION_INSECURE_HTTP", "1"}};
  };
  auto hs1 = MessengerProcess::Start(env("hs1.test", port1));
  ASSERT_TRUE(hs1.ok()) << hs1.status();
  auto hs2 = MessengerProcess::Start(env("hs2.test", port2));
  ASSERT_TRUE(hs2.ok()) << hs2.status();
  Scenario(**hs1, absl::StrCat("--base2 http://127.0.0.1:", port2),
           absl::StrCat("\nhs2 log:", Dump((*hs2)->log_path())));
}

}  // namespace
}  // namespace messenger::e2e
