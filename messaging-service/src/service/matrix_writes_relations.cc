// Matrix edits (m.replace) and reactions (m.annotation) of messages: the same
// facts as /v1's PATCH and reactions, written by the RelationsManager.
#include "common/status.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/domain/matrix_write_rules.h"
#include "messaging-service/src/service/matrix_writes.h"

namespace messenger::messaging {

absl::Status MatrixWrites::RecordSent(MessagingTx& tx, const std::string& user,
                                      const std::string& device_id, const std::string& txn_id,
                                      const std::string& event_id, const std::string& hash) {
  ASSIGN_OR_RETURN(bool inserted,
                   tx.InsertSent(user, device_id, MatrixTxnKey(txn_id), event_id, hash));
  if (!inserted) return absl::AlreadyExistsError("transaction id taken");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MatrixWrites::SendRelation(
    const MatrixSendInput& in, const std::string& user, const std::string& hash,
    const SentRelation& relation) {
  ASSIGN_OR_RETURN(std::optional<TargetFacts> target, store_.FindTarget(relation.target));
  if (target && target->room_id != in.room_id) {
    return absl::InvalidArgumentError("the related event is in another room");
  }
  const bool message = target && target->type == matrix::kMessageType && !target->is_relation;
  const bool edit = relation.kind == SentRelation::Kind::kEdit;
  if (!edit && !message) return std::nullopt;
  auto record = [&](MessagingTx& tx, const StoredEvent& e) {
    return RecordSent(tx, user, in.device_id, in.txn_id, e.event_id, hash);
  };
  absl::StatusOr<std::string> written =
      edit ? relations_.EditAs(user, relation.target, relation.text, in.content, record)
           : relations_.ReactAs(user, relation.target, relation.key, in.content, record);
  if (absl::IsAlreadyExists(written.status())) {
    // A concurrent retry took the key first: that one is the answer.
    ASSIGN_OR_RETURN(std::optional<std::string> sent, Earlier(user, in.device_id, in.txn_id, hash));
    if (sent) return sent;
  }
  RETURN_IF_ERROR(written.status());
  return std::optional<std::string>(*written);
}

}  // namespace messenger::messaging
