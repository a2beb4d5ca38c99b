#include "messaging-service/src/events/messaging_events.h"

#include "common/time_util.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {

absl::StatusOr<bus::Event> MessageSentEvent(const std::string& message_id,
                                            const std::string& conversation_id,
                                            const std::string& sender_id, int64_t seq,
                                            const std::vector<std::string>& recipients,
                                            absl::Time sent_at, const Clock& clock, Rng& rng) {
  events::v1::MessageSent data;
  data.set_message_id(message_id);
  data.set_conversation_id(conversation_id);
  data.set_sender_id(sender_id);
  data.set_seq(seq);
  for (const auto& r : recipients) data.add_recipients(r);
  ToProto(sent_at, data.mutable_sent_at());
  return bus::MakeEvent("message.sent", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> MessageReceivedEvent(const ReceivedMessage& message, const Clock& clock,
                                                Rng& rng) {
  events::v1::MessageReceived data;
  data.set_message_id(message.message_id);
  data.set_conversation_id(message.conversation_id);
  data.set_sender_id(message.sender_id);
  data.set_sender_matrix_id(message.sender_matrix_id);
  const size_t colon = message.sender_matrix_id.find(':');
  data.set_origin(colon == std::string::npos ? "" : message.sender_matrix_id.substr(colon + 1));
  data.set_seq(message.seq);
  for (const auto& r : message.recipients) data.add_recipients(r);
  ToProto(message.sent_at, data.mutable_sent_at());
  ToProto(clock.Now(), data.mutable_received_at());
  return bus::MakeEvent("message.received", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> MessageSeenEvent(const std::string& conversation_id,
                                            const std::string& user_id, int64_t seq,
                                            absl::Time seen_at, const Clock& clock, Rng& rng) {
  events::v1::MessageSeen data;
  data.set_conversation_id(conversation_id);
  data.set_user_id(user_id);
  data.set_seq(seq);
  ToProto(seen_at, data.mutable_seen_at());
  return bus::MakeEvent("message.seen", kEventSource, data, clock, rng);
}

namespace {

template <typename Data>
void FillChanged(const ChangedMessage& m, Data& data) {
  data.set_message_id(m.message_id);
  data.set_conversation_id(m.conversation_id);
  data.set_sender_id(m.sender_id);
  data.set_seq(m.seq);
  for (const auto& r : m.recipients) data.add_recipients(r);
}

}  // namespace

absl::StatusOr<bus::Event> MessageEditedEvent(const ChangedMessage& message, absl::Time edited_at,
                                              const Clock& clock, Rng& rng) {
  events::v1::MessageEdited data;
  FillChanged(message, data);
  ToProto(edited_at, data.mutable_edited_at());
  return bus::MakeEvent("message.edited", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> MessageDeletedEvent(const ChangedMessage& message,
                                               const std::string& deleted_by, absl::Time deleted_at,
                                               const Clock& clock, Rng& rng) {
  events::v1::MessageDeleted data;
  FillChanged(message, data);
  data.set_deleted_by(deleted_by);
  ToProto(deleted_at, data.mutable_deleted_at());
  return bus::MakeEvent("message.deleted", kEventSource, data, clock, rng);
}

}  // namespace messenger::messaging

namespace messenger::messaging {

absl::StatusOr<bus::Event> MemberAddedEvent(const std::string& conversation_id,
                                            const std::string& user_id,
                                            const std::string& added_by, absl::Time at,
                                            const Clock& clock, Rng& rng) {
  events::v1::ConversationMemberAdded data;
  data.set_conversation_id(conversation_id);
  data.set_user_id(user_id);
  data.set_added_by(added_by);
  ToProto(at, data.mutable_added_at());
  return bus::MakeEvent("conversation.member_added", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> MemberRemovedEvent(const std::string& conversation_id,
                                              const std::string& user_id,
                                              const std::string& removed_by,
                                              const std::string& reason, absl::Time at,
                                              const Clock& clock, Rng& rng) {
  events::v1::ConversationMemberRemoved data;
  data.set_conversation_id(conversation_id);
  data.set_user_id(user_id);
  data.set_removed_by(removed_by);
  data.set_reason(reason);
  ToProto(at, data.mutable_removed_at());
  return bus::MakeEvent("conversation.member_removed", kEventSource, data, clock, rng);
}

absl::StatusOr<bus::Event> ConversationUpdatedEvent(const std::string& conversation_id,
                                                    const std::string& updated_by,
                                                    const std::vector<std::string>& fields,
                                                    absl::Time at, const Clock& clock, Rng& rng) {
  events::v1::ConversationUpdated data;
  data.set_conversation_id(conversation_id);
  data.set_updated_by(updated_by);
  for (const auto& f : fields) data.add_fields(f);
  ToProto(at, data.mutable_updated_at());
  return bus::MakeEvent("conversation.updated", kEventSource, data, clock, rng);
}

}  // namespace messenger::messaging
