// E2eeStore on PostgreSQL (tables of V043__e2ee_relay.sql).
#pragma once

#include "messaging-service/src/federation/outgoing_store.h"
#include "messaging-service/src/storage/e2ee_store.h"

namespace messenger::messaging {

class PgE2eeStore final : public E2eeStore {
 public:
  // `wake` runs inside every transaction that changes someone's sync.
  // With `server_name`, a local user's device-list change also queues an
  // m.device_list_update EDU for the servers sharing a room with it.
  PgE2eeStore(pg::Pool& pool, Wake wake, std::string server_name = "")
      : pool_(pool), wake_(std::move(wake)), server_name_(std::move(server_name)) {}

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
                                    absl::Time now, const std::vector<OutgoingEdu>& edus) override;
  absl::StatusOr<ToDeviceBatch> TakeToDevice(const DeviceRef& device, int64_t since,
                                             int limit) override;
  absl::Status RemoveSession(pg::Tx& tx, const std::string& session_id) override;
  absl::StatusOr<bool> MarkRemoteDeviceListChange(const std::string& user_id) override;
  absl::StatusOr<int64_t> ForgetTransactions(absl::Time before) override;
  absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>> CrossSigningKeys(
      const std::vector<std::string>& user_ids) override;
  absl::Status SetCrossSigningKeys(const std::string& user_id,
                                   const std::map<std::string, std::string>& keys,
                                   const std::string& edu_content) override;
  absl::Status AddSignatures(const std::vector<KeySignature>& signatures) override;
  absl::StatusOr<std::vector<KeySignature>> Signatures(
      const std::vector<std::string>& user_ids) override;

 private:
  // Records a device-list change of `user_id` and wakes who sees it; for a
  // local user's `device_id`, tells the servers sharing a room with it.
  absl::Status MarkDeviceListChange(pg::Tx& tx, const std::string& user_id,
                                    const std::string& device_id, bool deleted);

  pg::Pool& pool_;
  federation::PgOutgoingStore outgoing_{pool_};  // the EDUs for other servers
  Wake wake_;
  std::string server_name_;
};

}  // namespace messenger::messaging
