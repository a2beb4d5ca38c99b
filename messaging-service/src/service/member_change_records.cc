#include "messaging-service/src/service/member_change_records.h"

#include "common/status.h"
#include "messaging-service/src/events/messaging_events.h"

namespace messenger::messaging {

absl::Status RecordMemberAdded(MessagingTx& tx, const std::string& room_id,
                               const std::string& user, const std::string& by, absl::Time at,
                               const Clock& clock, Rng& rng) {
  return RecordMembersAdded(tx, room_id, {user}, by, at, clock, rng);
}

absl::Status RecordMembersAdded(MessagingTx& tx, const std::string& room_id,
                                const std::vector<std::string>& users, const std::string& by,
                                absl::Time at, const Clock& clock, Rng& rng) {
  std::vector<bus::Event> events;
  for (const std::string& user : users) {
    ASSIGN_OR_RETURN(bus::Event event, MemberAddedEvent(room_id, user, by, at, clock, rng));
    events.push_back(std::move(event));
  }
  RETURN_IF_ERROR(tx.EnqueueAll(events));
  return tx.InsertNotices(users, "conversation", room_id, std::nullopt);
}

absl::Status RecordMemberRemoved(MessagingTx& tx, const std::string& room_id,
                                 const std::string& user, const std::string& by,
                                 const std::string& reason, absl::Time at, const Clock& clock,
                                 Rng& rng) {
  ASSIGN_OR_RETURN(bus::Event event, MemberRemovedEvent(room_id, user, by, reason, at, clock, rng));
  RETURN_IF_ERROR(tx.Enqueue(event));
  // The one who went is no member any more: told apart from the others.
  return tx.InsertNotice(user, "member_removed", room_id, user);
}

}  // namespace messenger::messaging
