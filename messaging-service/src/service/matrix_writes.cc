#include "messaging-service/src/service/matrix_writes.h"

#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/redaction.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/domain/matrix_write_rules.h"
#include "messaging-service/src/events/messaging_events.h"
#include "messaging-service/src/writer/redact_stored.h"

namespace messenger::messaging {
namespace {

absl::StatusOr<std::string> UserUuid(const std::string& raw) {
  if (!IsUuid(raw)) return absl::InvalidArgumentError("user ids are UUIDs");
  return text::ToLowerAscii(raw);
}

// Types a client may not send as a plain event or state of its own: the
// membership endpoints write members, the redact endpoint redactions, and
// the create event only comes with the room.
absl::Status CheckWritableType(const std::string& type) {
  if (type.empty() || type.size() > 255) {
    return absl::InvalidArgumentError("the event type must be 1 to 255 bytes");
  }
  if (type == matrix::kMemberType) {
    return absl::PermissionDeniedError("membership changes use the invite/join/leave/kick/ban "
                                       "endpoints");
  }
  if (type == matrix::kRedactionType) {
    return absl::PermissionDeniedError("redactions use the redact endpoint");
  }
  if (type == "m.room.create") return absl::PermissionDeniedError("a room is created once");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> MatrixWrites::Earlier(const std::string& user,
                                                                 const std::string& device_id,
                                                                 const std::string& txn_id,
                                                                 const std::string& hash) {
  ASSIGN_OR_RETURN(std::optional<SentRecord> sent,
                   store_.FindSent(user, device_id, MatrixTxnKey(txn_id)));
  if (!sent) return std::nullopt;
  if (sent->request_hash && *sent->request_hash != hash) {
    return absl::InvalidArgumentError("the transaction id was already used for another request");
  }
  return sent->message.event_id;
}

absl::StatusOr<std::string> MatrixWrites::Send(const MatrixSendInput& in, bool known_first) {
  if (known_first) {
    if (std::optional<MessageWrite> write = KnownWrite(in)) {
      // Membership and power are the writer's auth rules; a reused key fails
      // the commit, and is answered below as any refusal.
      absl::StatusOr<StoredEvent> written = messaging_.writer().WriteMessage(*write);
      if (written.ok()) return written->event_id;
    }
  }
  ASSIGN_OR_RETURN(std::string user, UserUuid(in.user_id));
  RETURN_IF_ERROR(ValidateTxnId(in.txn_id));
  if (!in.content.is_object()) return absl::InvalidArgumentError("the content is a JSON object");
  RETURN_IF_ERROR(CheckWritableType(in.type));
  const std::string hash = MatrixRequestHash(in.room_id, in.type, in.content);
  // A retry answers the original, even when it would be refused now.
  ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                   Earlier(user, in.device_id, in.txn_id, hash));
  if (earlier) return *earlier;
  RETURN_IF_ERROR(messaging_.CheckMember(in.room_id, user));
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, messaging_.RoomRowOf(in.room_id));
  if (!room) return absl::NotFoundError("no such room");
  if (room->kind == "direct" && room->direct_key) {
    // The contact policy, asked now; a message is confirmed again at commit.
    const auto [a, b] = DirectPair(*room->direct_key);
    ASSIGN_OR_RETURN(bool friends, messaging_.FriendsRemembered(a, b));
    RETURN_IF_ERROR(CheckDirectSend(friends));
  }
  ASSIGN_OR_RETURN(std::optional<SentRelation> relation, SentRelationOf(in.type, in.content));
  if (relation) {
    ASSIGN_OR_RETURN(std::optional<std::string> sent, SendRelation(in, user, hash, *relation));
    if (sent) return *sent;
  }
  if (in.type == matrix::kMessageType) return SendMessage(in, *room, user, hash);
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
  return WriteOne(user, in.room_id, {mxid, in.type, std::nullopt, in.content, std::nullopt},
                  in.device_id, in.txn_id, hash);
}

std::optional<MessageWrite> MatrixWrites::KnownWrite(const MatrixSendInput& in) {
  if (in.type != matrix::kMessageType || !in.content.is_object() || !ValidateTxnId(in.txn_id).ok() ||
      !CheckMessageContent(in.content).ok()) {
    return std::nullopt;
  }
  absl::StatusOr<std::string> user = UserUuid(in.user_id);
  if (!user.ok()) return std::nullopt;
  absl::StatusOr<std::optional<SentRelation>> relation = SentRelationOf(in.type, in.content);
  if (!relation.ok() || *relation) return std::nullopt;
  std::optional<MessagingManager::KnownSend> known = messaging_.KnownMatrixSend(in.room_id, *user);
  if (!known) return std::nullopt;
  return MessageOf(in, known->room, known->sender_mxid, *user,
                   MatrixRequestHash(in.room_id, in.type, in.content));
}

bool MatrixWrites::TrySendAsync(const MatrixSendInput& in, SendDone done) {
  std::optional<MessageWrite> write = KnownWrite(in);
  if (!write) return false;
  return messaging_.writer().TryWriteMessage(
      std::move(*write),
      [done = std::move(done)](absl::StatusOr<std::optional<StoredEvent>> written) {
        if (written.ok() && *written) return done((*written)->event_id);
        done(std::nullopt);
      });
}

absl::Status MatrixWrites::CheckMessageContent(const nlohmann::json& content) {
  if (content.value("msgtype", "") == "m.text") {
    if (!content.contains("body") || !content["body"].is_string()) {
      return absl::InvalidArgumentError("an m.text message has a string body");
    }
    RETURN_IF_ERROR(ValidateText(content["body"].get<std::string>()));
  }
  return absl::OkStatus();
}

MessageWrite MatrixWrites::MessageOf(const MatrixSendInput& in, const RoomRow& room,
                                     const std::string& mxid, const std::string& user,
                                     const std::string& hash) {
  return MessageWrite{in.room_id,
                      room.direct_key,
                      {{mxid, matrix::kMessageType, std::nullopt, in.content, std::nullopt},
                       user,
                       std::nullopt},
                      in.device_id,
                      MatrixTxnKey(in.txn_id),
                      hash};
}

absl::StatusOr<std::string> MatrixWrites::SendMessage(const MatrixSendInput& in,
                                                      const RoomRow& room,
                                                      const std::string& user,
                                                      const std::string& hash) {
  RETURN_IF_ERROR(CheckMessageContent(in.content));
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
  absl::StatusOr<StoredEvent> written =
      messaging_.writer().WriteMessage(MessageOf(in, room, mxid, user, hash));
  if (written.ok()) return written->event_id;
  // A concurrent retry took the key first: that one is the answer.
  if (absl::IsAlreadyExists(written.status()) || absl::IsPermissionDenied(written.status())) {
    ASSIGN_OR_RETURN(std::optional<std::string> sent, Earlier(user, in.device_id, in.txn_id, hash));
    if (sent) return *sent;
  }
  return written.status();
}

absl::StatusOr<std::string> MatrixWrites::WriteOne(const std::string& user,
                                                   const std::string& room_id,
                                                   matrix::EventDraft draft,
                                                   const std::string& device_id,
                                                   const std::optional<std::string>& txn_id,
                                                   const std::string& hash, bool of_relation) {
  const std::string type = draft.type;
  const bool is_state = draft.state_key.has_value();
  const std::optional<std::string> redacts = draft.redacts;
  auto extra = [&](MessagingTx& tx, const std::vector<StoredEvent>& written,
                   const std::vector<std::string>&) -> absl::Status {
    const StoredEvent& e = written.front();
    if (txn_id) RETURN_IF_ERROR(RecordSent(tx, user, device_id, *txn_id, e.event_id, hash));
    if (redacts) {
      // A relation's redaction is /v1's (an edit or reaction undone); other
      // events are no /v1 facts: a redactions row would show them deleted.
      if (of_relation) {
        RETURN_IF_ERROR(tx.InsertRedaction(*redacts, e.event_id, room_id, e.origin_server_ts));
      }
      // The room version's redaction algorithm, applied to the stored event.
      RETURN_IF_ERROR(RedactStored(tx, *redacts));
    }
    if (is_state) RETURN_IF_ERROR(PublishUpdate(tx, room_id, user, type));
    return absl::OkStatus();
  };
  absl::StatusOr<std::vector<StoredEvent>> written =
      messaging_.writer().WriteState(room_id, {WriteDraft{std::move(draft), user, std::nullopt}},
                                     extra);
  if (absl::IsAlreadyExists(written.status()) && txn_id) {
    ASSIGN_OR_RETURN(std::optional<std::string> sent, Earlier(user, device_id, *txn_id, hash));
    if (sent) return *sent;
  }
  RETURN_IF_ERROR(written.status());
  return written->front().event_id;
}

absl::Status MatrixWrites::PublishUpdate(MessagingTx& tx, const std::string& room_id,
                                         const std::string& user, const std::string& type) {
  std::optional<std::string> field = UpdatedField(type);
  if (!field) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(room_id));
  if (!room || room->kind != "group") return absl::OkStatus();
  ASSIGN_OR_RETURN(bus::Event event,
                   ConversationUpdatedEvent(room_id, user, {*field}, clock_.Now(), clock_, rng_));
  RETURN_IF_ERROR(tx.Enqueue(event));
  return tx.InsertRoomNotices(room_id, "conversation_updated", user);
}

absl::StatusOr<std::string> MatrixWrites::PutState(const std::string& user_id,
                                                   const std::string& room_id,
                                                   const std::string& type,
                                                   const std::string& state_key,
                                                   const nlohmann::json& content) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  if (!content.is_object()) return absl::InvalidArgumentError("the content is a JSON object");
  RETURN_IF_ERROR(CheckWritableType(type));
  RETURN_IF_ERROR(messaging_.CheckMember(room_id, user));
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
  // The Matrix auth rules (power levels) decide in the writer.
  return WriteOne(user, room_id, {mxid, type, state_key, content, std::nullopt}, "", std::nullopt,
                  "");
}

absl::StatusOr<std::string> MatrixWrites::Redact(const std::string& user_id,
                                                 const std::string& device_id,
                                                 const std::string& room_id,
                                                 const std::string& event_id,
                                                 const std::string& txn_id,
                                                 const std::optional<std::string>& reason) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  RETURN_IF_ERROR(ValidateTxnId(txn_id));
  const std::string hash =
      MatrixRequestHash(room_id, matrix::kRedactionType, {{"redacts", event_id}});
  ASSIGN_OR_RETURN(std::optional<std::string> earlier, Earlier(user, device_id, txn_id, hash));
  if (earlier) return *earlier;
  RETURN_IF_ERROR(messaging_.CheckMember(room_id, user));
  ASSIGN_OR_RETURN(std::optional<EventRecord> target, mx_store_.FindEvent(event_id));
  if (!target || target->room_id != room_id) {
    return absl::NotFoundError("the room has no such event");
  }
  // An event is redacted once: asking again answers that redaction.
  ASSIGN_OR_RETURN(std::optional<std::string> done, mx_store_.RedactionOf(event_id));
  if (done) return *done;
  ASSIGN_OR_RETURN(std::optional<TargetFacts> facts, store_.FindTarget(event_id));
  if (facts && facts->type == matrix::kMessageType && !facts->is_relation) {
    // A message as /v1 deletes it: message.deleted once, /v1 shows it deleted.
    absl::Status deleted = relations_.Delete(
        user, event_id,
        RelationsManager::DeleteRequest{reason, device_id, MatrixTxnKey(txn_id), hash});
    if (!deleted.ok() && !absl::IsAlreadyExists(deleted)) return deleted;
    ASSIGN_OR_RETURN(std::optional<std::string> redaction, mx_store_.RedactionOf(event_id));
    if (!redaction) return absl::InternalError("the deleted message has no redaction");
    return *redaction;
  }
  if (facts && facts->sender != user) {
    // Another's event: the room's redact level decides.
    ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
    ASSIGN_OR_RETURN(std::optional<std::string> pdu, store_.PowerLevelsPdu(room_id));
    nlohmann::json levels_event =
        pdu ? nlohmann::json::parse(*pdu, nullptr, false) : nlohmann::json::object();
    ASSIGN_OR_RETURN(matrix::PowerLevels levels,
                     matrix::PowerLevels::FromContent(
                         levels_event.is_object() ? levels_event.value("content", nlohmann::json())
                                                  : nlohmann::json()));
    if (levels.UserLevel(mxid) < levels.redact()) {
      return absl::PermissionDeniedError("you may redact only your own events here");
    }
  }
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
  return WriteOne(user, room_id,
                  {mxid, matrix::kRedactionType, std::nullopt, matrix::RedactionContent(reason), event_id},
                  device_id, txn_id, hash, facts && facts->is_relation);
}

absl::StatusOr<EventRecord> MatrixWrites::GetEvent(const std::string& user_id,
                                                   const std::string& room_id,
                                                   const std::string& event_id) {
  ASSIGN_OR_RETURN(std::string user, UserUuid(user_id));
  ASSIGN_OR_RETURN(std::optional<MembershipAt> at, store_.FindMembership(room_id, user));
  ASSIGN_OR_RETURN(std::optional<EventRecord> event, mx_store_.FindEvent(event_id));
  // One answer for "no such event" and "not yours to read" (the spec's 404).
  if (!at || !event || event->room_id != room_id || !MayRead(at->membership, at->seq, event->seq)) {
    return absl::NotFoundError("no such event, or you may not read it");
  }
  return *event;
}

}  // namespace messenger::messaging
