// Runs chat_test.cjs (headless Chromium through puppeteer-core) against the
// all-in-one messenger, with the reference web client served from another
// origin. puppeteer-core comes from npm (package-lock.json) on first run.
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

TEST(BrowserChatTest, TwoPeopleBefriendAndChatLiveFromAnotherOrigin) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "install Debian's chromium";
  const std::string npm_dir = MESSENGER_BROWSER_NPM_DIR;
  if (!std::filesystem::exists(npm_dir + "/node_modules/puppeteer-core/package.json")) {
    ASSERT_EQ(RunShell(absl::StrCat("cd '", npm_dir,
                               "' && timeout 300 npm ci --no-audit --no-fund --ignore-scripts "
                               "--loglevel=error")),
              0)
        << "npm ci of tests/browser failed";
  }
  const int web_port = testing::FreePort();
  auto messenger = MessengerProcess::Start(
      {{"MESSENGER_CORS_ORIGINS", absl::StrCat("http://127.0.0.1:", web_port)}});
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  const std::string artifacts = MESSENGER_BROWSER_ARTIFACTS;
  const std::string log = artifacts + "/chat_test.log";
  std::filesystem::create_directories(artifacts);
  const int rc = RunShell(absl::StrCat(
      "NODE_PATH='", npm_dir, "/node_modules' timeout 240 node '", MESSENGER_SOURCE_DIR,
      "/tests/browser/chat_test.cjs' --web='", MESSENGER_SOURCE_DIR, "/examples/web' --web-port=",
      web_port, " --api=http://127.0.0.1:", (*messenger)->http_port(), " --maildir='",
      (*messenger)->mail_dir(), "' --artifacts='", artifacts, "' > '", log, "' 2>&1"));
  EXPECT_EQ(rc, 0) << "browser run failed; its log:" << Dump(log)
                   << "\nmessenger log:" << Dump((*messenger)->log_path());
  EXPECT_TRUE(std::filesystem::exists(artifacts + "/ann.png"));
}

}  // namespace
}  // namespace messenger::e2e
