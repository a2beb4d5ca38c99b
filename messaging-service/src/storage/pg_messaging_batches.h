// PostgreSQL side of MessagingTx's batches (issue 15): each writes its rows
// with one statement, whatever their number. Used by PgMessagingTx.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/outbox.h"
#include "common/pg/pg.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging::pg_batches {

// Full snapshots keep every state lookup to a bounded walk...
inline constexpr int64_t kMaxStateChain = 64;
// ...or, in a large room, once the chain holds a quarter of the last
// snapshot's size (V055): a snapshot then costs at most 4 rows per state
// event written since the last, however large the room.
inline constexpr int64_t kSnapshotShare = 4;

// "{a,b}" for a text[] parameter; elements are quoted so any text is safe;
// nullopt elements are NULL.
std::string TextArray(const std::vector<std::string>& items);
std::string TextArray(const std::vector<std::optional<std::string>>& items);

// A chain of groups is one statement; a snapshot at its end (rare: amortized
// over the chain) one more. Groups within one batch chain past the bound by
// at most the batch's length (the request caps bound it).
absl::StatusOr<std::vector<int64_t>> NewStateGroups(pg::Tx& tx, const std::string& room_id,
                                                    int64_t prev_group,
                                                    const std::vector<StateEntry>& changes);
absl::Status InsertEvents(pg::Tx& tx, const std::vector<StoredEvent>& events);
absl::Status PutCurrentStates(pg::Tx& tx, const std::string& room_id,
                              const std::vector<StateEntry>& entries);
absl::Status PutMemberships(pg::Tx& tx, const std::string& room_id,
                            const std::vector<MembershipRow>& changes);
absl::Status EnqueueOutgoingPdus(
    pg::Tx& tx, const std::string& room_id,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& pdus);
absl::StatusOr<std::map<std::string, MemberProfile>> ProfilesOf(
    pg::Tx& tx, const std::vector<std::string>& user_ids);
// Hands the events to the relay after the commit, as Outbox::Enqueue does.
absl::Status EnqueueAll(pg::Tx& tx, const bus::Outbox& outbox,
                        const std::vector<bus::Event>& events);
absl::Status InsertNotices(pg::Tx& tx, const std::vector<std::string>& user_ids,
                           const std::string& kind, const std::string& room_id,
                           const std::optional<std::string>& other_user);
absl::Status InsertRoomNoticesAbout(pg::Tx& tx, const std::string& room_id,
                                    const std::string& kind,
                                    const std::vector<std::string>& others);
absl::StatusOr<std::map<std::string, std::string>> MembershipsOf(
    pg::Pool& pool, const std::string& room_id, const std::vector<std::string>& user_ids);

}  // namespace messenger::messaging::pg_batches
