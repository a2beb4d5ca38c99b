// E2eeStore on PostgreSQL (tables of V043__e2ee_relay.sql).
#pragma once

#include "messaging-service/src/storage/e2ee_store.h"

namespace messenger::messaging {

class PgE2eeStore final : public E2eeStore {
 public:
  // `wake` runs inside every transaction that changes someone's sync.
  PgE2eeStore(pg::Pool& pool, Wake wake) : pool_(pool), wake_(std::move(wake)) {}

  absl::StatusOr<std::map<std::string, int64_t>> UploadKeys(const DeviceRef& device,
                                                            const std::string& session_id,
                                                            const KeyUpload& upload,
                                                            int64_t max_one_time_keys) override;
  absl::StatusOr<std::map<std::string, std::string>> UserIds(
      const std::vector<std::string>& usernames) override;
  absl::StatusOr<std::set<std::string>> Visible(const std::string& viewer,
                                                const std::vector<std::string>& user_ids) override;
  absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>> DeviceKeys(
      const std::vector<std::string>& user_ids) override;
  absl::StatusOr<std::optional<UploadedKey>> ClaimKey(const DeviceRef& device,
                                                      const std::string& algorithm) override;
  absl::StatusOr<KeyCounts> Counts(const DeviceRef& device) override;
  absl::StatusOr<DeviceListChanges> ChangedSince(const std::string& viewer, int64_t since) override;
  absl::StatusOr<bool> SendToDevice(const DeviceRef& sender, const std::string& txn_id,
                                    const std::vector<Delivery>& deliveries, int64_t inbox_size,
                                    absl::Time now) override;
  absl::StatusOr<ToDeviceBatch> TakeToDevice(const DeviceRef& device, int64_t since,
                                             int limit) override;
  absl::Status RemoveSession(pg::Tx& tx, const std::string& session_id) override;
  absl::StatusOr<int64_t> ForgetTransactions(absl::Time before) override;

 private:
  // Records a device-list change of `user_id` and wakes who sees it.
  absl::Status MarkDeviceListChange(pg::Tx& tx, const std::string& user_id);

  pg::Pool& pool_;
  Wake wake_;
};

}  // namespace messenger::messaging
