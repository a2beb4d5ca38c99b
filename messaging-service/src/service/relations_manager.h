// Edits, deletes (redactions), replies and reactions of messages, written
// through the RoomWriter with their relation rows, redacted PDUs and bus
// events in the same transaction; and the reads that show them (latest
// text, deletion, reaction counts) in history and sync.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "messaging-service/src/domain/relations.h"
#include "messaging-service/src/events/messaging_events.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

struct EditedMessage {
  std::string message_id;
  std::string edit_id;  // the m.replace event
  int64_t edited_at_ms = 0;
};

class RelationsManager {
 public:
  RelationsManager(MessagingStore& store, MessagingManager& messaging, const Clock& clock, Rng& rng)
      : store_(store), messaging_(messaging), clock_(clock), rng_(rng) {}

  absl::StatusOr<EditedMessage> Edit(const std::string& user_id, const std::string& message_id,
                                     const std::string& text);
  // A delete asked through the Matrix API: the reason goes into the
  // redaction, and the device's transaction key commits with it (a sync
  // racing the answer still tells the device it sent the redaction).
  struct DeleteRequest {
    std::optional<std::string> reason;
    std::string device_id;
    std::string client_key;  // MatrixTxnKey(txnId)
    std::string request_hash;
  };
  // Own messages, or any with the room's redact power level.
  absl::Status Delete(const std::string& user_id, const std::string& message_id,
                      const std::optional<DeleteRequest>& request = std::nullopt);
  absl::Status React(const std::string& user_id, const std::string& message_id,
                     const std::string& key);
  absl::Status Unreact(const std::string& user_id, const std::string& message_id,
                       const std::string& key);

  // Fills each message's notes for `viewer` (one read for the page).
  absl::Status Annotate(const std::string& viewer, std::vector<MessageRow*> messages);
  // Turns the sync rows of relation and redaction events into "edited",
  // "reaction" and "deleted" rows carrying the changed message, drops the
  // ones this API does not show, and annotates every message.
  // With `prefetched` (PrefetchSync of the batch the rows came in), without
  // reading.
  absl::Status AnnotateSync(const std::string& viewer, std::vector<SyncRow>& rows,
                            const SyncNotes* prefetched = nullptr);
  // What AnnotateSync needs for a batch of woken polls' pages, in two
  // statements for the whole batch instead of one or two per poll; null
  // when a read fails (each poll then reads its own).
  std::shared_ptr<const SyncNotes> PrefetchSync(const std::vector<SyncRequest>& requests,
                                                const std::vector<SyncPage>& pages);

  // Matrix clients' edits and reactions (relations_matrix.cc): the same
  // rules, rows and bus events as Edit and React, the client's own content
  // stored, and `record` (the request's idempotency row) written in the same
  // transaction. The new event's id. A deleted target is FAILED_PRECONDITION
  // here, so that ALREADY_EXISTS means only a duplicate annotation.
  using Record = std::function<absl::Status(MessagingTx&, const StoredEvent&)>;
  absl::StatusOr<std::string> EditAs(const std::string& user_id, const std::string& message_id,
                                     const std::string& text, nlohmann::json content,
                                     const Record& record);
  absl::StatusOr<std::string> ReactAs(const std::string& user_id, const std::string& message_id,
                                      const std::string& key, nlohmann::json content,
                                      const Record& record);

 private:
  struct Checked {
    std::string user;  // UUID
    std::string mxid;
    TargetFacts target;
    RelationAction action = RelationAction::kEdit;
    Actor actor;
    // Deleting another's message in a group: the power levels decide, read
    // under the room lock when the redaction is planned.
    bool by_power = false;
  };
  absl::StatusOr<Checked> Check(RelationAction action, const std::string& user_id,
                                const std::string& message_id);
  // Writes one event into the target's room with `extra` rows, once the
  // relation rules pass again under the room lock (membership, power).
  absl::StatusOr<StoredEvent> Write(
      const Checked& checked, nlohmann::json content, const std::string& type,
      const std::optional<std::string>& redacts,
      const std::function<absl::Status(MessagingTx&, const StoredEvent&,
                                       const std::vector<std::string>& joined)>& extra);
  // FAILED_PRECONDITION when the message was deleted (the Matrix answer).
  absl::Status CheckNotDeleted(const std::string& message_id);
  // Edit and React with the content to store; `record` may be empty.
  absl::StatusOr<StoredEvent> WriteEdit(const std::string& user_id, const std::string& message_id,
                                        const std::string& text, nlohmann::json content,
                                        const Record& record);
  absl::StatusOr<StoredEvent> WriteReaction(const std::string& user_id,
                                            const std::string& message_id, const std::string& key,
                                            nlohmann::json content, const Record& record);
  ChangedMessage Changed(const Checked& checked, const std::vector<std::string>& joined) const;

  MessagingStore& store_;
  MessagingManager& messaging_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace messenger::messaging
