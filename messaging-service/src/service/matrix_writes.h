// Matrix client room writes and reads of single events (issue 14): send
// (any event type, idempotent per device and transaction id), state, redact
// and GET /event. Every write goes through the RoomWriter: m.room.message
// takes the message path /v1 takes (message.sent, unread counts, wake-ups),
// anything else WriteState; a redaction of a message is RelationsManager's
// delete, so /v1 sees it deleted.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/service/relations_manager.h"
#include "messaging-service/src/storage/matrix_write_store.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

struct MatrixSendInput {
  std::string user_id;  // UUID
  std::string device_id;
  std::string room_id;
  std::string type;
  std::string txn_id;
  nlohmann::json content;  // an object
};

class MatrixWrites {
 public:
  MatrixWrites(MessagingManager& messaging, MessagingStore& store, MatrixWriteStore& mx_store,
               RelationsManager& relations, const Clock& clock, Rng& rng)
      : messaging_(messaging),
        store_(store),
        mx_store_(mx_store),
        relations_(relations),
        clock_(clock),
        rng_(rng) {}

  // The event id (a retry's: the original's). `known_first`: try a
  // KnownWrite before the full path.
  absl::StatusOr<std::string> Send(const MatrixSendInput& in, bool known_first = true);
  // Without waiting on IO: a KnownWrite is queued to the
  // writer and true returned; `done` gets its event id on a commit thread, or
  // nullopt when it was not written (answer it with Send(in, false) then).
  // False: nothing happened.
  using SendDone = std::function<void(std::optional<std::string> event_id)>;
  bool TrySendAsync(const MatrixSendInput& in, SendDone done);
  absl::StatusOr<std::string> PutState(const std::string& user_id, const std::string& room_id,
                                       const std::string& type, const std::string& state_key,
                                       const nlohmann::json& content);
  // The m.room.redaction's id; a retry (same txn id) answers the same one.
  absl::StatusOr<std::string> Redact(const std::string& user_id, const std::string& device_id,
                                     const std::string& room_id, const std::string& event_id,
                                     const std::string& txn_id,
                                     const std::optional<std::string>& reason);
  // NOT_FOUND unless the user may read it (history visibility).
  absl::StatusOr<EventRecord> GetEvent(const std::string& user_id, const std::string& room_id,
                                       const std::string& event_id);

 private:
  // A retry's event id: nullopt when the key is unused; INVALID_ARGUMENT when
  // the transaction id was used for another request.
  absl::StatusOr<std::optional<std::string>> Earlier(const std::string& user,
                                                     const std::string& device_id,
                                                     const std::string& txn_id,
                                                     const std::string& hash);
  // m.room.message: the message path of /v1.
  // An edit or a reaction of a message (matrix_writes_relations.cc): the
  // RelationsManager's, as /v1 writes it; nullopt when the related event is
  // no /v1 message (an annotation of another event is Matrix's alone).
  absl::StatusOr<std::optional<std::string>> SendRelation(const MatrixSendInput& in,
                                                          const std::string& user,
                                                          const std::string& hash,
                                                          const SentRelation& relation);
  // In a write's transaction: the request's idempotency row for `event_id`;
  // ALREADY_EXISTS when a concurrent retry took the key.
  static absl::Status RecordSent(MessagingTx& tx, const std::string& user,
                                 const std::string& device_id, const std::string& txn_id,
                                 const std::string& event_id, const std::string& hash);
  absl::StatusOr<std::string> SendMessage(const MatrixSendInput& in, const RoomRow& room,
                                          const std::string& user, const std::string& hash);
  // The common send without reads before the write (issue 14: 3 of a send's
  // 4 queries): a plain message into a room whose row and sender this
  // process knows in memory. nullopt: not such a send. A known write that
  // fails (a retry, a refusal, an error) is answered by Send's full path,
  // exactly as before.
  std::optional<MessageWrite> KnownWrite(const MatrixSendInput& in);
  // An m.text is held to /v1's rules: it is the same message there.
  static absl::Status CheckMessageContent(const nlohmann::json& content);
  static MessageWrite MessageOf(const MatrixSendInput& in, const RoomRow& room,
                                const std::string& mxid, const std::string& user,
                                const std::string& hash);
  // Writes one non-message event with its idempotency key (when `txn_id`);
  // a redaction redacts the stored event (`of_relation`: an edit or
  // reaction, recorded as /v1 records its own).
  absl::StatusOr<std::string> WriteOne(const std::string& user, const std::string& room_id,
                                       matrix::EventDraft draft, const std::string& device_id,
                                       const std::optional<std::string>& txn_id,
                                       const std::string& hash, bool of_relation = false);
  // Under `tx` of a write: conversation.updated for a group's name, topic,
  // avatar or roles, as /v1's changes publish it.
  absl::Status PublishUpdate(MessagingTx& tx, const std::string& room_id, const std::string& user,
                             const std::string& type);

  MessagingManager& messaging_;
  MessagingStore& store_;
  MatrixWriteStore& mx_store_;
  RelationsManager& relations_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace messenger::messaging
