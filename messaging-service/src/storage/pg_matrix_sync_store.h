#pragma once

#include "common/pg/pg.h"
#include "messaging-service/src/storage/matrix_sync_store.h"

namespace messenger::messaging {

class PgMatrixSyncStore final : public MatrixSyncStore {
 public:
  explicit PgMatrixSyncStore(pg::Pool& pool) : pool_(pool) {}

  absl::StatusOr<uint64_t> Horizon() override;
  absl::StatusOr<std::vector<UserRoom>> UserRooms(
      const std::string& user_id,
      const std::optional<std::vector<std::string>>& room_ids) override;
  absl::StatusOr<std::vector<std::string>> ChangedRooms(const std::string& user_id, SyncKey since,
                                                        uint64_t below_xid) override;
  absl::StatusOr<std::vector<SyncedEvent>> Events(const EventRange& range) override;
  absl::StatusOr<std::optional<SyncedEvent>> Event(const std::string& event_id) override;
  absl::StatusOr<std::vector<SyncedEvent>> CurrentState(
      const std::vector<std::string>& room_ids) override;
  absl::StatusOr<std::vector<SyncedEvent>> StateSince(const std::vector<std::string>& room_ids,
                                                      SyncKey since, uint64_t below_xid) override;
  absl::StatusOr<std::map<std::string, std::string>> RemoteInviteStates(
      const std::string& user_id, const std::vector<std::string>& room_ids) override;
  absl::StatusOr<std::vector<RoomReceipt>> Receipts(const std::vector<std::string>& room_ids,
                                                    SyncKey since, uint64_t below_xid) override;
  absl::StatusOr<std::map<std::string, RoomCounts>> Counts(
      const std::string& user_id, const std::vector<std::string>& room_ids,
      const std::vector<std::string>& summary_room_ids) override;
  absl::StatusOr<int64_t> PutFilter(const std::string& user_id, const std::string& json,
                                    int max_per_user) override;
  absl::StatusOr<std::optional<std::string>> GetFilter(const std::string& user_id,
                                                       int64_t filter_id) override;
  absl::StatusOr<std::map<std::string, std::string>> SentKeys(
      const std::string& user_id, const std::string& device_id,
      const std::vector<std::string>& event_ids) override;
  absl::StatusOr<std::vector<SyncedEvent>> NewestEvents(const RoomsRange& range) override;
  absl::StatusOr<std::vector<SyncedEvent>> Relations(const RelationRange& range) override;
  absl::StatusOr<std::vector<SyncedEvent>> StateAt(const std::string& room_id,
                                                   int64_t before_seq) override;
  absl::StatusOr<std::map<std::string, SyncedEvent>> Replacements(
      const std::vector<std::string>& event_ids) override;

 private:
  pg::Pool& pool_;
};

}  // namespace messenger::messaging
