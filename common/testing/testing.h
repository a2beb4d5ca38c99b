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

namespace messenger::bus {
class NatsBus;
struct Event;
}  // namespace messenger::bus

namespace messenger::pg {
class Pool;
struct Migrations;
}  // namespace messenger::pg

namespace messenger::testing {

// Polls `done` every `step` until it is true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout,
               absl::Duration step = absl::Milliseconds(5));

// A TCP port on 127.0.0.1 reserved for the rest of this process: a socket of
// ours stays bound to it (SO_REUSEADDR, never listening), so no other bind to
// port 0, outgoing connection or later FreePort call gets it, while a child
// that binds it with SO_REUSEADDR (gRPC, our HTTP server, nats-server and
// PostgreSQL all do) can listen on it, also again after a restart.
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

// The opening of every storage test: a fresh TestDatabase, a pool of
// `pool_size` connections on it working in `schema`, and `migrations` applied.
absl::Status OpenTestDatabase(const std::string& schema, int pool_size,
                              const std::vector<const pg::Migrations*>& migrations,
                              std::unique_ptr<TestDatabase>* db, std::unique_ptr<pg::Pool>* pool);

// A child in a process group of its own: Stop, the destructor and the child's
// own exit kill the whole group, so nothing it started outlives it; and it
// gets SIGKILL if this test process dies (a crash, std::terminate, a ctest
// timeout) before its destructor ran.
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
  // Sends `signal` to the group and waits up to `timeout`; SIGKILL after
  // that. Returns the exit status as from waitpid (or -1).
  int Stop(int signal, absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

// A private nats-server -js on a reserved port with its own store. Ready once
// the ports file written by its own pid lists that port: never another test's
// server answering on it.
class NatsServer {
 public:
  struct Options {
    // A nats-server configuration file (-c), e.g. one with users; the
    // command-line flags (port, JetStream store) still apply.
    std::string config_file;
    // Added to the server's environment (variables the configuration names).
    std::map<std::string, std::string> env;
  };
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start(Options options = {});
  ~NatsServer();
  std::string url() const;
  int port() const { return port_; }
  // nats-server's log (its stdout and stderr).
  std::string log_path() const { return dir_.path() + "/nats.log"; }
  void Stop();
  // kill -9: no clean shutdown, in-flight acks are lost.
  void Kill();
  // Starts again on the same port and store.
  absl::Status Restart();

 private:
  absl::Status Launch();
  // True once this child's ports file names our port; false if it died.
  bool ListeningOwnPort();
  TempDir dir_{"messenger-nats"};
  Options options_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Every event stored in the MESSENGER_EVENTS stream, in stream order: what any
// JetStream consumer of the stream receives.
std::vector<bus::Event> ReadStream(bus::NatsBus& bus);

}  // namespace messenger::testing
