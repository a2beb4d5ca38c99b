// Storage of rooms, events, state, receipts and sync notices (interface).
// Writes go through a MessagingTx inside one transaction, so an event, its
// room's counters, its state and its outbox rows commit together.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/pg/pg.h"
#include "messaging-service/src/domain/relations.h"
#include "messaging-service/src/domain/remote_relations.h"
#include "messaging-service/src/domain/sync_position.h"

namespace messenger::messaging {

struct RoomRow {
  std::string room_id;
  std::string room_version = "10";
  std::string kind;  // "direct" | "group"
  std::optional<std::string> name;
  std::string creator;
  std::optional<std::string> direct_key;
  bool direct_read_only = false;
  absl::Time created_at;
  int64_t last_seq = 0;
  int64_t depth = 0;
  std::string tip_event_id;  // the latest event written
  int64_t state_group = 0;
  absl::Time last_event_at;
  // The forward extremities when another server's event forked the room
  // (V058); empty: the tip alone. The next local event merges them.
  std::vector<std::string> fork_extremities;
  std::vector<std::string> Extremities() const {
    return fork_extremities.empty() ? std::vector<std::string>{tip_event_id} : fork_extremities;
  }
};

struct StoredEvent {
  std::string event_id;
  std::string room_id;
  int64_t seq = 0;
  std::string sender;  // user UUID
  std::string type;
  std::optional<std::string> state_key;
  int64_t origin_server_ts = 0;
  int64_t state_group = 0;
  std::string pdu;  // JSON text
};

struct StateEntry {
  std::string type;
  std::string state_key;
  std::string event_id;
  auto operator<=>(const StateEntry&) const = default;
};

// A message as the native API shows it.
struct MessageRow {
  std::string event_id;
  std::string room_id;
  int64_t seq = 0;
  std::string sender;
  std::string pdu;
  int64_t origin_server_ts = 0;
  MessageNotes notes;  // filled by the relations' reads, not by every query
};

// An edit or reaction as stored beside its event.
struct RelationRow {
  std::string event_id;
  std::string room_id;
  std::string relates_to;
  std::string rel_type;  // kReplaceRel | kAnnotationRel
  std::optional<std::string> key;
  std::string sender;
  int64_t seq = 0;
};

// A relation or redaction event as sync shows it: the change and the message.
struct RelatedEvent {
  std::string kind;  // "edited" | "reaction" | "deleted"
  MessageRow target;
};

// Notes of messages read once for many viewers (MessageNotesMany): `me` is
// false in `notes`; `reacted` holds (message, key, viewer) for the viewers
// who reacted.
struct SharedNotes {
  std::map<std::string, MessageNotes> notes;
  std::set<std::tuple<std::string, std::string, std::string>> reacted;
  // The notes as `viewer` (a lower-case UUID) sees them.
  std::map<std::string, MessageNotes> For(const std::string& viewer) const;
};

// What showing a batch of woken polls' sync rows needs, read once for the
// batch: the relation and redaction events among them and the notes of
// every message shown (RelationsManager::PrefetchSync).
struct SyncNotes {
  std::map<std::string, RelatedEvent> related;
  SharedNotes shared;
};

// An idempotency key as stored: the message it made and the hash of the
// request that made it (none for keys stored before hashes were kept).
struct SentRecord {
  MessageRow message;
  std::optional<std::string> request_hash;
};

struct ConversationRow {
  std::string room_id;
  std::string kind;
  std::optional<std::string> name;
  bool read_only = false;
  std::optional<MessageRow> last_message;
  int64_t unread = 0;
  std::vector<std::string> members;
  bool left = false;  // a group the user left or was removed from: read-only
};

struct SyncRow {
  uint64_t xid = 0;  // of the writing transaction (0: written before V004)
  int64_t stream_pos = 0;
  std::string kind;  // "message" | "seen" | notice kinds
  std::string room_id;
  std::optional<MessageRow> message;
  std::string user_id;  // seen: reader; notices: the other user
  int64_t seq = 0;
  SyncKey key() const { return {xid, stream_pos}; }
};

// The rows of one user after a key, in key order, below the horizon of the
// read's snapshot (sync_position.h).
// A member's read marker at or past a message: who, since when, up to where.
struct MessageReceipt {
  std::string user_id;
  absl::Time seen_at;  // when the marker last moved
  int64_t seq = 0;
};

struct SyncPage {
  std::vector<SyncRow> rows;
  bool full = false;     // the limit was reached; the last transaction is whole
  uint64_t horizon = 0;  // rows below it never change (stream_horizon_sql.h)
  uint64_t xmax = 0;     // every xid committed before the snapshot is below it
  // Read with the batch the page came in (null: each reader reads its own).
  std::shared_ptr<const SyncNotes> notes;
};

// One user's sync read in a batch (SyncRowsMany).
struct SyncRequest {
  std::string user_id;
  SyncKey since;
};

// Operations inside one transaction.
// What a join event of the user carries besides its membership.
struct MemberProfile {
  std::optional<std::string> displayname, avatar_url;
};

// A member event's effect on the memberships table (PutMemberships).
struct MembershipRow {
  std::string user_id;  // UUID
  std::string membership;
  std::string event_id;
};

class MessagingTx {
 public:
  virtual ~MessagingTx() = default;
  virtual pg::Tx& tx() = 0;
  // The room row under a lock until the end of the transaction.
  virtual absl::StatusOr<std::optional<RoomRow>> LockRoom(const std::string& room_id) = 0;
  // PDUs of the room's current state.
  virtual absl::StatusOr<std::vector<std::string>> CurrentStatePdus(const std::string& room_id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> JoinedMembers(const std::string& room_id) = 0;
  virtual absl::Status InsertRoom(const RoomRow& room) = 0;
  virtual absl::Status UpdateRoom(const RoomRow& room,
                                  const std::optional<std::string>& last_message_event_id) = 0;
  virtual absl::Status InsertEvent(const StoredEvent& event) = 0;
  // A state group holding `changes` on top of `prev_group` (0 = none); a full
  // snapshot (`full_state`) when the chain would grow past its bound.
  virtual absl::StatusOr<int64_t> NewStateGroup(const std::string& room_id, int64_t prev_group,
                                                const std::vector<StateEntry>& changes,
                                                const std::vector<StateEntry>& full_state) = 0;
  virtual absl::Status PutCurrentState(const std::string& room_id, const StateEntry& entry) = 0;
  // A key the state resolution of a fork left out of the room's state.
  virtual absl::Status DeleteCurrentState(const std::string& room_id, const std::string& type,
                                          const std::string& state_key);
  virtual absl::Status PutMembership(const std::string& room_id, const std::string& user_id,
                                     const std::string& membership,
                                     const std::string& event_id) = 0;
  // False when (user, device, client_msg_id) is already taken.
  virtual absl::StatusOr<bool> InsertSent(const std::string& user_id, const std::string& device_id,
                                          const std::string& client_msg_id,
                                          const std::string& event_id,
                                          const std::string& request_hash) = 0;
  // Moves the read marker forward; false when `seq` is not past it.
  virtual absl::StatusOr<bool> AdvanceReceipt(const std::string& room_id,
                                              const std::string& user_id, int64_t seq,
                                              absl::Time at) = 0;
  virtual absl::Status InsertNotice(const std::string& user_id, const std::string& kind,
                                    const std::optional<std::string>& room_id,
                                    const std::optional<std::string>& other_user) = 0;
  virtual absl::Status SetDirectReadOnly(const std::string& direct_key, bool read_only) = 0;
  // Glare: the pair's key goes from `from_room` to `to_room`, which held
  // the superseded key; from_room gets its own (SupersededDirectKey).
  // FailedPrecondition when either room's key is not what that expects.
  virtual absl::Status MoveDirectKey(const std::string& direct_key, const std::string& from_room,
                                     const std::string& to_room) = 0;
  virtual absl::Status AddUser(const std::string& user_id, const std::string& username) = 0;
  // The username of a local user (nullopt for a remote or unknown one).
  virtual absl::StatusOr<std::optional<std::string>> LocalUsername(
      const std::string& user_id) = 0;
  virtual absl::Status Enqueue(const bus::Event& event) = 0;

  // Relations and redactions (V031). ALREADY_EXISTS: the user already
  // reacted with that key, or the target is deleted (nothing written).
  virtual absl::Status InsertRelation(const RelationRow& row) = 0;
  // ALREADY_EXISTS when `redacts` was redacted before.
  virtual absl::Status InsertRedaction(const std::string& redacts, const std::string& event_id,
                                       const std::string& room_id, int64_t origin_server_ts) = 0;
  // {event id, PDU} of the event and of its edits, to be redacted together.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PdusToRedact(
      const std::string& event_id) = 0;
  // Stores the redacted PDU in place of the original (the text is gone); a
  // redacted current room name is no longer the room's name.
  virtual absl::Status ReplaceRedacted(const std::string& event_id, const std::string& pdu) = 0;
  // The event a remote relation or redaction names (nullopt: not stored).
  virtual absl::StatusOr<std::optional<RelatedTarget>> RelatedTargetOf(
      const std::string& event_id) = 0;
  // InsertRelation for another server's event: a second reaction of a user
  // with one key, or one on a deleted message, is not written (no error:
  // the event itself is kept).
  virtual absl::Status InsertRemoteRelation(const RelationRow& row) = 0;
  // A notice of the room (groups: membership and settings changes): one
  // row, in the sync of every member joined when they read it.
  virtual absl::Status InsertRoomNotices(const std::string& room_id, const std::string& kind,
                                         const std::optional<std::string>& other_user) = 0;
  // Outgoing federation (issue 16): the event is to be sent to each of
  // `destinations`, committed with the event (federation_outgoing).
  virtual absl::Status EnqueueOutgoingPdu(const std::string& room_id, const std::string& event_id,
                                          const std::vector<std::string>& destinations) = 0;
  // The profile last published for a local user (V053); empty fields when
  // none was, and for remote users.
  virtual absl::StatusOr<MemberProfile> ProfileOf(const std::string& user_id) = 0;

  // Batches of the above for a write of many events (issue 15: an add of N
  // members costs a constant number of statements per table, not ~7 per
  // event). The defaults go row by row, for fakes; storage overrides them.
  //
  // One state group per entry of `changes`, each on top of the one before
  // (the first on `prev_group`), in order; the last becomes a snapshot when
  // the chain would grow past its bound (as NewStateGroup).
  virtual absl::StatusOr<std::vector<int64_t>> NewStateGroups(
      const std::string& room_id, int64_t prev_group, const std::vector<StateEntry>& changes);
  virtual absl::Status InsertEvents(const std::vector<StoredEvent>& events);
  // In order: a later entry of the same (type, state_key) wins.
  virtual absl::Status PutCurrentStates(const std::string& room_id,
                                        const std::vector<StateEntry>& entries);
  // In order: a later change of the same user wins.
  virtual absl::Status PutMemberships(const std::string& room_id,
                                      const std::vector<MembershipRow>& changes);
  // (event id, destinations) pairs.
  virtual absl::Status EnqueueOutgoingPdus(
      const std::string& room_id,
      const std::vector<std::pair<std::string, std::vector<std::string>>>& pdus);
  // Users without a published profile are absent.
  virtual absl::StatusOr<std::map<std::string, MemberProfile>> ProfilesOf(
      const std::vector<std::string>& user_ids);
  virtual absl::Status EnqueueAll(const std::vector<bus::Event>& events);
  // The same notice for each of `user_ids`.
  virtual absl::Status InsertNotices(const std::vector<std::string>& user_ids,
                                     const std::string& kind, const std::string& room_id,
                                     const std::optional<std::string>& other_user);
  // One room notice per user of `others` (InsertRoomNotices each).
  virtual absl::Status InsertRoomNoticesAbout(const std::string& room_id, const std::string& kind,
                                              const std::vector<std::string>& others);
};

// A message appended in one statement (the hot path): the room row moves from
// seq - 1 to seq only if nobody else moved it.
struct FastMessage {
  StoredEvent event;
  int64_t depth = 0;
  absl::Time at;
  std::string device_id;
  std::string client_msg_id;
  std::string request_hash;  // of (sender, target, text), kept with the key
  // Direct rooms: the pair whose friendship is confirmed before the commit.
  std::optional<std::string> direct_key;
  bus::Event outbox_event;
  // Other servers in the room: each gets a federation_outgoing row with it.
  std::vector<std::string> destinations;
};

// A user's membership of a room and the position of the event that set it.
struct MembershipAt {
  std::string membership;  // "join" | "invite" | "leave" | "ban"
  int64_t seq = 0;
};

class MessagingStore {
 public:
  virtual ~MessagingStore() = default;

  // One round trip, atomic. False when the room moved on (reload and retry);
  // ALREADY_EXISTS (sent_messages) when the client_msg_id was used.
  virtual absl::StatusOr<bool> AppendMessage(const FastMessage& message) = 0;
  // Many messages of different rooms in one statement (one commit). Per
  // message: appended or not (room moved on). Any error fails them all.
  virtual absl::StatusOr<std::vector<bool>> AppendMessages(
      const std::vector<const FastMessage*>& messages) = 0;

  virtual absl::Status Transaction(const std::function<absl::Status(MessagingTx&)>& fn) = 0;
  // A MessagingTx over a transaction someone else runs (event consumers).
  virtual std::unique_ptr<MessagingTx> Within(pg::Tx& tx) = 0;

  virtual absl::StatusOr<std::map<std::string, std::string>> Usernames(
      const std::vector<std::string>& user_ids) = 0;
  virtual absl::StatusOr<std::optional<std::pair<std::string, std::string>>> SigningKey() = 0;
  virtual absl::Status SaveSigningKey(const std::string& key_id, const std::string& seed) = 0;
  // The sync stream's horizon now and the xmax of its fresh snapshot.
  virtual absl::StatusOr<std::pair<uint64_t, uint64_t>> StreamHorizon() = 0;

  virtual absl::StatusOr<std::optional<SentRecord>> FindSent(const std::string& user_id,
                                                             const std::string& device_id,
                                                             const std::string& client_msg_id) = 0;
  virtual absl::StatusOr<std::optional<RoomRow>> FindDirectRoom(const std::string& direct_key) = 0;
  // A room of the pair `direct_key` left superseded by glare, made by
  // `creator`, in which `member` is joined.
  virtual absl::StatusOr<std::optional<RoomRow>> FindSupersededDirectRoom(
      const std::string& direct_key, const std::string& creator, const std::string& member) = 0;
  virtual absl::StatusOr<std::optional<RoomRow>> GetRoom(const std::string& room_id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> JoinedMembers(const std::string& room_id) = 0;
  virtual absl::StatusOr<std::optional<std::string>> Membership(const std::string& room_id,
                                                                const std::string& user_id) = 0;
  // Membership of each of `user_ids` that has a row (one statement in
  // storage): a check of N users reads N rows, not the room's members.
  virtual absl::StatusOr<std::map<std::string, std::string>> MembershipsOf(
      const std::string& room_id, const std::vector<std::string>& user_ids);

  // Newest first, seq < before_seq (0: no bound), at most `limit`.
  virtual absl::StatusOr<std::vector<MessageRow>> Messages(const std::string& room_id,
                                                           int64_t before_seq, int limit) = 0;
  virtual absl::StatusOr<std::vector<ConversationRow>> Conversations(
      const std::string& user_id) = 0;
  // Sync rows of the user after `since`: about `limit`, more to finish the
  // last transaction (a page never splits one, except legacy xid-0 rows).
  virtual absl::StatusOr<SyncPage> SyncRows(const std::string& user_id, SyncKey since,
                                            int limit) = 0;
  // The state of the room after `event_id` (via state groups).
  virtual absl::StatusOr<std::vector<StateEntry>> StateAfter(const std::string& event_id) = 0;
  // The state group of the state after an event, a soft-failed remote one
  // too (nullopt: unknown here).
  virtual absl::StatusOr<std::optional<int64_t>> StateGroupOf(const std::string& event_id) = 0;

  // Relations (V031). The event as the relation rules see it.
  virtual absl::StatusOr<std::optional<TargetFacts>> FindTarget(const std::string& event_id) = 0;
  // The user's reaction event with `key` on `target`, if any.
  virtual absl::StatusOr<std::optional<std::string>> FindReaction(const std::string& target,
                                                                  const std::string& key,
                                                                  const std::string& sender) = 0;
  virtual absl::StatusOr<std::optional<std::string>> PowerLevelsPdu(
      const std::string& room_id) = 0;
  // Latest edits, deletions and reaction counts of `event_ids` for `viewer`
  // (messages without any are absent).
  virtual absl::StatusOr<std::map<std::string, MessageNotes>> MessageNotesOf(
      const std::string& viewer, const std::vector<std::string>& event_ids) = 0;
  // The relation and redaction events among `event_ids`, by event id.
  virtual absl::StatusOr<std::map<std::string, RelatedEvent>> RelatedEvents(
      const std::vector<std::string>& event_ids) = 0;
  // The joined members whose read marker in the room is at or past the
  // message `event_id`, earliest first; nullopt when the room has no such
  // message. (Not pure: test fakes need not answer it.)
  virtual absl::StatusOr<std::optional<std::vector<MessageReceipt>>> MessageReceipts(
      const std::string& /*room_id*/, const std::string& /*event_id*/) {
    return absl::UnimplementedError("MessageReceipts");
  }
  // The event id at `seq` of the room (a receipt's target over federation);
  // nullopt when there is none. (Not pure: test fakes need not answer it.)
  virtual absl::StatusOr<std::optional<std::string>> EventIdAt(const std::string& /*room_id*/,
                                                               int64_t /*seq*/) {
    return absl::UnimplementedError("EventIdAt");
  }
  // Matrix client API: the rooms the user has joined.
  virtual absl::StatusOr<std::vector<std::string>> JoinedRoomIds(const std::string& user_id) = 0;
  // Groups.
  virtual absl::StatusOr<std::optional<MembershipAt>> FindMembership(const std::string& room_id,
                                                                     const std::string& user_id) = 0;
  // Groups the user left or was removed from, as they were at the leave:
  // the name then and the last message before it (no members, no unread).
  virtual absl::StatusOr<std::vector<ConversationRow>> LeftConversations(
      const std::string& user_id) = 0;
  // SyncRows for many users in one statement and one snapshot (every page
  // has the same horizon): the woken polls of a room's members read once.
  // Pages in request order.
  virtual absl::StatusOr<std::vector<SyncPage>> SyncRowsMany(
      const std::vector<SyncRequest>& requests, int limit) = 0;
  // MessageNotesOf for many viewers in one statement: the woken polls of a
  // batch. (Not pure: test fakes need not answer it.)
  virtual absl::StatusOr<SharedNotes> MessageNotesMany(
      const std::vector<std::string>& /*viewers*/, const std::vector<std::string>& /*event_ids*/) {
    return absl::UnimplementedError("MessageNotesMany");
  }
};

}  // namespace messenger::messaging
