#include "common/testing/testing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/pg/pg.h"
#include "common/status.h"
#include "common/testing/contract_recorder.h"

extern char** environ;

namespace messenger::testing {

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout, absl::Duration step) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (done()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(step);
  }
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/", prefix, "-XXXXXX");
  char* made = mkdtemp(tmpl.data());
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create() {
  const char* admin = std::getenv("MESSENGER_TEST_PG_DSN");
  if (admin == nullptr || *admin == '\0') {
    return absl::FailedPreconditionError(
        "MESSENGER_TEST_PG_DSN is not set: run the tests with scripts/test.sh, which starts "
        "the test PostgreSQL");
  }
  auto db = std::unique_ptr<TestDatabase>(new TestDatabase());
  db->admin_dsn_ = admin;
  db->name_ = "test_" + HexEncode(SecureRng::Instance().Bytes(6));
  ASSIGN_OR_RETURN(auto pool, pg::Pool::Create({.dsn = db->admin_dsn_, .size = 1}));
  RETURN_IF_ERROR(pool->WithConnection([&](pg::Conn& conn) {
    return conn.ExecScript(absl::StrCat("CREATE DATABASE ", db->name_));
  }));
  db->dsn_ = absl::StrCat(db->admin_dsn_, " dbname=", db->name_);
  return db;
}

TestDatabase::~TestDatabase() {
  auto pool = pg::Pool::Create({.dsn = admin_dsn_, .size = 1});
  if (!pool.ok()) return;
  (void)(*pool)->WithConnection([&](pg::Conn& conn) {
    return conn.ExecScript(absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
  });
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
    const std::string& log_path) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos) merged[std::string(entry.substr(0, eq))] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    setpgid(0, 0);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  child->pid_ = pid;
  return child;
}

ChildProcess::~ChildProcess() { Stop(SIGKILL, absl::Seconds(5)); }

bool ChildProcess::Running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

int ChildProcess::Stop(int signal, absl::Duration timeout) {
  if (!Running()) return status_;
  kill(pid_, signal);
  if (!WaitUntil([&] { return !Running(); }, timeout)) {
    kill(pid_, SIGKILL);
    WaitUntil([&] { return !Running(); }, absl::Seconds(5));
  }
  return status_;
}

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start() {
  auto server = std::unique_ptr<NatsServer>(new NatsServer());
  server->port_ = FreePort();
  RETURN_IF_ERROR(server->Launch());
  return server;
}

NatsServer::~NatsServer() { Stop(); }

std::string NatsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

absl::Status NatsServer::Launch() {
  ASSIGN_OR_RETURN(process_,
                   ChildProcess::Start({"nats-server", "-js", "-a", "127.0.0.1", "-p",
                                        std::to_string(port_), "-sd", dir_.path() + "/store"},
                                       {}, dir_.path() + "/nats.log"));
  // Ready when it accepts TCP connections.
  const bool up = WaitUntil(
      [&] {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port_));
        const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        close(fd);
        return ok;
      },
      absl::Seconds(10));
  if (!up) return absl::UnavailableError("nats-server did not start (see its log in " + dir_.path() + ")");
  return absl::OkStatus();
}

void NatsServer::Stop() {
  if (process_) process_->Stop(SIGTERM, absl::Seconds(5));
  process_.reset();
}

void NatsServer::Kill() {
  if (process_) process_->Stop(SIGKILL, absl::Seconds(5));
  process_.reset();
}

absl::Status NatsServer::Restart() {
  Stop();
  return Launch();
}

}  // namespace messenger::testing

#include <nats/nats.h>

#include "common/bus/event.h"
#include "common/bus/nats_bus.h"

namespace messenger::testing {

std::vector<bus::Event> ReadStream(bus::NatsBus& nats) {
  std::vector<bus::Event> out;
  jsStreamInfo* info = nullptr;
  if (js_GetStreamInfo(&info, nats.jetstream(), bus::kStreamName, nullptr, nullptr) != NATS_OK) {
    return out;
  }
  const uint64_t first = info->State.FirstSeq, last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  for (uint64_t seq = first; seq <= last && seq > 0; ++seq) {
    natsMsg* msg = nullptr;
    if (js_GetMsg(&msg, nats.jetstream(), bus::kStreamName, seq, nullptr, nullptr) != NATS_OK) {
      continue;
    }
    RecordStreamMessage(msg);
    auto event =
        bus::Event::FromJson(std::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
    if (event.ok()) out.push_back(std::move(*event));
    natsMsg_Destroy(msg);
  }
  return out;
}

}  // namespace messenger::testing
