// Test support: a fresh database per test binary on the test cluster, child
// processes (nats-server, the messenger binary), and polling with a deadline.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace messenger::testing {

// Polls `done` every `step` until it is true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout,
               absl::Duration step = absl::Milliseconds(5));

// A TCP port that was free a moment ago.
int FreePort();

// A new empty directory under $TMPDIR (removed by the destructor of TempDir).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "messenger-test");
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A database created for one test binary on the cluster named by
// MESSENGER_TEST_PG_DSN (set by scripts/test.sh), dropped at the end.
class TestDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create();
  ~TestDatabase();
  // libpq DSN of the new database.
  const std::string& dsn() const { return dsn_; }
  const std::string& name() const { return name_; }

 private:
  std::string admin_dsn_;
  std::string name_;
  std::string dsn_;
};

class ChildProcess {
 public:
  // argv[0] is a path or a name looked up on PATH. `env` entries are added to
  // (or replace those of) the current environment. Output goes to `log_path`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
      const std::string& log_path);
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal` and waits up to `timeout`; SIGKILL after that. Returns the
  // exit status as from waitpid (or -1).
  int Stop(int signal, absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

// A private nats-server -js on a free port with its own store.
class NatsServer {
 public:
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start();
  ~NatsServer();
  std::string url() const;
  int port() const { return port_; }
  void Stop();
  // kill -9: no clean shutdown, in-flight acks are lost.
  void Kill();
  // Starts again on the same port and store.
  absl::Status Restart();

 private:
  absl::Status Launch();
  TempDir dir_{"messenger-nats"};
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace messenger::testing

namespace messenger::bus {
class NatsBus;
struct Event;
}  // namespace messenger::bus

namespace messenger::testing {

// Every event stored in the MESSENGER_EVENTS stream, in stream order: what any
// JetStream consumer of the stream receives.
std::vector<bus::Event> ReadStream(bus::NatsBus& bus);

}  // namespace messenger::testing
