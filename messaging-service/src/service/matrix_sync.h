// The Matrix client sync (GET /v3/sync), its filters, room history
// (/messages, /context) and receipts, over the rooms the messaging manager
// writes. A sync reads the stream below its snapshot's horizon (the same
// keys as /v1 sync), so its next_batch is valid on every replica and after
// restarts. Long polls wait in the gateway (woken like /v1 sync); a call
// here never waits.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/lru_cache.h"
#include "messaging-service/src/domain/matrix_filter.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/service/typing_manager.h"
#include "messaging-service/src/service/user_sync_section.h"
#include "messaging-service/src/storage/matrix_sync_store.h"

namespace messenger::messaging {

inline constexpr int kMaxFiltersPerUser = 100;
// Stored filters a replica keeps in memory: a stored filter never changes
// (a new one gets a new id), and clients name theirs in every sync.
inline constexpr size_t kFilterCacheEntries = 10'000;

struct MatrixSyncRequest {
  std::string user_id;  // UUID
  std::string device_id;
  std::string since;   // "" for an initial sync
  std::string filter;  // inline JSON, a filter id, or ""
  bool full_state = false;
};

struct MatrixSyncRoom {
  std::string room_id;
  std::string membership;             // "join" | "invite" | "leave"
  std::vector<SyncedEvent> timeline;  // oldest first
  bool limited = false;
  std::string prev_batch;
  std::vector<SyncedEvent> state;  // invite: the events to strip
  nlohmann::json ephemeral = nlohmann::json::array();
  RoomCounts counts;                    // join only
  std::vector<std::string> hero_mxids;  // join only
};

struct MatrixSyncResult {
  std::string next_batch;
  bool has_news = false;  // something new after `since` (ends a long poll)
  std::vector<MatrixSyncRoom> rooms;
  std::vector<std::string> section_json;  // objects merged into the response
};

struct MatrixMessagesRequest {
  std::string user_id;
  std::string room_id;
  std::string from, to;
  bool forward = false;
  int limit = 10;
  std::string filter;  // RoomEventFilter JSON or ""
};

struct MatrixMessagesPage {
  std::vector<SyncedEvent> chunk;
  std::string start;
  std::optional<std::string> end;
};

struct MatrixRelationsRequest {
  std::string user_id;
  std::string room_id;
  std::string event_id;
  std::string rel_type;    // "": any
  std::string event_type;  // "": any
  std::string from, to;
  bool forward = false;
  int limit = 10;
};

struct MatrixRelationsPage {
  std::vector<SyncedEvent> chunk;
  std::string next_batch;  // "": no more
  std::string prev_batch;  // "": the first page
};

struct MatrixContext {
  SyncedEvent event;
  std::vector<SyncedEvent> before;  // newest first
  std::vector<SyncedEvent> after;   // oldest first
  std::string start, end;
  std::vector<SyncedEvent> state;
};

class MatrixSync {
 public:
  // `typing` may be null (no typing in sync). Sections are registered at
  // wiring, before the first sync.
  MatrixSync(MatrixSyncStore& store, MessagingManager& messaging, TypingManager* typing)
      : store_(store), messaging_(messaging), typing_(typing) {}

  void AddSection(UserSyncSection* section) { sections_.push_back(section); }

  absl::StatusOr<MatrixSyncResult> Sync(const MatrixSyncRequest& request);

  // Filters (matrix_history.cc). The id of the stored filter.
  absl::StatusOr<std::string> PutFilter(const std::string& user_id, const std::string& json);
  absl::StatusOr<std::string> GetFilter(const std::string& user_id, const std::string& filter_id);
  absl::StatusOr<MatrixMessagesPage> Messages(const MatrixMessagesRequest& request);
  absl::StatusOr<MatrixContext> Context(const std::string& user_id, const std::string& room_id,
                                        const std::string& event_id, int limit,
                                        const std::string& filter);
  // The room's state as it was at `at` (GET /members?at=): a room token, or
  // a sync token (the room as that sync saw it). A former member sees no
  // later than their leave; others of the room get PERMISSION_DENIED.
  absl::StatusOr<std::vector<SyncedEvent>> StateAt(const std::string& user_id,
                                                   const std::string& room_id,
                                                   const std::string& at);
  // The events relating to `event_id` (matrix_relations_read.cc), visible as
  // /messages; NOT_FOUND when the event is not one the user may read.
  absl::StatusOr<MatrixRelationsPage> Relations(const MatrixRelationsRequest& request);
  // The event a receipt of `type` names, checked (the room's, readable by
  // the user); an m.read receipt is then the /v1 seen of its seq.
  absl::StatusOr<SyncedEvent> ReceiptTarget(const std::string& user_id, const std::string& room_id,
                                            const std::string& type, const std::string& event_id);
  // Bundles into each of `events` that has one its latest edit
  // (matrix_bundles.cc): one store call for all of them.
  absl::Status BundleReplacements(const std::vector<SyncedEvent*>& events);

 private:
  struct SyncPass;
  absl::StatusOr<MatrixSyncResult> SyncOnce(const MatrixSyncRequest& request, SyncPass& pass);
  absl::StatusOr<SyncFilter> ResolveFilter(const std::string& user, const std::string& filter);
  // Narrows `range` (its before_seq the user's bound) to the page of the
  // `from` and `to` tokens of /messages and /relations.
  static absl::Status ApplyPageTokens(const std::string& from, const std::string& to,
                                      EventRange& range);
  // Seq bound of what the user may read in the room (0: all) or
  // PERMISSION_DENIED.
  absl::StatusOr<int64_t> ReadableBefore(const std::string& user, const std::string& room_id);
  // Joined since the pass's token (or an initial sync): recent timeline and
  // whole state.
  static bool FreshJoin(const SyncPass& pass, const UserRoom& m);
  // The timelines of every shown room but invites, in one read: the newest
  // events after the token (a fresh join: all) and, having left, up to the
  // leave.
  absl::Status ReadTimelines(SyncPass& pass, const std::vector<const UserRoom*>& shown);
  // The room's timeline of that read, oldest first, with `limited` and
  // `prev_batch`.
  static void TakeTimeline(SyncPass& pass, MatrixSyncRoom& room);
  absl::Status JoinedRoom(SyncPass& pass, const UserRoom& membership, MatrixSyncRoom& out);
  absl::Status CollectSections(SyncPass& pass, MatrixSyncResult& out);
  // unsigned.transaction_id of the events this device sent.
  absl::Status MarkOwnTransactions(const SyncPass& pass, MatrixSyncResult& out);
  // Matrix ids of the senders of `lists` and of `user` (a UUID): whose
  // member events a lazy-loading client gets.
  absl::StatusOr<std::set<std::string>> SenderIds(
      const std::vector<const std::vector<SyncedEvent>*>& lists, const std::string& user);

  MatrixSyncStore& store_;
  LruCache<std::string, std::string> filters_{"matrix_filters", kFilterCacheEntries};  // user/id
  MessagingManager& messaging_;
  TypingManager* typing_;
  std::vector<UserSyncSection*> sections_;
};

// The lowercased UUID, or INVALID_ARGUMENT.
absl::StatusOr<std::string> SyncUserId(const std::string& user_id);

}  // namespace messenger::messaging
