// The test support itself: reserved ports, and child processes that never
// outlive their test (whole process group killed, SIGKILL when the test
// process dies).
#include "common/testing/testing.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace messenger::testing {
namespace {

// Binds 127.0.0.1:`port` (0 = any); the bound port, or -1.
int Bind(int port, bool reuse, bool listen_too, std::vector<int>& fds) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fds.push_back(fd);
  const int on = 1;
  if (reuse) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  if (listen_too && listen(fd, 1) != 0) return -1;
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

TEST(FreePort, StaysReservedForThisProcessButAChildCanListenOnIt) {
  std::vector<int> fds;
  const int port = FreePort();
  ASSERT_GT(port, 0);
  EXPECT_NE(FreePort(), port);
  // Nobody else's plain bind gets it, nor any pick of port 0...
  EXPECT_EQ(Bind(port, /*reuse=*/false, /*listen_too=*/false, fds), -1);
  std::set<int> picked;
  for (int i = 0; i < 2000; ++i) picked.insert(Bind(0, /*reuse=*/true, false, fds));
  EXPECT_EQ(picked.count(port), 0u);
  // ...while a server that binds with SO_REUSEADDR (as gRPC, our HTTP
  // server, nats-server and PostgreSQL do) listens on it.
  EXPECT_EQ(Bind(port, /*reuse=*/true, /*listen_too=*/true, fds), port);
  for (int fd : fds) close(fd);
}

// Whether `pid` is gone (or a zombie waiting for init to reap it).
bool Gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t close_paren = line.rfind(')');
  return close_paren != std::string::npos && line.size() > close_paren + 2 &&
         line[close_paren + 2] == 'Z';
}

// Starts `sh` that starts a `sleep` in the background; returns the sleep's pid.
pid_t StartShellWithASleeper(std::unique_ptr<ChildProcess>& shell, const TempDir& dir) {
  const std::string pid_file = dir.path() + "/sleeper.pid";
  auto started = ChildProcess::Start({"sh", "-c",
                                      "sleep 300 & echo $! > " + pid_file + ".tmp && mv " +
                                          pid_file + ".tmp " + pid_file + "; wait"},
                                     {}, dir.path() + "/sh.log");
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return -1;
  shell = std::move(*started);
  pid_t sleeper = -1;
  EXPECT_TRUE(WaitUntil(
      [&] {
        std::ifstream in(pid_file);
        return static_cast<bool>(in >> sleeper);
      },
      absl::Seconds(10)));
  return sleeper;
}

TEST(ChildProcess, StopTakesTheWholeGroupAlong) {
  TempDir dir;
  std::unique_ptr<ChildProcess> shell;
  const pid_t sleeper = StartShellWithASleeper(shell, dir);
  ASSERT_GT(sleeper, 0);
  EXPECT_FALSE(Gone(sleeper));
  shell.reset();  // the destructor, as after a failed ASSERT
  EXPECT_TRUE(WaitUntil([&] { return Gone(sleeper); }, absl::Seconds(10)))
      << "sleep " << sleeper << " outlived its parent's ChildProcess";
  if (!Gone(sleeper)) kill(sleeper, SIGKILL);
}

// Run only as the child of the next test (the variable names a directory): a
// test process that starts a child and is then killed without any cleanup.
TEST(ChildProcessHelper, StartsAShellAndWaits) {
  const char* dir = std::getenv("MESSENGER_TESTING_HELPER_DIR");
  if (dir == nullptr) GTEST_SKIP() << "only as a helper of ChildProcess.DiesWithTheTestProcess";
  std::unique_ptr<ChildProcess> shell;
  auto started = ChildProcess::Start({"sh", "-c",
                                      "echo $$ > " + std::string(dir) + "/shell.tmp && mv " + dir +
                                          "/shell.tmp " + dir + "/shell.pid; exec sleep 300"},
                                     {}, std::string(dir) + "/shell.log");
  ASSERT_TRUE(started.ok());
  absl::SleepFor(absl::Seconds(300));  // killed long before
}

TEST(ChildProcess, DiesWithTheTestProcess) {
  TempDir dir;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe");
  auto helper = ChildProcess::Start(
      {self, "--gtest_filter=ChildProcessHelper.StartsAShellAndWaits"},
      {{"MESSENGER_TESTING_HELPER_DIR", dir.path()}}, dir.path() + "/helper.log");
  ASSERT_TRUE(helper.ok()) << helper.status();
  pid_t shell = -1;
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::ifstream in(dir.path() + "/shell.pid");
        return static_cast<bool>(in >> shell);
      },
      absl::Seconds(20)));
  EXPECT_FALSE(Gone(shell));
  // kill -9 of the test process (a ctest timeout): no destructor runs there.
  kill((*helper)->pid(), SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return Gone(shell); }, absl::Seconds(10)))
      << "the helper's child " << shell << " outlived it";
  if (!Gone(shell)) kill(shell, SIGKILL);
}

TEST(NatsServer, AnswersOnItsReservedPortAndComesBackOnIt) {
  auto nats = NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  const int port = (*nats)->port();
  std::vector<int> fds;
  // Listening (our reservation alone would let this bind succeed).
  EXPECT_EQ(Bind(port, /*reuse=*/true, /*listen_too=*/true, fds), -1);
  ASSERT_TRUE((*nats)->Restart().ok());
  EXPECT_EQ((*nats)->port(), port);
  (*nats)->Stop();
  EXPECT_EQ(Bind(port, /*reuse=*/true, /*listen_too=*/true, fds), port);
  for (int fd : fds) close(fd);
}

}  // namespace
}  // namespace messenger::testing
