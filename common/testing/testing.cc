#include "common/testing/testing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/pg/migrations.h"
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
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  // Deliberately never closed: the reservation lasts until the process exits.
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

absl::Status OpenTestDatabase(const std::string& schema, int pool_size,
                              const std::vector<const pg::Migrations*>& migrations,
                              std::unique_ptr<TestDatabase>* db, std::unique_ptr<pg::Pool>* pool) {
  ASSIGN_OR_RETURN(*db, TestDatabase::Create());
  ASSIGN_OR_RETURN(*pool,
                   pg::Pool::Create({.dsn = (*db)->dsn(), .size = pool_size, .schema = schema}));
  return pg::Migrate(**pool, migrations);
}

namespace {

// Runs fork() on one thread that lives as long as the process: the kernel
// sends PR_SET_PDEATHSIG when the thread that forked ends, so a child forked
// from a short-lived test thread would die with that thread.
pid_t ForkOnLongLivedThread(std::function<void()> in_child) {
  struct Spawner {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::packaged_task<pid_t()>> tasks;
  };
  // Leaked: the thread may still wait on it while static destructors run.
  static Spawner* const spawner = [] {
    auto* s = new Spawner();
    std::thread([s] {
      while (true) {
        std::packaged_task<pid_t()> task;
        {
          std::unique_lock lock(s->mutex);
          s->ready.wait(lock, [&] { return !s->tasks.empty(); });
          task = std::move(s->tasks.front());
          s->tasks.pop_front();
        }
        task();
      }
    }).detach();
    return s;
  }();
  std::packaged_task<pid_t()> task([&in_child] {
    const pid_t pid = fork();
    if (pid == 0) in_child();        // does not return
    if (pid > 0) setpgid(pid, pid);  // also here: a kill(-pid) may come first
    return pid;
  });
  std::future<pid_t> pid = task.get_future();
  {
    std::lock_guard lock(spawner->mutex);
    spawner->tasks.push_back(std::move(task));
  }
  spawner->ready.notify_one();
  return pid.get();
}

}  // namespace

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

  const pid_t parent = getpid();
  // Between fork and exec only async-signal-safe calls.
  const pid_t pid = ForkOnLongLivedThread([&] {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the test died before prctl
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  });
  if (pid < 0) return absl::InternalError("fork failed");
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  child->pid_ = pid;
  return child;
}

ChildProcess::~ChildProcess() { Stop(SIGKILL, absl::Seconds(5)); }

bool ChildProcess::Running() {
  if (reaped_) return false;
  // Look without reaping: while the exited leader is a zombie its id still
  // names the group, so the group kill below cannot reach a stranger.
  siginfo_t info{};
  if (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0) {
    return true;
  }
  kill(-pid_, SIGKILL);  // whatever it started goes with it
  int status = -1;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  status_ = status;
  return false;
}

int ChildProcess::Stop(int signal, absl::Duration timeout) {
  if (!Running()) return status_;
  kill(-pid_, signal);
  if (!WaitUntil([&] { return !Running(); }, timeout)) {
    kill(-pid_, SIGKILL);
    WaitUntil([&] { return !Running(); }, absl::Seconds(5));
  }
  return status_;
}

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start(Options options) {
  auto server = std::unique_ptr<NatsServer>(new NatsServer());
  server->options_ = std::move(options);
  server->port_ = FreePort();
  RETURN_IF_ERROR(server->Launch());
  return server;
}

NatsServer::~NatsServer() { Stop(); }

std::string NatsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

absl::Status NatsServer::Launch() {
  std::vector<std::string> argv = {"nats-server", "-js", "-a", "127.0.0.1", "-p",
                                   std::to_string(port_), "-sd", dir_.path() + "/store",
                                   "--ports_file_dir", dir_.path()};
  if (!options_.config_file.empty()) {
    argv.insert(argv.end(), {"-c", options_.config_file});
  }
  ASSIGN_OR_RETURN(process_,
                   ChildProcess::Start(argv, options_.env, dir_.path() + "/nats.log"));
  if (!WaitUntil([&] { return ListeningOwnPort() || !process_->Running(); }, absl::Seconds(20)) ||
      !process_->Running()) {
    std::ifstream log(dir_.path() + "/nats.log");
    std::stringstream text;
    text << log.rdbuf();
    return absl::UnavailableError("nats-server did not start; its log: " + text.str());
  }
  return absl::OkStatus();
}

bool NatsServer::ListeningOwnPort() {
  // nats-server writes <name>_<pid>.ports once it listens.
  const std::string suffix = absl::StrCat("_", process_->pid(), ".ports");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    return text.str().find(url()) != std::string::npos;
  }
  return false;
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
