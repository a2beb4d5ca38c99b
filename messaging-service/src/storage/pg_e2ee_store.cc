#include "messaging-service/src/storage/pg_e2ee_store.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/storage/e2ee_queries.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {
namespace {

namespace q = e2ee_queries;

std::string JsonArray(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

absl::StatusOr<std::map<std::string, int64_t>> OneTimeCounts(pg::Tx& tx, const DeviceRef& d) {
  ASSIGN_OR_RETURN(pg::Result r, tx.Exec(q::kOneTimeCounts, {d.user_id, d.device_id}));
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < r.rows(); ++i) counts[r.GetString(i, 0)] = r.GetInt64(i, 1);
  return counts;
}

// The deliveries with "*" replaced by the user's devices, sorted so that
// concurrent senders lock inbox counters in one order (no deadlock).
absl::StatusOr<std::vector<Delivery>> Expand(pg::Tx& tx, const std::vector<Delivery>& deliveries) {
  std::vector<Delivery> out;
  for (const Delivery& d : deliveries) {
    if (d.device_id != kAllDevices) {
      out.push_back(d);
      continue;
    }
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(q::kDevicesOf, {d.user_id}));
    for (int i = 0; i < r.rows(); ++i) out.push_back({d.user_id, r.GetString(i, 0), d.event});
  }
  auto key = [](const Delivery& d) { return std::tie(d.user_id, d.device_id); };
  std::stable_sort(out.begin(), out.end(),
                   [&key](const Delivery& a, const Delivery& b) { return key(a) < key(b); });
  // One message per device: a device named and reached by "*" gets it once.
  out.erase(std::unique(out.begin(), out.end(),
                        [&key](const Delivery& a, const Delivery& b) { return key(a) == key(b); }),
            out.end());
  return out;
}

}  // namespace

absl::Status PgE2eeStore::MarkDeviceListChange(pg::Tx& tx, const std::string& user_id,
                                               const std::string& device_id, bool deleted) {
  ASSIGN_OR_RETURN(pg::Result pos, tx.Exec(q::kNextDeviceListPos));
  RETURN_IF_ERROR(tx.Exec(q::kMarkDeviceListChange, {user_id, pos.GetInt64(0, 0)}).status());
  if (!server_name_.empty() && !device_id.empty()) {
    RETURN_IF_ERROR(tx.Exec(q::kQueueDeviceListUpdate, {user_id, device_id, server_name_,
                                                        pos.GetInt64(0, 0), deleted})
                        .status());
  }
  ASSIGN_OR_RETURN(pg::Result r, tx.Exec(q::kWatchers, {user_id}));
  std::vector<std::string> watchers;
  for (int i = 0; i < r.rows(); ++i) watchers.push_back(r.GetString(i, 0));
  if (wake_) wake_(tx, std::move(watchers));
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int64_t>> PgE2eeStore::UploadKeys(
    const DeviceRef& device, const std::string& session_id, const KeyUpload& upload,
    int64_t max_one_time_keys) {
  std::map<std::string, int64_t> counts;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result row,
                     tx.Exec(q::kUpsertDevice, {device.user_id, device.device_id, session_id}));
    if (upload.device_keys.has_value() &&
        (row.IsNull(0, 0) || row.Get(0, 0) != *upload.device_keys)) {
      RETURN_IF_ERROR(
          tx.Exec(q::kSetDeviceKeys, {device.user_id, device.device_id, *upload.device_keys})
              .status());
      RETURN_IF_ERROR(MarkDeviceListChange(tx, device.user_id, device.device_id, false));
    }
    for (const UploadedKey& k : upload.one_time_keys) {
      RETURN_IF_ERROR(tx.Exec(q::kInsertOneTimeKey,
                              {device.user_id, device.device_id, k.algorithm, k.key_id, k.json})
                          .status());
    }
    for (const UploadedKey& k : upload.fallback_keys) {
      RETURN_IF_ERROR(tx.Exec(q::kUpsertFallbackKey,
                              {device.user_id, device.device_id, k.algorithm, k.key_id, k.json})
                          .status());
    }
    ASSIGN_OR_RETURN(counts, OneTimeCounts(tx, device));
    int64_t total = 0;
    for (const auto& [algorithm, n] : counts) total += n;
    if (total > max_one_time_keys) {
      return absl::OutOfRangeError(absl::StrCat("a device holds at most ", max_one_time_keys,
                                                " one-time keys; wait until some are claimed"));
    }
    return absl::OkStatus();
  }));
  return counts;
}

absl::StatusOr<std::map<std::string, std::string>> PgE2eeStore::UserIds(
    const std::vector<std::string>& usernames) {
  std::map<std::string, std::string> out;
  if (usernames.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kUserIds, {JsonArray(usernames)}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetString(i, 0)] = r.GetString(i, 1);
  return out;
}

absl::StatusOr<std::set<std::string>> PgE2eeStore::Visible(
    const std::string& viewer, const std::vector<std::string>& user_ids) {
  std::set<std::string> out;
  if (user_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kVisible, {viewer, JsonArray(user_ids)}));
  for (int i = 0; i < r.rows(); ++i) out.insert(r.GetString(i, 0));
  return out;
}

absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>> PgE2eeStore::DeviceKeys(
    const std::vector<std::string>& user_ids) {
  std::map<std::string, std::map<std::string, std::string>> out;
  if (user_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kDeviceKeys, {JsonArray(user_ids)}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetString(i, 0)][r.GetString(i, 1)] = r.GetString(i, 2);
  return out;
}

absl::StatusOr<std::optional<UploadedKey>> PgE2eeStore::ClaimKey(const DeviceRef& device,
                                                                 const std::string& algorithm) {
  std::optional<UploadedKey> key;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    key.reset();
    const std::vector<pg::Param> params = {device.user_id, device.device_id, algorithm};
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(q::kClaimOneTimeKey, params));
    if (r.rows() == 0) {
      ASSIGN_OR_RETURN(r, tx.Exec(q::kClaimFallbackKey, params));
    }
    if (r.rows() > 0) key = UploadedKey{algorithm, r.GetString(0, 0), r.GetString(0, 1)};
    return absl::OkStatus();
  }));
  return key;
}

absl::StatusOr<KeyCounts> PgE2eeStore::Counts(const DeviceRef& device) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kKeyCounts, {device.user_id, device.device_id}));
  KeyCounts counts;
  for (int i = 0; i < r.rows(); ++i) {
    if (r.GetString(i, 0) == "otk") {
      counts.one_time[r.GetString(i, 1)] = r.GetInt64(i, 2);
    } else {
      counts.unused_fallback.push_back(r.GetString(i, 1));
    }
  }
  return counts;
}

absl::StatusOr<DeviceListChanges> PgE2eeStore::ChangedSince(const std::string& viewer,
                                                            int64_t since) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kChangedSince, {viewer, since}));
  DeviceListChanges changes;
  for (int i = 0; i < r.rows(); ++i) {
    changes.pos = r.GetInt64(i, 0);
    if (!r.IsNull(i, 1)) changes.usernames.push_back(r.GetString(i, 1));
  }
  return changes;
}

absl::StatusOr<bool> PgE2eeStore::SendToDevice(const DeviceRef& sender, const std::string& txn_id,
                                               const std::vector<Delivery>& deliveries,
                                               int64_t inbox_size, absl::Time now,
                                               const std::vector<OutgoingEdu>& edus) {
  bool sent = false;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result txn,
                     tx.Exec(q::kInsertTxn, {sender.user_id, sender.device_id, txn_id, now}));
    sent = txn.affected() == 1;
    if (!sent) return absl::OkStatus();  // a retry: done already
    ASSIGN_OR_RETURN(std::vector<Delivery> targets, Expand(tx, deliveries));
    std::vector<std::string> readers;
    for (const Delivery& d : targets) {
      ASSIGN_OR_RETURN(pg::Result pos, tx.Exec(q::kNextInboxPos, {d.user_id, d.device_id}));
      ASSIGN_OR_RETURN(pg::Result size, tx.Exec(q::kInboxSize, {d.user_id, d.device_id}));
      if (size.GetInt64(0, 0) >= inbox_size) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "device ", d.device_id, " has ", inbox_size, " to-device messages waiting"));
      }
      RETURN_IF_ERROR(
          tx.Exec(q::kInsertToDevice, {d.user_id, d.device_id, pos.GetInt64(0, 0), d.event})
              .status());
      if (readers.empty() || readers.back() != d.user_id) readers.push_back(d.user_id);
    }
    for (const OutgoingEdu& e : edus) {
      RETURN_IF_ERROR(outgoing_.QueueEdu(tx, e.destination, e.edu));
    }
    if (wake_ && !readers.empty()) wake_(tx, std::move(readers));
    return absl::OkStatus();
  }));
  return sent;
}

absl::StatusOr<ToDeviceBatch> PgE2eeStore::TakeToDevice(const DeviceRef& device, int64_t since,
                                                        int limit) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kTakeToDevice,
                                            {device.user_id, device.device_id, since, limit}));
  ToDeviceBatch batch;
  for (int i = 0; i < r.rows(); ++i) {
    batch.last_pos = r.GetInt64(i, 0);
    batch.events.push_back(r.GetString(i, 1));
  }
  return batch;
}

absl::Status PgE2eeStore::RemoveSession(pg::Tx& tx, const std::string& session_id) {
  ASSIGN_OR_RETURN(pg::Result removed, tx.Exec(q::kRemoveSessionDevices, {session_id}));
  for (int i = 0; i < removed.rows(); ++i) {
    const std::vector<pg::Param> device = {removed.GetString(i, 0), removed.GetString(i, 1)};
    RETURN_IF_ERROR(tx.Exec(q::kRemoveOneTimeKeys, device).status());
    RETURN_IF_ERROR(tx.Exec(q::kRemoveFallbackKeys, device).status());
    RETURN_IF_ERROR(tx.Exec(q::kRemoveInbox, device).status());
    RETURN_IF_ERROR(
        MarkDeviceListChange(tx, removed.GetString(i, 0), removed.GetString(i, 1), true));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> PgE2eeStore::MarkRemoteDeviceListChange(const std::string& user_id) {
  bool marked = false;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result joined, tx.Exec(q::kJoinedAnywhere, {user_id}));
    marked = joined.rows() > 0;
    if (!marked) return absl::OkStatus();  // nobody here sees its devices
    return MarkDeviceListChange(tx, user_id, "", false);
  }));
  return marked;
}

absl::StatusOr<int64_t> PgE2eeStore::ForgetTransactions(absl::Time before) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(q::kForgetTxns, {before}));
  return r.affected();
}

}  // namespace messenger::messaging
