#include "messaging-service/src/federation/federation_store.h"

#include "common/status.h"

namespace messenger::federation {
namespace {

constexpr pg::Query kRetireOthers{
    "fed_retire_keys",
    "UPDATE federation_verify_keys SET expired_ts = $2 WHERE key_id <> $1 AND expired_ts IS NULL"};
constexpr pg::Query kUseKey{
    "fed_use_key",
    "INSERT INTO federation_verify_keys (key_id, public_key, expired_ts) VALUES ($1, $2, NULL) "
    "ON CONFLICT (key_id) DO UPDATE SET expired_ts = NULL"};
constexpr pg::Query kRetireKey{
    "fed_retire_key",
    "INSERT INTO federation_verify_keys (key_id, public_key, expired_ts) VALUES ($1, $2, $3) "
    "ON CONFLICT (key_id) DO NOTHING"};
constexpr pg::Query kOldKeys{"fed_old_keys",
                             "SELECT key_id, public_key, expired_ts FROM federation_verify_keys "
                             "WHERE expired_ts IS NOT NULL ORDER BY key_id"};
constexpr pg::Query kRemoteKeys{
    "fed_remote_keys",
    "SELECT document, fetched_at, usable_until FROM federation_remote_keys WHERE server_name = $1"};
constexpr pg::Query kSaveRemoteKeys{
    "fed_save_remote_keys",
    "INSERT INTO federation_remote_keys (server_name, document, fetched_at, usable_until) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (server_name) DO UPDATE SET document = EXCLUDED.document, "
    "fetched_at = EXCLUDED.fetched_at, usable_until = EXCLUDED.usable_until "
    "WHERE federation_remote_keys.fetched_at <= EXCLUDED.fetched_at"};
constexpr pg::Query kLocalUser{"fed_local_user", "SELECT user_id FROM users WHERE username = $1"};
constexpr pg::Query kTransactionAnswer{
    "fed_txn_answer",
    "SELECT answer FROM federation_transactions WHERE origin = $1 AND txn_id = $2"};
constexpr pg::Query kKeepTransactionAnswer{
    "fed_keep_txn_answer",
    "INSERT INTO federation_transactions (origin, txn_id, answer, received_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (origin, txn_id) DO NOTHING"};
constexpr pg::Query kForgetTransactions{
    "fed_forget_txns", "DELETE FROM federation_transactions WHERE received_at < $1"};

}  // namespace

absl::StatusOr<std::vector<matrix::OldVerifyKey>> PgFederationStore::UseVerifyKey(
    const std::string& key_id, const std::string& public_key, absl::Time now) {
  std::vector<matrix::OldVerifyKey> old;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    old.clear();
    RETURN_IF_ERROR(tx.Exec(kRetireOthers, {key_id, absl::ToUnixMillis(now)}).status());
    RETURN_IF_ERROR(tx.Exec(kUseKey, {key_id, pg::Param::Bytes(public_key)}).status());
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(kOldKeys));
    for (int i = 0; i < r.rows(); ++i) {
      old.push_back({r.GetString(i, 0), r.GetBytes(i, 1), r.GetInt64(i, 2)});
    }
    return absl::OkStatus();
  }));
  return old;
}

absl::Status PgFederationStore::RetireVerifyKey(const std::string& key_id,
                                                const std::string& public_key, absl::Time now) {
  return pool_.Exec(kRetireKey, {key_id, pg::Param::Bytes(public_key), absl::ToUnixMillis(now)})
      .status();
}

absl::StatusOr<std::optional<StoredRemoteKeys>> PgFederationStore::RemoteKeys(
    const std::string& server_name) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kRemoteKeys, {server_name}));
  if (r.rows() == 0) return std::nullopt;
  return StoredRemoteKeys{r.GetString(0, 0), r.GetTime(0, 1), r.GetTime(0, 2)};
}

absl::Status PgFederationStore::SaveRemoteKeys(const std::string& server_name,
                                               const StoredRemoteKeys& keys) {
  return pool_
      .Exec(kSaveRemoteKeys, {server_name, keys.document, keys.fetched_at, keys.usable_until})
      .status();
}

absl::StatusOr<std::optional<std::string>> PgFederationStore::LocalUserId(
    const std::string& localpart) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kLocalUser, {localpart}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::optional<std::string>> PgFederationStore::TransactionAnswer(
    const std::string& origin, const std::string& txn_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kTransactionAnswer, {origin, txn_id}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::string> PgFederationStore::KeepTransactionAnswer(const std::string& origin,
                                                                     const std::string& txn_id,
                                                                     const std::string& answer,
                                                                     absl::Time now) {
  ASSIGN_OR_RETURN(pg::Result inserted,
                   pool_.Exec(kKeepTransactionAnswer, {origin, txn_id, answer, now}));
  if (inserted.affected() == 1) return answer;
  ASSIGN_OR_RETURN(std::optional<std::string> kept, TransactionAnswer(origin, txn_id));
  // Deleted between the two statements: the answer given now is as good.
  return kept.value_or(answer);
}

absl::StatusOr<int64_t> PgFederationStore::ForgetTransactions(absl::Time before) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kForgetTransactions, {before}));
  return r.affected();
}

}  // namespace messenger::federation
