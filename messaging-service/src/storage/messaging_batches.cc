// The row-by-row defaults of MessagingTx's batches and of
// MessagingStore::MembershipsOf: what test fakes get; PostgreSQL writes each
// batch with one statement (pg_messaging_batches.cc).
#include "common/status.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

absl::StatusOr<std::vector<int64_t>> MessagingTx::NewStateGroups(
    const std::string& room_id, int64_t prev_group, const std::vector<StateEntry>& changes) {
  // A snapshot copies current_state: kept in step here, event by event (the
  // caller's PutCurrentStates then changes nothing).
  std::vector<int64_t> out;
  for (const StateEntry& change : changes) {
    ASSIGN_OR_RETURN(prev_group, NewStateGroup(room_id, prev_group, {change}, {}));
    RETURN_IF_ERROR(PutCurrentState(room_id, change));
    out.push_back(prev_group);
  }
  return out;
}

absl::Status MessagingTx::InsertEvents(const std::vector<StoredEvent>& events) {
  for (const StoredEvent& event : events) RETURN_IF_ERROR(InsertEvent(event));
  return absl::OkStatus();
}

absl::Status MessagingTx::PutCurrentStates(const std::string& room_id,
                                           const std::vector<StateEntry>& entries) {
  for (const StateEntry& entry : entries) RETURN_IF_ERROR(PutCurrentState(room_id, entry));
  return absl::OkStatus();
}

absl::Status MessagingTx::DeleteCurrentState(const std::string&, const std::string&,
                                             const std::string&) {
  return absl::UnimplementedError("this store keeps no forked rooms");
}

absl::Status MessagingTx::PutMemberships(const std::string& room_id,
                                         const std::vector<MembershipRow>& changes) {
  for (const MembershipRow& c : changes) {
    RETURN_IF_ERROR(PutMembership(room_id, c.user_id, c.membership, c.event_id));
  }
  return absl::OkStatus();
}

absl::Status MessagingTx::EnqueueOutgoingPdus(
    const std::string& room_id,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& pdus) {
  for (const auto& [event_id, destinations] : pdus) {
    RETURN_IF_ERROR(EnqueueOutgoingPdu(room_id, event_id, destinations));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, MemberProfile>> MessagingTx::ProfilesOf(
    const std::vector<std::string>& user_ids) {
  std::map<std::string, MemberProfile> out;
  for (const std::string& user : user_ids) {
    ASSIGN_OR_RETURN(MemberProfile profile, ProfileOf(user));
    if (profile.displayname || profile.avatar_url) out[user] = std::move(profile);
  }
  return out;
}

absl::Status MessagingTx::EnqueueAll(const std::vector<bus::Event>& events) {
  for (const bus::Event& event : events) RETURN_IF_ERROR(Enqueue(event));
  return absl::OkStatus();
}

absl::Status MessagingTx::InsertNotices(const std::vector<std::string>& user_ids,
                                        const std::string& kind, const std::string& room_id,
                                        const std::optional<std::string>& other_user) {
  for (const std::string& user : user_ids) {
    RETURN_IF_ERROR(InsertNotice(user, kind, room_id, other_user));
  }
  return absl::OkStatus();
}

absl::Status MessagingTx::InsertRoomNoticesAbout(const std::string& room_id,
                                                 const std::string& kind,
                                                 const std::vector<std::string>& others) {
  for (const std::string& other : others) RETURN_IF_ERROR(InsertRoomNotices(room_id, kind, other));
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> MessagingStore::MembershipsOf(
    const std::string& room_id, const std::vector<std::string>& user_ids) {
  std::map<std::string, std::string> out;
  for (const std::string& user : user_ids) {
    ASSIGN_OR_RETURN(std::optional<std::string> membership, Membership(room_id, user));
    if (membership) out[user] = *membership;
  }
  return out;
}

}  // namespace messenger::messaging
