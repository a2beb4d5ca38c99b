// Storage of the end-to-end encryption relay (interface): device keys,
// one-time and fallback keys, device-list changes and to-device inboxes.
// Writes that change what a user's sync shows wake that user's long polls
// through the Wake hook, inside the writing transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/pg.h"
#include "messaging-service/src/domain/e2ee_requests.h"

namespace messenger::messaging {

struct DeviceRef {
  std::string user_id;  // account uuid
  std::string device_id;
};

struct KeyCounts {
  std::map<std::string, int64_t> one_time;   // algorithm -> keys left
  std::vector<std::string> unused_fallback;  // algorithms
};

struct DeviceListChanges {
  int64_t pos = 0;                     // the stream position read up to
  std::vector<std::string> usernames;  // changed after `since`
};

struct ToDeviceBatch {
  int64_t last_pos = 0;  // of the last event returned (0 when none)
  std::vector<std::string> events;
};

// A to-device message to store: one device, or every device of the user.
struct Delivery {
  std::string user_id;    // account uuid
  std::string device_id;  // or kAllDevices
  std::string event;      // JSON text
};

// An EDU for another server (m.direct_to_device), queued for its outgoing
// federation sender.
struct OutgoingEdu {
  std::string destination;
  std::string edu;  // JSON text
};

// A signature uploaded for a local user's device keys or master key.
struct KeySignature {
  std::string target_user;  // account uuid
  std::string target_key;   // a device id, or a master key's public key
  std::string signer;       // account uuid
  std::string signer_key_id;
  std::string signature;
};

class E2eeStore {
 public:
  // Called inside a transaction with the users whose sync it changes.
  using Wake = std::function<void(pg::Tx& tx, std::vector<std::string> user_ids)>;

  virtual ~E2eeStore() = default;

  // Stores an upload of `device` (made by `session_id`) in one transaction:
  // device keys that differ from the stored ones are a device-list change.
  // OUT_OF_RANGE when the device would hold more than `max_one_time_keys`.
  // Returns the one-time key counts after it.
  virtual absl::StatusOr<std::map<std::string, int64_t>> UploadKeys(const DeviceRef& device,
                                                                    const std::string& session_id,
                                                                    const KeyUpload& upload,
                                                                    int64_t max_one_time_keys) = 0;
  // Account uuids of local usernames (unknown ones are absent).
  virtual absl::StatusOr<std::map<std::string, std::string>> UserIds(
      const std::vector<std::string>& usernames) = 0;
  // Of `user_ids`, those `viewer` may see keys of: itself and users sharing a
  // room with it (both joined or invited).
  virtual absl::StatusOr<std::set<std::string>> Visible(
      const std::string& viewer, const std::vector<std::string>& user_ids) = 0;
  // user uuid -> device id -> device keys (JSON text) of devices with keys.
  virtual absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>> DeviceKeys(
      const std::vector<std::string>& user_ids) = 0;
  // Takes one one-time key of `algorithm` (removed, so no two claimers get
  // the same), else the fallback key (marked used); nullopt when neither.
  virtual absl::StatusOr<std::optional<UploadedKey>> ClaimKey(const DeviceRef& device,
                                                              const std::string& algorithm) = 0;
  virtual absl::StatusOr<KeyCounts> Counts(const DeviceRef& device) = 0;
  // Users among `viewer` and those sharing a room with it whose device
  // lists changed after `since`, and the position read up to.
  virtual absl::StatusOr<DeviceListChanges> ChangedSince(const std::string& viewer,
                                                         int64_t since) = 0;
  // Stores `deliveries`, and queues `edus` for other servers, unless
  // (sender, txn_id) was done already (then false). RESOURCE_EXHAUSTED when
  // an inbox would hold more than `inbox_size`; nothing is stored then.
  virtual absl::StatusOr<bool> SendToDevice(const DeviceRef& sender, const std::string& txn_id,
                                            const std::vector<Delivery>& deliveries,
                                            int64_t inbox_size, absl::Time now,
                                            const std::vector<OutgoingEdu>& edus) = 0;
  // Deletes the device's messages at or before `since` (delivered: the
  // client's next sync acknowledges them) and returns up to `limit` after.
  virtual absl::StatusOr<ToDeviceBatch> TakeToDevice(const DeviceRef& device, int64_t since,
                                                     int limit) = 0;
  // Removes the keys and inbox of the devices `session_id` uploaded, in
  // `tx` (a consumer's transaction): a device-list change of their user.
  virtual absl::Status RemoveSession(pg::Tx& tx, const std::string& session_id) = 0;
  // A remote user's device list changed (its server said so): a change for
  // the local users sharing a room with it. False when it is in no room.
  virtual absl::StatusOr<bool> MarkRemoteDeviceListChange(const std::string& user_id) = 0;
  // Cross-signing (pg_e2ee_cross_signing.cc). Account uuid -> usage ->
  // CrossSigningKey JSON text.
  virtual absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>>
  CrossSigningKeys(const std::vector<std::string>& user_ids) = 0;
  // Stores `keys` (usage -> JSON text) of `user_id` in one transaction: a
  // device-list change of the user, and an m.signing_key_update EDU with
  // `edu_content` for the servers sharing a room with it.
  virtual absl::Status SetCrossSigningKeys(const std::string& user_id,
                                           const std::map<std::string, std::string>& keys,
                                           const std::string& edu_content) = 0;
  // Stores `signatures` (replacing equal keys) in one transaction: a
  // device-list change of each target user (with the device for device keys).
  virtual absl::Status AddSignatures(const std::vector<KeySignature>& signatures) = 0;
  // The signatures of the keys of `user_ids`.
  virtual absl::StatusOr<std::vector<KeySignature>> Signatures(
      const std::vector<std::string>& user_ids) = 0;
  // Forgets sendToDevice transactions done before `before`; returns how many.
  virtual absl::StatusOr<int64_t> ForgetTransactions(absl::Time before) = 0;
};

}  // namespace messenger::messaging
