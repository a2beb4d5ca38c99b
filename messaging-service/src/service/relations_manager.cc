#include "messaging-service/src/service/relations_manager.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/domain/matrix/redaction.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/events/messaging_events.h"
#include "messaging-service/src/writer/redact_stored.h"

namespace messenger::messaging {
namespace {

// A sync row's event that may be an edit, a reaction or a redaction (a plain
// message with a body is none of them: no read needed).
nlohmann::json ParsePdu(const std::string& text) {
  nlohmann::json pdu = nlohmann::json::parse(text, nullptr, false);
  return pdu.is_object() ? pdu : nlohmann::json::object();
}

// A message of its own: m.room.message and no edit.
bool IsOwnMessage(const nlohmann::json& pdu) {
  return pdu.value("type", "") == matrix::kMessageType &&
         !IsEdit(pdu.value("content", nlohmann::json::object()));
}

bool MayBeRelated(const MessageRow& m) {
  const nlohmann::json pdu = ParsePdu(m.pdu);
  if (pdu.value("type", "") != matrix::kMessageType) return true;
  const auto content = pdu.find("content");
  return content == pdu.end() || !content->is_object() || !content->contains("body") ||
         IsEdit(*content);
}

void ApplyNotes(MessageRow& m, MessageNotes notes) {
  if (notes.deleted) {
    m.notes = MessageNotes{};  // a placeholder: no text, edits or reactions
    m.notes.deleted = true;
    return;
  }
  m.notes = std::move(notes);
  const std::string reply_to = ReplyToOf(m.pdu);
  if (!reply_to.empty()) m.notes.reply_to = reply_to;
}

}  // namespace

absl::StatusOr<RelationsManager::Checked> RelationsManager::Check(RelationAction action,
                                                                  const std::string& user_id,
                                                                  const std::string& message_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  Checked checked;
  checked.user = text::ToLowerAscii(user_id);
  ASSIGN_OR_RETURN(std::optional<TargetFacts> target, store_.FindTarget(message_id));
  Actor actor{checked.user};
  if (target) {
    ASSIGN_OR_RETURN(std::optional<std::string> membership,
                     store_.Membership(target->room_id, checked.user));
    actor.joined = membership == "join";
    ASSIGN_OR_RETURN(checked.mxid, messaging_.MatrixIdOf(checked.user));
    if (action == RelationAction::kDelete && actor.joined && target->sender != checked.user) {
      // Another's message: in a group the power levels decide (Write reads
      // them under the room lock); in a direct conversation (both at 100)
      // each deletes only their own.
      ASSIGN_OR_RETURN(std::optional<RoomRow> room, store_.GetRoom(target->room_id));
      checked.by_power = room && room->kind == "group";
    }
  }
  checked.action = action;
  checked.actor = actor;
  if (!checked.by_power) {
    RETURN_IF_ERROR(CheckRelation(action, target, actor));
  } else {  // the rest, in their order, under the room lock (Write)
    TargetFacts live = *target;
    live.deleted = false;
    Actor admin = actor;
    admin.power = admin.redact_level;
    RETURN_IF_ERROR(CheckRelation(action, live, admin));
  }
  checked.target = std::move(*target);
  return checked;
}

ChangedMessage RelationsManager::Changed(const Checked& checked,
                                         const std::vector<std::string>& joined) const {
  ChangedMessage m{
      std::string(), checked.target.room_id, checked.target.sender, checked.target.seq, {}};
  for (const auto& member : joined) {
    if (member != checked.user) m.recipients.push_back(member);
  }
  return m;
}

absl::StatusOr<StoredEvent> RelationsManager::Write(
    const Checked& checked, nlohmann::json content, const std::string& type,
    const std::optional<std::string>& redacts,
    const std::function<absl::Status(MessagingTx&, const StoredEvent&,
                                     const std::vector<std::string>&)>& extra) {
  WriteDraft draft{
      {checked.mxid, type, std::nullopt, std::move(content), redacts}, checked.user, std::nullopt};
  auto plan =
      [&](const matrix::Room& room,
          const std::vector<std::string>& joined) -> absl::StatusOr<std::vector<WriteDraft>> {
    Actor actor = checked.actor;
    actor.joined = std::find(joined.begin(), joined.end(), checked.user) != joined.end();
    if (checked.by_power) {
      ASSIGN_OR_RETURN(matrix::PowerLevels levels, matrix::PowerLevels::FromState(room.state()));
      actor.power = levels.UserLevel(checked.mxid);
      actor.redact_level = levels.redact();
    }
    RETURN_IF_ERROR(CheckRelation(checked.action, checked.target, actor));
    return std::vector<WriteDraft>{draft};
  };
  ASSIGN_OR_RETURN(
      std::vector<StoredEvent> written,
      messaging_.writer().WriteState(checked.target.room_id, plan,
                                     [&](MessagingTx& tx, const std::vector<StoredEvent>& events,
                                         const std::vector<std::string>& joined) {
                                       return extra(tx, events.front(), joined);
                                     }));
  return written.front();
}

absl::StatusOr<EditedMessage> RelationsManager::Edit(const std::string& user_id,
                                                     const std::string& message_id,
                                                     const std::string& text) {
  ASSIGN_OR_RETURN(StoredEvent edit,
                   WriteEdit(user_id, message_id, text, EditContent(message_id, text), nullptr));
  return EditedMessage{message_id, edit.event_id, edit.origin_server_ts};
}

absl::StatusOr<StoredEvent> RelationsManager::WriteEdit(const std::string& user_id,
                                                        const std::string& message_id,
                                                        const std::string& text,
                                                        nlohmann::json content,
                                                        const Record& record) {
  RETURN_IF_ERROR(ValidateText(text));
  ASSIGN_OR_RETURN(Checked checked, Check(RelationAction::kEdit, user_id, message_id));
  return Write(
      checked, std::move(content), matrix::kMessageType, std::nullopt,
      [&](MessagingTx& tx, const StoredEvent& e, const std::vector<std::string>& joined) {
        if (record) RETURN_IF_ERROR(record(tx, e));
        RETURN_IF_ERROR(tx.InsertRelation(
            {e.event_id, e.room_id, message_id, kReplaceRel, std::nullopt, checked.user, e.seq}));
        ChangedMessage changed = Changed(checked, joined);
        changed.message_id = message_id;
        ASSIGN_OR_RETURN(
            bus::Event event,
            MessageEditedEvent(changed, absl::FromUnixMillis(e.origin_server_ts), clock_, rng_));
        return tx.Enqueue(event);
      });
}

absl::Status RelationsManager::Delete(const std::string& user_id, const std::string& message_id,
                                      const std::optional<DeleteRequest>& request) {
  ASSIGN_OR_RETURN(Checked checked, Check(RelationAction::kDelete, user_id, message_id));
  return Write(checked, matrix::RedactionContent(request ? request->reason : std::nullopt),
               kRedactionType, message_id,
               [&](MessagingTx& tx, const StoredEvent& e, const std::vector<std::string>& joined) {
                 if (request) {
                   RETURN_IF_ERROR(tx.InsertSent(checked.user, request->device_id,
                                                 request->client_key, e.event_id,
                                                 request->request_hash)
                                       .status());
                 }
                 RETURN_IF_ERROR(
                     tx.InsertRedaction(message_id, e.event_id, e.room_id, e.origin_server_ts));
                 RETURN_IF_ERROR(RedactStored(tx, message_id));
                 ChangedMessage changed = Changed(checked, joined);
                 changed.message_id = message_id;
                 ASSIGN_OR_RETURN(
                     bus::Event event,
                     MessageDeletedEvent(changed, checked.user,
                                         absl::FromUnixMillis(e.origin_server_ts), clock_, rng_));
                 return tx.Enqueue(event);
               })
      .status();
}

absl::Status RelationsManager::React(const std::string& user_id, const std::string& message_id,
                                     const std::string& key) {
  return WriteReaction(user_id, message_id, key, ReactionContent(message_id, key), nullptr)
      .status();
}

absl::StatusOr<StoredEvent> RelationsManager::WriteReaction(const std::string& user_id,
                                                            const std::string& message_id,
                                                            const std::string& key,
                                                            nlohmann::json content,
                                                            const Record& record) {
  RETURN_IF_ERROR(ValidateReactionKey(key));
  ASSIGN_OR_RETURN(Checked checked, Check(RelationAction::kReact, user_id, message_id));
  ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                   store_.FindReaction(message_id, key, checked.user));
  if (earlier) return absl::AlreadyExistsError("you already reacted with this key");
  return Write(checked, std::move(content), kReactionType, std::nullopt,
               [&](MessagingTx& tx, const StoredEvent& e, const std::vector<std::string>&) {
                 if (record) RETURN_IF_ERROR(record(tx, e));
                 return tx.InsertRelation(
                     {e.event_id, e.room_id, message_id, kAnnotationRel, key, checked.user, e.seq});
               });
}

absl::Status RelationsManager::Unreact(const std::string& user_id, const std::string& message_id,
                                       const std::string& key) {
  RETURN_IF_ERROR(ValidateReactionKey(key));
  ASSIGN_OR_RETURN(Checked checked, Check(RelationAction::kUnreact, user_id, message_id));
  ASSIGN_OR_RETURN(std::optional<std::string> reaction,
                   store_.FindReaction(message_id, key, checked.user));
  if (!reaction) return absl::NotFoundError("you have not reacted with this key");
  return Write(checked, nlohmann::json::object(), kRedactionType, *reaction,
               [&](MessagingTx& tx, const StoredEvent& e, const std::vector<std::string>&) {
                 RETURN_IF_ERROR(
                     tx.InsertRedaction(*reaction, e.event_id, e.room_id, e.origin_server_ts));
                 return RedactStored(tx, *reaction);
               })
      .status();
}

absl::Status RelationsManager::Annotate(const std::string& viewer,
                                        std::vector<MessageRow*> messages) {
  std::set<std::string> ids;
  for (const MessageRow* m : messages) ids.insert(m->event_id);
  if (ids.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto notes,
                   store_.MessageNotesOf(viewer, std::vector<std::string>(ids.begin(), ids.end())));
  for (MessageRow* m : messages) {
    auto it = notes.find(m->event_id);
    ApplyNotes(*m, it == notes.end() ? MessageNotes{} : it->second);
  }
  return absl::OkStatus();
}

absl::Status RelationsManager::AnnotateSync(const std::string& viewer, std::vector<SyncRow>& rows,
                                            const SyncNotes* prefetched) {
  std::map<std::string, RelatedEvent> own;
  if (prefetched == nullptr) {
    std::vector<std::string> candidates;
    for (const SyncRow& row : rows) {
      if (row.message && MayBeRelated(*row.message)) candidates.push_back(row.message->event_id);
    }
    ASSIGN_OR_RETURN(own, store_.RelatedEvents(candidates));
  }
  const std::map<std::string, RelatedEvent>& related =
      prefetched != nullptr ? prefetched->related : own;
  std::vector<SyncRow> out;
  out.reserve(rows.size());
  for (SyncRow& row : rows) {
    if (row.message) {
      auto it = related.find(row.message->event_id);
      if (it != related.end()) {
        row.kind = it->second.kind;
        row.seq = it->second.target.seq;
        row.message = it->second.target;
      } else if (!IsOwnMessage(ParsePdu(row.message->pdu))) {
        continue;  // a relation or redaction this API does not show
      }
    }
    out.push_back(std::move(row));
  }
  rows = std::move(out);
  std::vector<MessageRow*> messages;
  for (SyncRow& row : rows) {
    if (row.message) messages.push_back(&*row.message);
  }
  if (prefetched == nullptr) return Annotate(viewer, std::move(messages));
  const std::map<std::string, MessageNotes> notes =
      prefetched->shared.For(text::ToLowerAscii(viewer));
  for (MessageRow* m : messages) {
    auto it = notes.find(m->event_id);
    ApplyNotes(*m, it == notes.end() ? MessageNotes{} : it->second);
  }
  return absl::OkStatus();
}

std::shared_ptr<const SyncNotes> RelationsManager::PrefetchSync(
    const std::vector<SyncRequest>& requests, const std::vector<SyncPage>& pages) {
  // Each message once, however many pages carry it.
  std::map<std::string, const MessageRow*> messages;
  for (const SyncPage& page : pages) {
    for (const SyncRow& row : page.rows) {
      if (row.message) messages.emplace(row.message->event_id, &*row.message);
    }
  }
  std::vector<std::string> candidates;
  for (const auto& [id, m] : messages) {
    if (MayBeRelated(*m)) candidates.push_back(id);
  }
  auto notes = std::make_shared<SyncNotes>();
  absl::StatusOr<std::map<std::string, RelatedEvent>> related = store_.RelatedEvents(candidates);
  if (!related.ok()) return nullptr;
  notes->related = std::move(*related);
  std::set<std::string> ids;
  for (const auto& [id, m] : messages) {
    auto it = notes->related.find(id);
    ids.insert(it == notes->related.end() ? id : it->second.target.event_id);
  }
  std::set<std::string> viewers;
  for (const SyncRequest& r : requests) viewers.insert(text::ToLowerAscii(r.user_id));
  absl::StatusOr<SharedNotes> shared =
      store_.MessageNotesMany(std::vector<std::string>(viewers.begin(), viewers.end()),
                              std::vector<std::string>(ids.begin(), ids.end()));
  if (!shared.ok()) return nullptr;  // each poll reads its own
  notes->shared = std::move(*shared);
  return notes;
}

}  // namespace messenger::messaging
