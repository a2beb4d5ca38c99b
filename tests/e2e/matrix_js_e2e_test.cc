// matrix-js-sdk 37.5.0 (npm, the client library under Element Web) against
// the all-in-one messenger: tests/matrix/js/scenario.mjs. The SDK comes from
// npm (package-lock.json) on first run, into the build tree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

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
    ASSERT_TRUE(installed_) << "npm ci of tests/matrix/js failed:"
                            << Dump(absl::StrCat(MESSENGER_MATRIX_JS_NPM_DIR, "/npm-ci.log"));
    auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"}});
    ASSERT_TRUE(messenger.ok()) << messenger.status();
    const std::string log = absl::StrCat((*messenger)->log_path(), ".matrix-js.log");
    const int rc = RunShell(absl::StrCat(
        "timeout 300 node '", MESSENGER_SOURCE_DIR, "/tests/matrix/js/scenario.mjs' --base http://127.0.0.1:",
        (*messenger)->http_port(), " --sdk '", MESSENGER_MATRIX_JS_NPM_DIR, "' ", args, " > '",
        log, "' 2>&1"));
    EXPECT_EQ(rc, 0) << "scenario.mjs failed; its output:" << Dump(log)
                     << "\nmessenger log:" << Dump((*messenger)->log_path());
  }

  static bool installed_;
};

bool MatrixJsSdkTest::installed_ = true;

// The chat (invite, messages, typing, receipts, scrollback, redaction), then
// an encrypted room with the SDK's Rust crypto: keys upload, query and claim,
// to-device room keys, and each side decrypting the other's message.
TEST_F(MatrixJsSdkTest, ChatThenAnEncryptedRoomWithRustCrypto) { Run("--e2ee"); }

}  // namespace
}  // namespace messenger::e2e
