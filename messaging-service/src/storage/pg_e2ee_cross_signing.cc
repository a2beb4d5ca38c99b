// Cross-signing keys and uploaded signatures of PgE2eeStore (V062).
#include <set>

#include "common/status.h"
#include "messaging-service/src/storage/cross_signing_queries.h"
#include "messaging-service/src/storage/pg_e2ee_store.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {
namespace {

namespace q = cross_signing_queries;

}  // namespace

absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>>
PgE2eeStore::CrossSigningKeys(const std::vector<std::string>& user_ids) {
  std::map<std::string, std::map<std::string, std::string>> out;
  if (user_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kKeys, {nlohmann::json(user_ids).dump()}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetString(i, 0)][r.GetString(i, 1)] = r.GetString(i, 2);
  return out;
}

absl::Status PgE2eeStore::SetCrossSigningKeys(const std::string& user_id,
                                              const std::map<std::string, std::string>& keys,
                                              const std::string& edu_content) {
  return pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    for (const auto& [usage, json] : keys) {
      RETURN_IF_ERROR(tx.Exec(q::kUpsertKey, {user_id, usage, json}).status());
    }
    if (!server_name_.empty() && !edu_content.empty()) {
      RETURN_IF_ERROR(tx.Exec(q::kQueueSigningKeyUpdate, {user_id, edu_content}).status());
    }
    return MarkDeviceListChange(tx, user_id, "", false);
  });
}

absl::Status PgE2eeStore::AddSignatures(const std::vector<KeySignature>& signatures) {
  if (signatures.empty()) return absl::OkStatus();
  return pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    std::set<std::string> changed;  // target users: their keys look different now
    for (const KeySignature& s : signatures) {
      RETURN_IF_ERROR(tx.Exec(q::kUpsertSignature, {s.target_user, s.target_key, s.signer,
                                                    s.signer_key_id, s.signature})
                          .status());
      changed.insert(s.target_user);
    }
    for (const std::string& user : changed) {
      RETURN_IF_ERROR(MarkDeviceListChange(tx, user, "", false));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<KeySignature>> PgE2eeStore::Signatures(
    const std::vector<std::string>& user_ids) {
  std::vector<KeySignature> out;
  if (user_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kSignatures, {nlohmann::json(user_ids).dump()}));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2), r.GetString(i, 3),
                   r.GetString(i, 4)});
  }
  return out;
}

}  // namespace messenger::messaging
