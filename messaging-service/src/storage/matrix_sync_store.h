// What the Matrix sync, /messages and /context read (and the filters they
// store, V042), beside the messaging store.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/sync_position.h"

namespace messenger::messaging {

// A stored event with its places in the room (seq) and the stream (key).
struct SyncedEvent {
  std::string event_id;
  std::string room_id;
  int64_t seq = 0;
  std::string type;
  std::optional<std::string> state_key;
  std::string sender;  // user UUID
  std::string pdu;
  SyncKey key;
  // The txnId of PUT /send or /redact when the syncing device sent it: the
  // client matches its local echo by it (unsigned.transaction_id).
  std::string transaction_id;
};

// The user's membership of a room and the event that set it.
struct UserRoom {
  std::string room_id;
  std::string membership;  // join | invite | leave | ban
  std::string event_id;
  int64_t seq = 0;
  SyncKey key;
};

struct RoomReceipt {
  std::string room_id;
  std::string user_id;  // UUID
  std::string event_id;
  int64_t ts_ms = 0;
};

struct RoomCounts {
  int64_t joined = 0;
  int64_t invited = 0;
  int64_t unread = 0;               // messages of others past the user's read marker
  std::vector<std::string> heroes;  // up to 5 other members (UUIDs)
  // joined, invited and heroes were read (the room's summary); an
  // incremental sync leaves them out while the membership did not change.
  bool summary = false;
};

// Events of one room: seq in (after_seq, before_seq), stream key after
// `after_key` and xid below `below_xid`; newest first unless `forward`.
struct EventRange {
  std::string room_id;
  SyncKey after_key;
  uint64_t below_xid = std::numeric_limits<uint64_t>::max();
  int64_t after_seq = 0;
  int64_t before_seq = 0;  // 0: no bound
  bool forward = false;
  std::optional<std::vector<std::string>> like_types;  // SQL LIKE patterns; nullopt: all
  std::vector<std::string> like_not_types;
  int limit = 10;
};

// The newest events of many rooms in one read (a sync's timelines): each
// room as Events reads it backwards, from its own `after_key` and below its
// own `before_seq`, with the shared horizon, type filters and limit per room.
struct RoomsRange {
  struct Room {
    std::string room_id;
    SyncKey after_key;
    int64_t before_seq = 0;  // 0: no bound
  };
  std::vector<Room> rooms;
  uint64_t below_xid = std::numeric_limits<uint64_t>::max();
  std::optional<std::vector<std::string>> like_types;
  std::vector<std::string> like_not_types;
  int limit = 10;
};

// The events relating to `relates_to` (the relations table: edits and
// reactions, not redacted ones) within `events`' bounds (its type filters are
// not used), optionally of one relation and one event type.
struct RelationRange {
  EventRange events;
  std::string relates_to;
  std::string rel_type;    // "": any
  std::string event_type;  // "": any
};

class MatrixSyncStore {
 public:
  virtual ~MatrixSyncStore() = default;
  // The sync stream's horizon now: rows below it never change.
  virtual absl::StatusOr<uint64_t> Horizon() = 0;
  // Every membership the user has (`room_ids` set: in those rooms only).
  virtual absl::StatusOr<std::vector<UserRoom>> UserRooms(
      const std::string& user_id, const std::optional<std::vector<std::string>>& room_ids) = 0;
  // Rooms of the user with events (any membership) or read markers (joined)
  // after `since`, below `below_xid`.
  virtual absl::StatusOr<std::vector<std::string>> ChangedRooms(const std::string& user_id,
                                                                SyncKey since,
                                                                uint64_t below_xid) = 0;
  virtual absl::StatusOr<std::vector<SyncedEvent>> Events(const EventRange& range) = 0;
  virtual absl::StatusOr<std::optional<SyncedEvent>> Event(const std::string& event_id) = 0;
  // The current state events of the rooms.
  virtual absl::StatusOr<std::vector<SyncedEvent>> CurrentState(
      const std::vector<std::string>& room_ids) = 0;
  // Those current state events of the rooms that came after `since` (below
  // `below_xid`): what an incremental sync shows of a room's state, read
  // without the rest (a big room's member list).
  virtual absl::StatusOr<std::vector<SyncedEvent>> StateSince(
      const std::vector<std::string>& room_ids, SyncKey since, uint64_t below_xid) = 0;
  // Room -> the stripped state (JSON array) another server sent with the
  // user's current invite into it (V056), for those of `room_ids` that have one.
  virtual absl::StatusOr<std::map<std::string, std::string>> RemoteInviteStates(
      const std::string& user_id, const std::vector<std::string>& room_ids) = 0;
  // Read markers of the rooms moved after `since` (below `below_xid`).
  virtual absl::StatusOr<std::vector<RoomReceipt>> Receipts(
      const std::vector<std::string>& room_ids, SyncKey since, uint64_t below_xid) = 0;
  // Unread counts of `room_ids`, and the summary of those of them also in
  // `summary_room_ids` (counting a big room's members costs).
  virtual absl::StatusOr<std::map<std::string, RoomCounts>> Counts(
      const std::string& user_id, const std::vector<std::string>& room_ids,
      const std::vector<std::string>& summary_room_ids) = 0;

  // Filters (V042). PutFilter answers the id of an equal filter when the
  // user stored one already; RESOURCE_EXHAUSTED past `max_per_user`.
  virtual absl::StatusOr<int64_t> PutFilter(const std::string& user_id, const std::string& json,
                                            int max_per_user) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetFilter(const std::string& user_id,
                                                               int64_t filter_id) = 0;

  // event id -> the client key (`client_msg_id`) the device sent it under,
  // for those of `event_ids` it sent.
  virtual absl::StatusOr<std::map<std::string, std::string>> SentKeys(
      const std::string& user_id, const std::string& device_id,
      const std::vector<std::string>& event_ids) = 0;

  // Up to `limit` newest events of each room of `range`, newest first within
  // a room (rooms in no particular order): one round trip for any number.
  virtual absl::StatusOr<std::vector<SyncedEvent>> NewestEvents(const RoomsRange& range) = 0;
  virtual absl::StatusOr<std::vector<SyncedEvent>> Relations(const RelationRange& range) = 0;
  // The room's state after its newest event below `before_seq` (0: its
  // current state), from the state groups.
  virtual absl::StatusOr<std::vector<SyncedEvent>> StateAt(const std::string& room_id,
                                                           int64_t before_seq) = 0;
  // Of each of `event_ids` that has one: its latest m.replace that is not
  // redacted and was sent by its own sender (original event id -> edit), in
  // one round trip.
  virtual absl::StatusOr<std::map<std::string, SyncedEvent>> Replacements(
      const std::vector<std::string>& event_ids) = 0;
};

}  // namespace messenger::messaging
