// What federation keeps in PostgreSQL: our verify keys (current and retired)
// and the key documents of other servers. An interface, so the key logic is
// tested without a database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/pg.h"
#include "messaging-service/src/domain/matrix/server_keys.h"

namespace messenger::federation {

struct StoredRemoteKeys {
  std::string document;  // JSON text as checked
  absl::Time fetched_at;
  absl::Time usable_until;
};

class FederationStore {
 public:
  virtual ~FederationStore() = default;
  // Makes `key_id` the current key and retires every other current one at
  // `now`, in one transaction. Returns the retired keys (old_verify_keys).
  virtual absl::StatusOr<std::vector<matrix::OldVerifyKey>> UseVerifyKey(
      const std::string& key_id, const std::string& public_key, absl::Time now) = 0;
  // Records a key as retired at `now` unless it is known already.
  virtual absl::Status RetireVerifyKey(const std::string& key_id, const std::string& public_key,
                                       absl::Time now) = 0;
  virtual absl::StatusOr<std::optional<StoredRemoteKeys>> RemoteKeys(
      const std::string& server_name) = 0;
  virtual absl::Status SaveRemoteKeys(const std::string& server_name,
                                      const StoredRemoteKeys& keys) = 0;
  // The id of the local user with this Matrix localpart.
  virtual absl::StatusOr<std::optional<std::string>> LocalUserId(const std::string& localpart) = 0;
  // The answer kept for the transaction `txn_id` of `origin`, if any.
  virtual absl::StatusOr<std::optional<std::string>> TransactionAnswer(
      const std::string& origin, const std::string& txn_id) = 0;
  // Keeps `answer` unless an answer is kept already, and returns the kept
  // one: a concurrent retry that committed first wins.
  virtual absl::StatusOr<std::string> KeepTransactionAnswer(const std::string& origin,
                                                            const std::string& txn_id,
                                                            const std::string& answer,
                                                            absl::Time now) = 0;
  // Deletes the answers received before `before`; returns how many.
  virtual absl::StatusOr<int64_t> ForgetTransactions(absl::Time before) = 0;
};

class PgFederationStore final : public FederationStore {
 public:
  explicit PgFederationStore(pg::Pool& pool) : pool_(pool) {}
  absl::StatusOr<std::vector<matrix::OldVerifyKey>> UseVerifyKey(const std::string& key_id,
                                                                 const std::string& public_key,
                                                                 absl::Time now) override;
  absl::Status RetireVerifyKey(const std::string& key_id, const std::string& public_key,
                               absl::Time now) override;
  absl::StatusOr<std::optional<StoredRemoteKeys>> RemoteKeys(
      const std::string& server_name) override;
  absl::Status SaveRemoteKeys(const std::string& server_name,
                              const StoredRemoteKeys& keys) override;
  absl::StatusOr<std::optional<std::string>> LocalUserId(const std::string& localpart) override;
  absl::StatusOr<std::optional<std::string>> TransactionAnswer(const std::string& origin,
                                                               const std::string& txn_id) override;
  absl::StatusOr<std::string> KeepTransactionAnswer(const std::string& origin,
                                                    const std::string& txn_id,
                                                    const std::string& answer,
                                                    absl::Time now) override;
  absl::StatusOr<int64_t> ForgetTransactions(absl::Time before) override;

 private:
  pg::Pool& pool_;
};

}  // namespace messenger::federation
