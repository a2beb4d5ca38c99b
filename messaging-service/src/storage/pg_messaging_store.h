#pragma once

#include <utility>

#include "absl/time/time.h"
#include "common/bus/outbox.h"
#include "common/lru_cache.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

// The counters of sync read statements (each single or batched read) and of
// message notes statements (each for one viewer or a woken batch).
inline constexpr char kSyncStatementsMetric[] = "messaging_sync_statements_total";
inline constexpr char kMessageNotesStatementsMetric[] = "messaging_message_notes_statements_total";

class PgMessagingStore final : public MessagingStore {
 public:
  PgMessagingStore(pg::Pool& pool, const bus::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::Status Transaction(const std::function<absl::Status(MessagingTx&)>& fn) override;
  absl::StatusOr<bool> AppendMessage(const FastMessage& message) override;
  absl::StatusOr<std::vector<bool>> AppendMessages(
      const std::vector<const FastMessage*>& messages) override;
  std::unique_ptr<MessagingTx> Within(pg::Tx& tx) override;
  absl::StatusOr<std::map<std::string, std::string>> Usernames(
      const std::vector<std::string>& user_ids) override;
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> SigningKey() override;
  absl::Status SaveSigningKey(const std::string& key_id, const std::string& seed) override;
  absl::StatusOr<std::pair<uint64_t, uint64_t>> StreamHorizon() override;
  absl::StatusOr<std::optional<SentRecord>> FindSent(const std::string& user_id,
                                                     const std::string& device_id,
                                                     const std::string& client_msg_id) override;
  absl::StatusOr<std::optional<RoomRow>> FindDirectRoom(const std::string& direct_key) override;
  absl::StatusOr<std::optional<RoomRow>> FindSupersededDirectRoom(
      const std::string& direct_key, const std::string& creator,
      const std::string& member) override;
  absl::StatusOr<std::map<std::string, std::string>> MembershipsOf(
      const std::string& room_id, const std::vector<std::string>& user_ids) override;
  absl::StatusOr<std::optional<RoomRow>> GetRoom(const std::string& room_id) override;
  absl::StatusOr<std::vector<std::string>> JoinedMembers(const std::string& room_id) override;
  absl::StatusOr<std::optional<std::string>> Membership(const std::string& room_id,
                                                        const std::string& user_id) override;
  absl::StatusOr<std::vector<MessageRow>> Messages(const std::string& room_id, int64_t before_seq,
                                                   int limit) override;
  absl::StatusOr<std::vector<ConversationRow>> Conversations(const std::string& user_id) override;
  absl::StatusOr<SyncPage> SyncRows(const std::string& user_id, SyncKey since, int limit) override;
  absl::StatusOr<std::vector<StateEntry>> StateAfter(const std::string& event_id) override;
  absl::StatusOr<std::optional<int64_t>> StateGroupOf(const std::string& event_id) override;
  absl::StatusOr<std::optional<TargetFacts>> FindTarget(const std::string& event_id) override;
  absl::StatusOr<std::optional<std::string>> FindReaction(const std::string& target,
                                                          const std::string& key,
                                                          const std::string& sender) override;
  absl::StatusOr<std::optional<std::string>> PowerLevelsPdu(const std::string& room_id) override;
  absl::StatusOr<std::map<std::string, MessageNotes>> MessageNotesOf(
      const std::string& viewer, const std::vector<std::string>& event_ids) override;
  absl::StatusOr<std::map<std::string, RelatedEvent>> RelatedEvents(
      const std::vector<std::string>& event_ids) override;
  absl::StatusOr<std::optional<std::string>> EventIdAt(const std::string& room_id,
                                                       int64_t seq) override;
  absl::StatusOr<std::optional<std::vector<MessageReceipt>>> MessageReceipts(
      const std::string& room_id, const std::string& event_id) override;
  absl::StatusOr<std::vector<std::string>> JoinedRoomIds(const std::string& user_id) override;
  absl::StatusOr<std::optional<MembershipAt>> FindMembership(const std::string& room_id,
                                                             const std::string& user_id) override;
  absl::StatusOr<std::vector<ConversationRow>> LeftConversations(
      const std::string& user_id) override;
  absl::StatusOr<std::vector<SyncPage>> SyncRowsMany(const std::vector<SyncRequest>& requests,
                                                     int limit) override;
  absl::StatusOr<SharedNotes> MessageNotesMany(const std::vector<std::string>& viewers,
                                               const std::vector<std::string>& event_ids) override;

 private:
  // One kSyncRows statement: rows after `since` with xid below `below` and
  // the horizon; the horizon goes to `horizon` when given.
  absl::StatusOr<std::vector<SyncRow>> ReadSyncRows(const std::string& user_id, SyncKey since,
                                                    uint64_t below, int limit, SyncPage* horizon);
  // A page that reached `limit` gets the rest of its last transaction.
  absl::Status FinishPage(const std::string& user_id, int limit, SyncPage& page);
  // Per user: whether its feed is read by key (many joined rooms) rather
  // than room by room (queries.h MESSENGER_SYNC_ROOMS_BY_*).
  absl::StatusOr<std::vector<bool>> ReadsByKey(const std::vector<std::string>& user_ids);

  pg::Pool& pool_;
  const bus::Outbox& outbox_;
  // user -> (joined rooms, until when the count is used): the reading's
  // choice only, so a count a minute old does no harm.
  LruCache<std::string, std::pair<int64_t, absl::Time>> joined_rooms_{"messaging_joined_room_counts",
                                                                      10'000};
};

}  // namespace messenger::messaging
