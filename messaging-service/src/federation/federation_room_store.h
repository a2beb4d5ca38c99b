// What the federation room routes read and keep beside the rooms and events
// of messaging_store.h: PDUs by id (rejected ones too), pages of a room's
// history for backfill and get_missing_events, rejected PDUs, remote users
// (V045). An interface, so the use cases are tested without a database.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/lru_cache.h"
#include "common/pg/pg.h"

namespace messenger::federation {

struct KnownPdu {
  std::string event_id;
  std::string room_id;
  std::string pdu;  // canonical JSON as stored
  bool rejected = false;
  // Soft-failed (V063): kept with the state after it, not applied.
  bool soft_failed = false;
  int64_t soft_failed_state_group = 0;
};

// A local user's invite into a room of another server (V056).
struct RemoteInvite {
  std::string room_id;
  std::string user_id;  // the local user's UUID
  std::string event_id;
  std::string origin;
  std::string invite_state;  // JSON array of stripped state events
  absl::Time received_at;
};

class FederationRoomStore {
 public:
  virtual ~FederationRoomStore() = default;
  // The events among `event_ids` this server has, accepted, rejected or
  // soft-failed.
  virtual absl::StatusOr<std::vector<KnownPdu>> Pdus(const std::vector<std::string>& event_ids) = 0;
  virtual absl::StatusOr<std::vector<std::string>> CurrentStatePdus(const std::string& room_id) = 0;
  // One current state event of the room (nullopt: none).
  virtual absl::StatusOr<std::optional<std::string>> CurrentStatePdu(
      const std::string& room_id, const std::string& type, const std::string& state_key) = 0;
  // PDUs of the room from the latest of `from` backwards, newest first, at
  // most `limit` (linear rooms: by seq).
  virtual absl::StatusOr<std::vector<std::string>> Backfill(const std::string& room_id,
                                                            const std::vector<std::string>& from,
                                                            int limit) = 0;
  // PDUs of the room after the latest of `earliest` and before the latest of
  // `latest`, of depth >= `min_depth`: the `limit` closest to `latest`, oldest
  // first.
  virtual absl::StatusOr<std::vector<std::string>> MissingEvents(
      const std::string& room_id, const std::vector<std::string>& earliest,
      const std::vector<std::string>& latest, int limit, int64_t min_depth) = 0;
  // Keeps a PDU the auth rules rejected (once).
  virtual absl::Status InsertRejected(const KnownPdu& pdu, const std::string& origin,
                                      const std::string& reason, absl::Time now) = 0;
  // Keeps a soft-failed PDU (once) with the state group of the state after
  // it, in the transaction that wrote that group.
  virtual absl::Status InsertSoftFailed(pg::Tx& tx, const KnownPdu& pdu, const std::string& origin,
                                        const std::string& reason, absl::Time now) = 0;
  // In the room write that put soft-failed events into the room's state
  // (they are events of the room now).
  virtual absl::Status DeleteSoftFailed(pg::Tx& tx, const std::vector<std::string>& event_ids) = 0;
  // In a room write's transaction: the remote user's row (remote_users.h).
  virtual absl::Status AddRemoteUser(pg::Tx& tx, const std::string& uuid,
                                     const std::string& matrix_user_id) = 0;
  // The same for many (UUID -> Matrix id), in one statement: a room import.
  virtual absl::Status AddRemoteUsers(pg::Tx& tx,
                                      const std::map<std::string, std::string>& users) = 0;
  // The local user with this Matrix localpart.
  virtual absl::StatusOr<std::optional<std::string>> LocalUserId(const std::string& localpart) = 0;
  // In the invite's write (fedinvite, V056): who invited the local user into
  // a room of another server, and the stripped state shown with it.
  virtual absl::Status PutInvite(pg::Tx& tx, const RemoteInvite& invite) = 0;
  // In the write of an outgoing invite: the stored event with the invitee's
  // server's signature added (the same event id).
  virtual absl::Status ReplacePdu(pg::Tx& tx, const std::string& event_id,
                                  const std::string& pdu) = 0;
  // The server that invited the local user into the room (nullopt: none).
  virtual absl::StatusOr<std::optional<std::string>> InviteOrigin(const std::string& room_id,
                                                                  const std::string& user_id) = 0;
};

class PgFederationRoomStore final : public FederationRoomStore {
 public:
  explicit PgFederationRoomStore(pg::Pool& pool, size_t known_users = 10'000)
      : pool_(pool), known_users_("federation_remote_users", known_users) {}
  absl::StatusOr<std::vector<KnownPdu>> Pdus(const std::vector<std::string>& event_ids) override;
  absl::StatusOr<std::vector<std::string>> CurrentStatePdus(const std::string& room_id) override;
  absl::StatusOr<std::optional<std::string>> CurrentStatePdu(const std::string& room_id,
                                                             const std::string& type,
                                                             const std::string& state_key) override;
  absl::StatusOr<std::vector<std::string>> Backfill(const std::string& room_id,
                                                    const std::vector<std::string>& from,
                                                    int limit) override;
  absl::StatusOr<std::vector<std::string>> MissingEvents(const std::string& room_id,
                                                         const std::vector<std::string>& earliest,
                                                         const std::vector<std::string>& latest,
                                                         int limit, int64_t min_depth) override;
  absl::Status InsertRejected(const KnownPdu& pdu, const std::string& origin,
                              const std::string& reason, absl::Time now) override;
  absl::Status InsertSoftFailed(pg::Tx& tx, const KnownPdu& pdu, const std::string& origin,
                                const std::string& reason, absl::Time now) override;
  absl::Status DeleteSoftFailed(pg::Tx& tx, const std::vector<std::string>& event_ids) override;
  absl::Status AddRemoteUser(pg::Tx& tx, const std::string& uuid,
                             const std::string& matrix_user_id) override;
  absl::Status AddRemoteUsers(pg::Tx& tx,
                              const std::map<std::string, std::string>& users) override;
  absl::StatusOr<std::optional<std::string>> LocalUserId(const std::string& localpart) override;
  absl::Status PutInvite(pg::Tx& tx, const RemoteInvite& invite) override;
  absl::Status ReplacePdu(pg::Tx& tx, const std::string& event_id,
                          const std::string& pdu) override;
  absl::StatusOr<std::optional<std::string>> InviteOrigin(const std::string& room_id,
                                                          const std::string& user_id) override;

 private:
  pg::Pool& pool_;
  // Remote users whose row a committed transaction wrote or found: rows of
  // users are never deleted, so a PDU of a known sender costs no statement.
  LruCache<std::string, bool> known_users_;
};

}  // namespace messenger::federation
