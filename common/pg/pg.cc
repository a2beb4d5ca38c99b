#include "common/pg/pg.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg/pg_metrics.h"
#include "common/time_util.h"

namespace messenger::pg {
namespace {

constexpr char kSqlStatePayload[] = "messenger/pg/sqlstate";
constexpr char kConstraintPayload[] = "messenger/pg/constraint";

absl::StatusCode CodeForSqlState(std::string_view state) {
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (state == "23503") return absl::StatusCode::kFailedPrecondition;
  if (state == "23514" || state == "23502" || state.substr(0, 2) == "22") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;
  if (state.substr(0, 2) == "08" || state == "57P01" || state == "57P03") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

std::optional<int> ParseDigits(std::string_view s) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// PostgreSQL ISO output with TimeZone UTC: "2026-11-22 05:09:00.123456+00".
std::optional<absl::Time> ParsePgTimestamp(std::string_view s) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  auto year = ParseDigits(s.substr(0, 4)), month = ParseDigits(s.substr(5, 2)),
       day = ParseDigits(s.substr(8, 2)), hour = ParseDigits(s.substr(11, 2)),
       minute = ParseDigits(s.substr(14, 2)), second = ParseDigits(s.substr(17, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) {
        micros = micros * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  int offset_seconds = 0;
  if (pos < s.size()) {
    const int sign = s[pos] == '-' ? -1 : 1;
    std::string_view rest = s.substr(pos + 1);
    auto oh = ParseDigits(rest.substr(0, 2));
    if (!oh) return std::nullopt;
    offset_seconds = *oh * 3600;
    if (rest.size() >= 5 && rest[2] == ':') {
      auto om = ParseDigits(rest.substr(3, 2));
      if (!om) return std::nullopt;
      offset_seconds += *om * 60;
    }
    offset_seconds *= sign;
  }
  const absl::CivilSecond civil(*year, *month, *day, *hour, *minute, *second);
  return absl::FromCivil(civil, absl::UTCTimeZone()) - absl::Seconds(offset_seconds) +
         absl::Microseconds(micros);
}

// What a client may read: stable per code, no statement name or PostgreSQL
// text (those name tables, columns and values).
const char* ClientMessage(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kAlreadyExists: return "already exists";
    case absl::StatusCode::kFailedPrecondition: return "refers to something that does not exist";
    case absl::StatusCode::kInvalidArgument: return "a value was rejected";
    case absl::StatusCode::kAborted: return "conflicting concurrent change; try again";
    case absl::StatusCode::kDeadlineExceeded: return "database query timed out";
    case absl::StatusCode::kUnavailable: return "database unavailable";
    default: return "database error";
  }
}

// The detail goes to the log (with the thread's trace id), the status gets a
// stable message; SQLSTATE and constraint stay readable as payloads.
absl::Status PgError(pg_result* result, pg_conn* conn, std::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* constraint = result ? PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : (conn ? PQerrorMessage(conn) : "no connection");
  while (!message.empty() && message.back() == '\n') message.pop_back();
  std::string sqlstate = state ? state : "08000";  // no result: the connection failed
  const absl::StatusCode code = CodeForSqlState(sqlstate);
  // Unique violations and serialization failures are routine (callers handle them).
  const bool routine = sqlstate == "23505" || code == absl::StatusCode::kAborted;
  log::Write(routine ? log::Level::kDebug : log::Level::kWarn, "postgres error",
             {{"statement", std::string(what)},
              {"sqlstate", sqlstate},
              {"constraint", constraint ? constraint : ""},
              {"error", message}});
  absl::Status status(code, ClientMessage(code));
  status.SetPayload(kSqlStatePayload, absl::Cord(sqlstate));
  if (constraint) status.SetPayload(kConstraintPayload, absl::Cord(std::string(constraint)));
  return status;
}

}  // namespace

// ---- Param ----

Param::Param(absl::Time t) : value_(absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone())) {}

Param Param::Bytes(std::string_view raw) { return Param("\\x" + HexEncode(raw)); }

// ---- Result ----

void Result::Deleter::operator()(pg_result* r) const { PQclear(r); }

Result::Result(pg_result* result) : result_(result) {}

int Result::rows() const { return result_ ? PQntuples(result_.get()) : 0; }

int64_t Result::affected() const {
  if (!result_) return 0;
  int64_t n = 0;
  (void)absl::SimpleAtoi(PQcmdTuples(result_.get()), &n);
  return n;
}

bool Result::IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }

std::string_view Result::Get(int row, int col) const {
  return std::string_view(PQgetvalue(result_.get(), row, col),
                          PQgetlength(result_.get(), row, col));
}

int64_t Result::GetInt64(int row, int col) const {
  int64_t v = 0;
  (void)absl::SimpleAtoi(std::string(Get(row, col)), &v);
  return v;
}

bool Result::GetBool(int row, int col) const { return Get(row, col) == "t"; }

absl::Time Result::GetTime(int row, int col) const {
  return ParsePgTimestamp(Get(row, col)).value_or(absl::UnixEpoch());
}

std::optional<absl::Time> Result::GetOptionalTime(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return GetTime(row, col);
}

std::string Result::GetBytes(int row, int col) const {
  size_t len = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, col)),
                      &len);
  if (raw == nullptr) return "";
  std::string out(reinterpret_cast<char*>(raw), len);
  PQfreemem(raw);
  return out;
}

std::string_view SqlState(const absl::Status& status) {
  static thread_local std::string state;
  auto payload = status.GetPayload(kSqlStatePayload);
  state = payload ? std::string(*payload) : "";
  return state;
}

std::string_view ConstraintName(const absl::Status& status) {
  static thread_local std::string name;
  auto payload = status.GetPayload(kConstraintPayload);
  name = payload ? std::string(*payload) : "";
  return name;
}

bool IsUniqueViolation(const absl::Status& status, std::string_view constraint) {
  return SqlState(status) == "23505" && (constraint.empty() || ConstraintName(status) == constraint);
}

// ---- Conn ----

Conn::Conn(std::string dsn, std::string schema) : dsn_(std::move(dsn)), schema_(std::move(schema)) {}

Conn::~Conn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool Conn::Broken() const { return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }

absl::Status Conn::EnsureConnected() {
  if (!Broken()) return absl::OkStatus();
  if (conn_ != nullptr) PQfinish(conn_);
  prepared_.clear();
  conn_ = PQconnectdb(dsn_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    // The text names hosts and ports: log it, tell callers only the fact.
    log::Warn("postgres connect failed", {{"error", message}});
    return absl::UnavailableError(ClientMessage(absl::StatusCode::kUnavailable));
  }
  // Server NOTICEs ("already exists, skipping") are noise on stderr.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  // Quoted identifier: the schema name comes from code, never from users.
  return ExecScript(absl::StrCat("SET search_path TO \"", schema_,
                                 "\", public; SET TimeZone TO 'UTC'"));
}

absl::Status Conn::CheckResult(pg_result* result, std::string_view what) {
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return PgError(result, conn_, what);
}

absl::StatusOr<Result> Conn::Exec(const Query& query, const std::vector<Param>& params) {
  static metrics::Counter& statements =
      metrics::Registry::Default().GetCounter(kStatementsMetric, "PostgreSQL statements sent");
  if (auto s = EnsureConnected(); !s.ok()) return s;
  statements.Inc();
  if (!query.plan_each_time && !prepared_.contains(query.name)) {
    pg_result* prepared = PQprepare(conn_, query.name, query.sql, 0, nullptr);
    absl::Status status = CheckResult(prepared, absl::StrCat("prepare ", query.name));
    PQclear(prepared);
    if (!status.ok()) return status;
    prepared_.insert(query.name);
  }
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i].value() ? params[i].value()->c_str() : nullptr;
  }
  pg_result* raw =
      query.plan_each_time
          ? PQexecParams(conn_, query.sql, static_cast<int>(params.size()), nullptr, values.data(),
                         nullptr, nullptr, 0)
          : PQexecPrepared(conn_, query.name, static_cast<int>(params.size()), values.data(),
                           nullptr, nullptr, 0);
  Result result(raw);
  if (auto s = CheckResult(raw, query.name); !s.ok()) return s;
  return result;
}

absl::Status Conn::ExecScript(std::string_view sql) {
  if (conn_ == nullptr) return absl::UnavailableError("postgres: not connected");
  pg_result* raw = PQexec(conn_, std::string(sql).c_str());
  absl::Status status = CheckResult(raw, "script");
  PQclear(raw);
  return status;
}

// ---- Tx ----

void Tx::End(bool committed) {
  for (auto& fn : finally_) fn(committed);
  if (committed) {
    for (auto& fn : after_commit_) fn();
  }
}

// ---- Pool ----

Pool::Pool(Options options) : options_(std::move(options)) {}

Pool::~Pool() = default;

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(Options options) {
  std::unique_ptr<Pool> pool(new Pool(std::move(options)));
  if (auto s = pool->Ping(); !s.ok()) return s;
  return pool;
}

absl::StatusOr<std::unique_ptr<Conn>> Pool::Acquire() {
  std::unique_lock lock(mutex_);
  const bool got = available_.wait_for(
      lock, absl::ToChronoNanoseconds(options_.acquire_timeout),
      [&] { return !idle_.empty() || open_ < options_.size; });
  if (!got) return absl::UnavailableError("postgres pool exhausted");
  std::unique_ptr<Conn> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  } else {
    conn.reset(new Conn(options_.dsn, options_.schema));
    ++open_;
  }
  ++in_use_;
  lock.unlock();
  if (auto s = conn->EnsureConnected(); !s.ok()) {
    Release(std::move(conn));
    return s;
  }
  return conn;
}

void Pool::Release(std::unique_ptr<Conn> conn) {
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    if (conn->Broken()) {
      --open_;  // dropped; a fresh one is opened on demand
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  available_.notify_one();
}

int Pool::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

absl::Status Pool::WithConnection(const std::function<absl::Status(Conn&)>& fn) {
  auto conn = Acquire();
  if (!conn.ok()) return conn.status();
  absl::Status status = fn(**conn);
  Release(std::move(*conn));
  return status;
}

absl::StatusOr<Result> Pool::Exec(const Query& query, const std::vector<Param>& params) {
  absl::StatusOr<Result> out = absl::UnknownError("not run");
  absl::Status status = WithConnection([&](Conn& conn) {
    out = conn.Exec(query, params);
    return out.status();
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status Pool::Ping() {
  static constexpr Query kPing{"messenger_ping", "SELECT 1"};
  return Exec(kPing).status();
}

absl::Status Pool::Transaction(const std::function<absl::Status(Tx&)>& fn) {
  absl::Status status;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    auto conn = Acquire();
    if (!conn.ok()) return conn.status();
    Tx tx(**conn);
    status = (*conn)->ExecScript("BEGIN");
    if (!status.ok() && (*conn)->Broken()) {
      // A pooled connection the server dropped (e.g. after a restart): nothing ran yet.
      Release(std::move(*conn));
      continue;
    }
    if (status.ok()) {
      status = fn(tx);
      if (status.ok()) {
        status = (*conn)->ExecScript("COMMIT");
      } else {
        (void)(*conn)->ExecScript("ROLLBACK");
      }
    }
    Release(std::move(*conn));
    tx.End(status.ok());
    if (status.ok()) return status;
    const std::string_view state = SqlState(status);
    if (state != "40001" && state != "40P01") return status;
    log::Debug("retrying transaction", {{"sqlstate", std::string(state)}, {"attempt", attempt}});
  }
  return status;
}

}  // namespace messenger::pg
