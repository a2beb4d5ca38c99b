// RoomWriter::RecordRemoteRelation (room_writer.h): the relations and
// redactions of other servers' events, so that /v1 and sync show a remote
// user's edit, reaction or delete as they show a local user's.
#include "common/status.h"
#include "messaging-service/src/domain/remote_relations.h"
#include "messaging-service/src/writer/redact_stored.h"
#include "messaging-service/src/writer/room_writer.h"

namespace messenger::messaging {

absl::Status RoomWriter::RecordRemoteRelation(MessagingTx& tx, const matrix::Event& event,
                                              const StoredEvent& stored,
                                              const matrix::StateMap& state) {
  const std::optional<std::string> target_id = RelatedEventOf(event);
  if (!target_id) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<RelatedTarget> target, tx.RelatedTargetOf(*target_id));
  const RemoteRelation relation = DecideRemoteRelation(event, target, state);
  switch (relation.kind) {
    case RemoteRelation::Kind::kNone:
      return absl::OkStatus();  // kept as an event, related to nothing here
    case RemoteRelation::Kind::kEdit:
      return tx.InsertRemoteRelation({stored.event_id, stored.room_id, relation.target,
                                      kReplaceRel, std::nullopt, stored.sender, stored.seq});
    case RemoteRelation::Kind::kReaction:
      return tx.InsertRemoteRelation({stored.event_id, stored.room_id, relation.target,
                                      kAnnotationRel, relation.key, stored.sender, stored.seq});
    case RemoteRelation::Kind::kRedaction:
      RETURN_IF_ERROR(tx.InsertRedaction(relation.target, stored.event_id, stored.room_id,
                                         stored.origin_server_ts));
      return RedactStored(tx, relation.target);
  }
  return absl::OkStatus();
}

}  // namespace messenger::messaging
