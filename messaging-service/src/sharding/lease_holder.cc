#include "messaging-service/src/sharding/lease_holder.h"

#include <libpq-fe.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg/pg.h"
#include "common/status.h"
#include "messaging-service/src/sharding/shard_plan.h"

namespace messenger::messaging {
namespace {

// PostgreSQL notices a peer that vanished without closing (host down, cable
// out) after keepalive idle + count * interval = 5 + 3 * 2 = 11 s, or when
// data stays unacknowledged for 10 s; then the backend ends and its advisory
// locks go. A killed process closes its socket: its locks go at once.
constexpr char kServerOptions[] =
    "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
    "-c tcp_user_timeout=10000";

absl::StatusOr<pg::Result> Exec(pg_conn* conn, const std::string& sql,
                                const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  pg_result* raw = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  pg::Result result(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return absl::UnavailableError(absl::StrCat("shard lease: ", PQerrorMessage(conn)));
  }
  return result;
}

}  // namespace

LeaseHolder::LeaseHolder(Options options, std::function<void(int shard)> on_gain)
    : options_(std::move(options)),
      on_gain_(std::move(on_gain)),
      gauge_(metrics::Registry::Default().AddGauge(
          "messaging_shards_held", "Room shards this replica writes", {},
          [this] { return static_cast<double>(held().size()); })) {}

LeaseHolder::~LeaseHolder() { Stop(); }

absl::Status LeaseHolder::Start() {
  RETURN_IF_ERROR(Round());
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void LeaseHolder::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
    // Best effort: closing the connection frees the locks anyway.
    (void)Exec(conn_, "DELETE FROM shard_owners WHERE replica_id = $1", {options_.replica_id});
    (void)Exec(conn_, "DELETE FROM messaging_replicas WHERE replica_id = $1",
               {options_.replica_id});
    (void)Exec(conn_, "SELECT pg_advisory_unlock_all()");
    log::Info("shards released", {{"count", static_cast<int64_t>(held_.size())}});
  }
  Disconnect();
}

void LeaseHolder::Disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  held_.clear();
  owners_.clear();
}

absl::Status LeaseHolder::EnsureConnected() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
  Disconnect();  // a new session holds nothing
  const std::string options =
      absl::StrCat(kServerOptions, " -c search_path=", options_.schema);
  const char* keys[] = {"dbname",        "keepalives",       "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "connect_timeout", "application_name", "options",
                        nullptr};
  const std::string application = "messaging-lease " + options_.replica_id;
  const char* values[] = {options_.dsn.c_str(), "1", "5", "2", "3", "10000", "5",
                          application.c_str(), options.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    absl::Status status =
        absl::UnavailableError(absl::StrCat("shard lease connection: ", PQerrorMessage(conn_)));
    Disconnect();
    return status;
  }
  return absl::OkStatus();
}

absl::Status LeaseHolder::Take(int shard) {
  ASSIGN_OR_RETURN(pg::Result locked,
                   Exec(conn_, "SELECT pg_try_advisory_lock($1, $2)",
                        {std::to_string(kShardLockSpace), std::to_string(shard)}));
  if (!locked.GetBool(0, 0)) return absl::NotFoundError("held elsewhere");
  on_gain_(shard);  // its rooms may have moved on while another replica wrote them
  RETURN_IF_ERROR(Exec(conn_,
                       "INSERT INTO shard_owners (shard, replica_id, since) VALUES ($1, $2, now()) "
                       "ON CONFLICT (shard) DO UPDATE SET replica_id = $2, since = now()",
                       {std::to_string(shard), options_.replica_id})
                      .status());
  held_.insert(shard);
  owners_.erase(shard);
  log::Info("shard taken", {{"shard", shard}});
  return absl::OkStatus();
}

absl::Status LeaseHolder::Release(int shard) {
  RETURN_IF_ERROR(Exec(conn_, "DELETE FROM shard_owners WHERE shard = $1 AND replica_id = $2",
                       {std::to_string(shard), options_.replica_id})
                      .status());
  RETURN_IF_ERROR(Exec(conn_, "SELECT pg_advisory_unlock($1, $2)",
                       {std::to_string(kShardLockSpace), std::to_string(shard)})
                      .status());
  held_.erase(shard);
  log::Info("shard released", {{"shard", shard}});
  return absl::OkStatus();
}

absl::Status LeaseHolder::Round() {
  std::lock_guard lock(mutex_);
  if (stopping_) return absl::OkStatus();
  RETURN_IF_ERROR(EnsureConnected());
  absl::Status status = [&]() -> absl::Status {
    const std::string stale =
        std::to_string(absl::ToInt64Milliseconds(options_.stale_after)) + " milliseconds";
    RETURN_IF_ERROR(Exec(conn_,
                         "INSERT INTO messaging_replicas (replica_id, grpc_address, heartbeat_at) "
                         "VALUES ($1, $2, now()) ON CONFLICT (replica_id) DO UPDATE "
                         "SET grpc_address = $2, heartbeat_at = now()",
                         {options_.replica_id, options_.address})
                        .status());
    RETURN_IF_ERROR(Exec(conn_,
                         "DELETE FROM messaging_replicas WHERE heartbeat_at < now() - "
                         "interval '1 hour'")
                        .status());  // replicas long gone
    ASSIGN_OR_RETURN(pg::Result live,
                     Exec(conn_,
                          "SELECT count(*) FROM messaging_replicas "
                          "WHERE heartbeat_at > now() - $1::interval",
                          {stale}));
    // Who holds what, from the lock manager itself.
    ASSIGN_OR_RETURN(pg::Result locks,
                     Exec(conn_,
                          "SELECT objid::int FROM pg_locks WHERE locktype = 'advisory' "
                          "AND classid = $1 AND objsubid = 2 AND granted "
                          "AND database = (SELECT oid FROM pg_database "
                          "WHERE datname = current_database())",
                          {std::to_string(kShardLockSpace)}));
    std::set<int> taken;
    for (int i = 0; i < locks.rows(); ++i) taken.insert(static_cast<int>(locks.GetInt64(i, 0)));
    const LeasePlan plan = PlanLeases(held_, taken, static_cast<int>(live.GetInt64(0, 0)));
    for (int shard : plan.release) RETURN_IF_ERROR(Release(shard));
    for (int shard : plan.take) {
      absl::Status took = Take(shard);
      if (!took.ok() && !absl::IsNotFound(took)) return took;
    }
    ASSIGN_OR_RETURN(pg::Result owners,
                     Exec(conn_,
                          "SELECT o.shard, r.grpc_address FROM shard_owners o "
                          "JOIN messaging_replicas r USING (replica_id) "
                          "WHERE o.replica_id <> $1",
                          {options_.replica_id}));
    owners_.clear();
    for (int i = 0; i < owners.rows(); ++i) {
      const int shard = static_cast<int>(owners.GetInt64(i, 0));
      // A row without a lock behind it is a dead replica's leftover.
      if (taken.count(shard) && !held_.count(shard)) owners_[shard] = owners.GetString(i, 1);
    }
    return absl::OkStatus();
  }();
  // Unsure whether the session still holds its locks: act as holding none.
  if (!status.ok()) Disconnect();
  return status;
}

void LeaseHolder::Recheck() {
  {
    std::lock_guard lock(mutex_);
    recheck_ = true;
  }
  wake_.notify_all();
}

void LeaseHolder::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval),
                   [this] { return stopping_ || recheck_; });
    if (stopping_) break;
    recheck_ = false;
    lock.unlock();
    absl::Status status = Round();
    if (!status.ok()) log::Warn("shard lease round failed", {{"error", status.ToString()}});
    lock.lock();
  }
}

LeaseHolder::Owner LeaseHolder::OwnerOf(int shard) {
  std::lock_guard lock(mutex_);
  if (held_.count(shard)) return {.here = true};
  auto it = owners_.find(shard);
  if (it == owners_.end()) return {};
  return {.here = false, .address = it->second};
}

bool LeaseHolder::TryTake(int shard) {
  std::lock_guard lock(mutex_);
  if (held_.count(shard)) return true;
  if (stopping_ || !EnsureConnected().ok()) return false;
  absl::Status took = Take(shard);
  if (!took.ok() && !absl::IsNotFound(took)) {
    log::Warn("shard take failed", {{"shard", shard}, {"error", took.ToString()}});
    Disconnect();
  }
  return took.ok();
}

std::set<int> LeaseHolder::held() {
  std::lock_guard lock(mutex_);
  return held_;
}

}  // namespace messenger::messaging
