// The end-to-end encryption relay's use cases: keys upload, query and claim,
// device-list changes, to-device messages, and the removal of a revoked
// session's device. Requests are checked by domain/e2ee_requests; Matrix ids
// of other servers are skipped here (the federation routes ask them).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "common/clock.h"
#include "messaging-service/src/domain/e2ee_requests.h"
#include "messaging-service/src/storage/e2ee_store.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

struct KeyChanges {
  std::vector<std::string> changed;  // Matrix user ids
  std::vector<std::string> left;
};

// Asks another server's federation key route (`route`: "query" or "claim",
// POST /_matrix/federation/v1/user/keys/<route>) with the JSON `body`; its
// JSON answer, or why it could not.
using RemoteKeysFetch = std::function<absl::StatusOr<std::string>(
    const std::string& server, std::string_view route, const std::string& body)>;

class E2eeManager {
 public:
  E2eeManager(E2eeStore& store, std::string server_name, E2eeLimits limits, const Clock& clock)
      : store_(store), server_name_(std::move(server_name)), limits_(limits), clock_(clock) {}

  // Without it, users of other servers get no keys.
  void SetRemoteKeys(RemoteKeysFetch fetch) { remote_ = std::move(fetch); }
  // Told the destinations a sendToDevice queued EDUs for, after the commit.
  void SetOutgoingWake(std::function<void(const std::vector<std::string>&)> wake) {
    outgoing_wake_ = std::move(wake);
  }
  // An incoming m.direct_to_device EDU from `origin` (its `content`): its
  // messages to local devices go to their inboxes once per message_id. The
  // sender must be of `origin`. Errors are the EDU's only (it is a hint).
  absl::Status ReceiveToDevice(const std::string& origin, const std::string& content);
  // An incoming m.device_list_update or m.signing_key_update EDU: its user
  // (of `origin`) shows in the device_lists.changed of local users sharing
  // a room with it (their clients then query the keys again).
  absl::Status ReceiveDeviceListUpdate(const std::string& origin, const std::string& content);

  // Each answers the JSON body of its Matrix route.
  absl::StatusOr<std::string> UploadKeys(const E2eeCaller& caller, std::string_view body);
  // Keys of the caller and of users sharing a room with it; others' are
  // answered as users without devices.
  absl::StatusOr<std::string> QueryKeys(const E2eeCaller& caller, std::string_view body);
  absl::StatusOr<std::string> ClaimKeys(const E2eeCaller& caller, std::string_view body);
  // keys/device_signing/upload (e2ee_cross_signing.cc). False, with nothing
  // stored, when the upload would replace stored keys and the caller's
  // password was not confirmed (the gateway asks for it). UNAUTHENTICATED
  // for a key not signed by the master key, FAILED_PRECONDITION when there
  // is no master key.
  absl::StatusOr<bool> UploadSigningKeys(const E2eeCaller& caller, std::string_view body,
                                         bool password_confirmed);
  // keys/signatures/upload: answers {"failures": {...}}; the valid
  // signatures are stored even when others fail.
  absl::StatusOr<std::string> UploadSignatures(const E2eeCaller& caller, std::string_view body);
  // The federation routes (e2ee_federation.cc): another server asks for keys
  // of local users, whoever they share rooms with (the spec's answers).
  absl::StatusOr<std::string> QueryKeysForServer(std::string_view body);
  absl::StatusOr<std::string> ClaimKeysForServer(std::string_view body);
  // GET /user/devices: INVALID_ARGUMENT for a user of another server; an
  // unknown local user has no devices.
  absl::StatusOr<std::string> UserDevices(const std::string& matrix_user_id);
  // Users whose device lists changed after device-list position `from` (the
  // device_lists cursor of a sync token). `left` stays empty: who stopped
  // sharing a room is not tracked.
  absl::StatusOr<KeyChanges> Changes(const E2eeCaller& caller, int64_t from);
  // Idempotent per (caller's device, txn_id). RESOURCE_EXHAUSTED with a
  // retry hint when a recipient's inbox is full.
  absl::Status SendToDevice(const E2eeCaller& caller, std::string_view event_type,
                            const std::string& txn_id, std::string_view body);
  // session.revoked: the session's device loses its keys and inbox.
  absl::Status OnSessionEvent(const bus::Event& event, pg::Tx& tx);
  // Forgets sendToDevice transactions older than a day (a client retries
  // within minutes).
  absl::Status ForgetOldTransactions();

  const std::string& server_name() const { return server_name_; }
  const E2eeLimits& limits() const { return limits_; }

 private:
  // The keys/query and keys/claim answers for `viewer` (an account uuid:
  // users sharing a room with it), or for a server (nullptr: every user).
  absl::StatusOr<std::string> QueryKeysAs(const std::string* viewer, std::string_view body,
                                          std::string_view viewer_matrix_id = "");
  // e2ee_cross_signing.cc: the master and self-signing keys of the users of
  // `accounts` (Matrix id -> account uuid) in `visible` into `answer`, the
  // user-signing key of `viewer` alone, and the stored signatures merged
  // into them and into answer["device_keys"] (others' signatures of a
  // master key only for the viewer who made them).
  absl::Status AddCrossSigning(nlohmann::json& answer, const std::string* viewer,
                               std::string_view viewer_matrix_id,
                               const std::map<std::string, std::string>& accounts,
                               const std::set<std::string>& visible);
  absl::StatusOr<std::string> ClaimKeysAs(const std::string* viewer, std::string_view body);
  // Of the accounts of `accounts`, those `viewer` may see (all without one).
  absl::StatusOr<std::set<std::string>> VisibleTo(
      const std::string* viewer, const std::map<std::string, std::string>& accounts);
  // e2ee_remote.cc: `answer` (of a keys/query or keys/claim `body`) with
  // what the servers of the remote users `body` names answer for them under
  // `field`; a server that cannot answer goes in `failures`.
  std::string WithRemote(std::string_view route, const char* field, std::string_view body,
                         std::string answer);
  // One m.direct_to_device EDU per server of the remote recipients among
  // `messages` (e2ee_federation.cc); its message_id derives from the
  // caller's device and txn_id.
  std::vector<OutgoingEdu> ToDeviceEdus(const E2eeCaller& caller, std::string_view event_type,
                                        const std::string& txn_id,
                                        const std::vector<ToDeviceMessage>& messages);
  // The messages to local devices among `messages`, as `sender` sent them.
  absl::StatusOr<std::vector<Delivery>> LocalDeliveries(
      const std::vector<ToDeviceMessage>& messages, std::string_view type,
      std::string_view sender);
  // Matrix user id -> account uuid of the local users among `user_ids`.
  absl::StatusOr<std::map<std::string, std::string>> LocalUsers(
      const std::vector<std::string>& user_ids);

  E2eeStore& store_;
  const std::string server_name_;
  const E2eeLimits limits_;
  const Clock& clock_;
  RemoteKeysFetch remote_;
  std::function<void(const std::vector<std::string>&)> outgoing_wake_;
};

}  // namespace messenger::messaging
