// PostgreSQL access over libpq: a connection pool, transactions with retry,
// named prepared statements with text parameters, and typed result reading.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct pg_conn;
struct pg_result;

namespace messenger::pg {

// A named, $n-parameterised statement, prepared once per connection.
struct Query {
  const char* name;
  const char* sql;
  // Planned at every execution instead (unnamed statement): for queue tables,
  // whose size swings; a plan cached while one was empty scans the whole heap
  // once it has grown.
  bool plan_each_time = false;
};

// One statement parameter, sent in text format; nullopt is SQL NULL.
class Param {
 public:
  Param(std::nullptr_t) {}  // NOLINT: NULL
  Param(std::string_view v) : value_(std::string(v)) {}  // NOLINT
  Param(const std::string& v) : value_(v) {}             // NOLINT
  Param(const char* v) : value_(std::string(v)) {}       // NOLINT
  Param(int64_t v) : value_(std::to_string(v)) {}        // NOLINT
  Param(int v) : value_(std::to_string(v)) {}            // NOLINT
  Param(bool v) : value_(v ? "true" : "false") {}        // NOLINT
  Param(absl::Time t);                                   // NOLINT
  template <typename T>
  Param(const std::optional<T>& v) {  // NOLINT
    if (v) *this = Param(*v);
  }
  // A bytea parameter from raw bytes.
  static Param Bytes(std::string_view raw);

  const std::optional<std::string>& value() const { return value_; }

 private:
  std::optional<std::string> value_;
};

class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result);
  Result(Result&&) noexcept = default;
  Result& operator=(Result&&) noexcept = default;

  int rows() const;
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected() const;
  bool IsNull(int row, int col) const;
  std::string_view Get(int row, int col) const;
  std::string GetString(int row, int col) const { return std::string(Get(row, col)); }
  int64_t GetInt64(int row, int col) const;
  bool GetBool(int row, int col) const;
  // timestamptz (sessions run with TimeZone UTC).
  absl::Time GetTime(int row, int col) const;
  std::optional<absl::Time> GetOptionalTime(int row, int col) const;
  // bytea as raw bytes.
  std::string GetBytes(int row, int col) const;

 private:
  struct Deleter {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Deleter> result_;
};

// SQLSTATE of a status that came from PostgreSQL ("" otherwise).
std::string_view SqlState(const absl::Status& status);
// Name of the violated constraint for a unique/foreign-key/check violation.
std::string_view ConstraintName(const absl::Status& status);
bool IsUniqueViolation(const absl::Status& status, std::string_view constraint = "");

class Pool;

// One pooled connection; statements run in autocommit unless inside Transaction.
class Conn {
 public:
  ~Conn();
  absl::StatusOr<Result> Exec(const Query& query, const std::vector<Param>& params = {});
  // Unprepared SQL, possibly several statements (migrations, BEGIN/COMMIT).
  absl::Status ExecScript(std::string_view sql);

 private:
  friend class Pool;
  Conn(std::string dsn, std::string schema);
  absl::Status EnsureConnected();
  absl::Status CheckResult(pg_result* result, std::string_view what);
  bool Broken() const;

  std::string dsn_;
  std::string schema_;
  pg_conn* conn_ = nullptr;
  std::unordered_set<std::string> prepared_;
};

// The transaction handle passed to Pool::Transaction's callback.
class Tx {
 public:
  absl::StatusOr<Result> Exec(const Query& query, const std::vector<Param>& params = {}) {
    return conn_.Exec(query, params);
  }
  // Runs after a successful COMMIT (e.g. to wake the outbox relay).
  void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
  // Runs when this attempt ends, committed or not (releases what it reserved).
  void Finally(std::function<void(bool committed)> fn) { finally_.push_back(std::move(fn)); }

 private:
  friend class Pool;
  explicit Tx(Conn& conn) : conn_(conn) {}
  void End(bool committed);
  Conn& conn_;
  std::vector<std::function<void()>> after_commit_;
  std::vector<std::function<void(bool)>> finally_;
};

class Pool {
 public:
  struct Options {
    std::string dsn;
    int size = 8;
    // Tables of this service live in this schema (search_path).
    std::string schema = "public";
    absl::Duration acquire_timeout = absl::Seconds(5);
    int max_retries = 5;  // on serialization failures and deadlocks
  };

  // Connects once to check the DSN; UNAVAILABLE when the server is unreachable.
  static absl::StatusOr<std::unique_ptr<Pool>> Create(Options options);
  ~Pool();

  // Runs `fn` in a READ COMMITTED transaction; commits when it returns OK, rolls
  // back otherwise. Retried from the start on serialization failure or deadlock.
  absl::Status Transaction(const std::function<absl::Status(Tx&)>& fn);
  // One statement in autocommit.
  absl::StatusOr<Result> Exec(const Query& query, const std::vector<Param>& params = {});
  // Runs `fn` with a connection held for its duration (no transaction).
  absl::Status WithConnection(const std::function<absl::Status(Conn&)>& fn);
  absl::Status Ping();

  const Options& options() const { return options_; }
  int in_use() const;

 private:
  explicit Pool(Options options);
  absl::StatusOr<std::unique_ptr<Conn>> Acquire();
  void Release(std::unique_ptr<Conn> conn);

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_ = 0;
  int in_use_ = 0;
};

}  // namespace messenger::pg
