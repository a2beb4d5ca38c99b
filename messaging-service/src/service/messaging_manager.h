// Messaging use cases over Matrix rooms: direct and group conversations,
// sending with idempotency and the contact policy, history, read markers,
// conversation lists and the sync feed. Storage, friendship checks, time and
// randomness are injected.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/lru_cache.h"
#include "common/wait_hub.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/src/domain/stream_tracker.h"
#include "messaging-service/src/storage/message_batcher.h"
#include "messaging-service/src/storage/messaging_store.h"

namespace messenger::messaging {

// The contact service as the contact policy needs it.
class FriendChecker {
 public:
  virtual ~FriendChecker() = default;
  // UNAVAILABLE when it cannot be known (never a guess).
  virtual absl::StatusOr<bool> AreFriends(const std::string& a, const std::string& b) = 0;
  // AreFriends of each pair, in one call.
  virtual absl::StatusOr<std::vector<bool>> AreFriendsMany(
      const std::vector<std::pair<std::string, std::string>>& pairs) = 0;
};

// Bounds of what the manager keeps in memory; past them the least recently
// used entry goes and is read again from storage (or the owner) on next use.
struct MessagingLimits {
  size_t loaded_rooms = 10'000;    // rooms with their state and members
  size_t cache_entries = 100'000;  // each small cache: names, room rows, friendships
};

struct SendInput {
  std::string sender_id;
  std::string device_id;
  std::optional<std::string> to_user_id;
  std::optional<std::string> conversation_id;
  std::string text;
  std::string client_msg_id;
};

struct SentMessage {
  MessageRow message;
  bool duplicate = false;
};

struct HistoryPage {
  std::vector<MessageRow> messages;
  std::optional<int64_t> next_before_seq;
};

struct SyncBatch {
  int64_t next = 0;
  std::vector<SyncRow> rows;
  // Something for this user lies above `next` (more rows, a commit still
  // open, or one held back by another): worth looking again shortly.
  bool lagging = false;
};

class MessagingManager {
 public:
  MessagingManager(MessagingStore& store, FriendChecker& friends, StreamTracker& tracker,
                   WaitHub& hub, std::string server_name, matrix::Ed25519Key key,
                   const Clock& clock, Rng& rng, MessagingLimits limits = {});

  absl::StatusOr<SentMessage> Send(const SendInput& input);
  // nullopt: not sent; call Send (which also answers every error).
  using SendDone = std::function<void(absl::StatusOr<std::optional<SentMessage>>)>;
  // The hot path without a waiting thread: when everything the send needs is
  // in memory and the room is idle, queues the message for the next group
  // commit and returns true; `done` then runs on the batcher's thread. False:
  // nothing happened, use Send.
  bool TrySendAsync(const SendInput& input, SendDone done);
  absl::StatusOr<HistoryPage> History(const std::string& user_id, const std::string& room_id,
                                      int64_t before_seq, int limit);
  absl::StatusOr<std::vector<ConversationRow>> Conversations(const std::string& user_id);
  absl::StatusOr<RoomRow> CreateGroup(const std::string& creator_id, std::string_view name,
                                      const std::vector<std::string>& member_ids);
  absl::Status MarkSeen(const std::string& user_id, const std::string& room_id, int64_t seq);
  // A Matrix invite into a group; the event id.
  absl::StatusOr<std::string> Invite(const std::string& inviter_id, const std::string& room_id,
                                     const std::string& invitee_id);
  // What is new for the user after `since` (no waiting).
  absl::StatusOr<SyncBatch> SyncOnce(const std::string& user_id, int64_t since);
  int64_t Position() const { return tracker_.Watermark(); }
  size_t loaded_rooms() const { return rooms_.size(); }
  WaitHub& hub() { return hub_; }

  // Event consumer effects (inside the consumer's transaction).
  absl::Status OnUserCreated(const bus::Event& event, pg::Tx& tx);
  absl::Status OnFriendshipEvent(const bus::Event& event, pg::Tx& tx);

  // Text of a stored m.room.message PDU.
  static std::string MessageText(const std::string& pdu);

 private:
  // A room as this process last saw it; its mutex orders appends in-process
  // (the row lock orders them between processes).
  struct QueuedSend;
  struct RoomHandle : std::enable_shared_from_this<RoomHandle> {
    std::mutex mutex;
    // A message of this room is being written without the mutex held (its
    // event is the room's tip); appends wait on `idle` until it is settled.
    bool writing = false;
    std::condition_variable idle;
    int blocked = 0;  // threads in WaitIdle
    // Sends that arrived while writing; each finished write starts the next.
    std::deque<std::shared_ptr<QueuedSend>> queued;
    std::optional<matrix::Room> room;
    int64_t depth = -1;
    int64_t last_seq = -1;
    std::vector<std::string> joined;  // user UUIDs
  };
  struct Draft {
    matrix::EventDraft event;
    std::string sender_id;
    std::optional<std::string> member_id;  // m.room.member: the target's UUID
  };

  std::shared_ptr<RoomHandle> Handle(const std::string& room_id);
  absl::StatusOr<std::string> MatrixId(const std::string& user_id);
  absl::StatusOr<std::map<std::string, std::string>> MatrixIds(const std::vector<std::string>& ids);
  // Appends `drafts` to the room in one transaction; `extra` adds rows (and
  // outbox events) to the same transaction.
  absl::StatusOr<std::vector<StoredEvent>> Append(
      const std::string& room_id, const std::vector<Draft>& drafts,
      const std::function<absl::Status(MessagingTx&, const std::vector<StoredEvent>&,
                                       const std::vector<std::string>& joined)>& extra);
  // Writes drafts to an in-memory room and the database.
  absl::Status WriteEvents(MessagingTx& tx, RoomRow& row, RoomHandle& handle,
                           const std::vector<Draft>& drafts, std::vector<StoredEvent>& out,
                           std::optional<std::string>& last_message);
  // A new room with its initial events and everyone joined.
  absl::StatusOr<RoomRow> CreateRoom(const std::string& creator_id, const std::string& kind,
                                     const std::optional<std::string>& name,
                                     const std::optional<std::string>& direct_key,
                                     const std::vector<std::string>& member_ids);
  absl::StatusOr<RoomRow> DirectRoomFor(const std::string& sender, const std::string& peer);
  absl::Status CheckJoined(const std::string& room_id, const std::string& user_id);
  // A stream position for rows `readers` (lowercase user ids) will see; it
  // settles when `tx` ends.
  int64_t AllocatePosition(pg::Tx& tx, absl::Span<const std::string> readers);
  // IsFriend, remembering "yes" until a friendship.removed event (or a while).
  // It only decides the path: every direct message is confirmed with the
  // contact service before it commits (ConfirmFriendships, ConfirmDirect).
  absl::StatusOr<bool> AreFriends(const std::string& a, const std::string& b);
  // Asks the contact service (no cache): OK while the pair of `direct_key`
  // are friends, else PERMISSION_DENIED (and the remembered "yes" goes).
  absl::Status ConfirmDirect(const std::string& direct_key);
  // The batcher's check of a batch: one call for all its direct messages.
  std::vector<absl::Status> ConfirmFriendships(const std::vector<const FastMessage*>& messages);
  // The answer to a reused client_msg_id: the original message (a retry),
  // ALREADY_EXISTS when it was used for another request, nullopt when unused.
  absl::StatusOr<std::optional<SentMessage>> Earlier(const std::string& sender,
                                                     const std::string& device_id,
                                                     const std::string& client_msg_id,
                                                     const std::string& request_hash);
  // The room of a direct pair, remembered (it never changes once made).
  absl::StatusOr<RoomRow> KnownRoom(const std::string& room_id);
  // Who sends where, after the input checks and the contact policy.
  struct SendTarget {
    RoomRow room;
    std::string sender;       // UUID
    std::string sender_mxid;  // @name:server
    bool answered = false;  // a retry, answered from history by `earlier`
    SentMessage earlier;
  };
  // With `memory_only` nothing waits on IO: nullopt when a cache missed.
  absl::StatusOr<std::optional<SendTarget>> ResolveSend(const SendInput& in, bool memory_only);
  static Draft MessageDraft(const SendTarget& target, const std::string& text);
  // Cache lookups (no IO).
  std::optional<RoomRow> CachedDirectRoom(const std::string& pair_key);
  std::optional<RoomRow> CachedRoom(const std::string& room_id);
  // A remembered "yes" (no IO).
  std::optional<bool> KnownFriends(const std::string& a, const std::string& b);
  struct QueuedSend {
    std::string room_id;
    std::optional<std::string> direct_key;
    Draft draft;
    SendInput input;
    SendDone done;
  };
  // Under `lock` (the room's, released here): prepares `send` and hands it
  // to the batcher, or answers it at once.
  void StartQueued(const std::shared_ptr<RoomHandle>& handle, std::unique_lock<std::mutex>& lock,
                   std::shared_ptr<QueuedSend> send);
  // Waits until no message of the room is being written.
  static void WaitIdle(RoomHandle& handle, std::unique_lock<std::mutex>& lock);
  // Under the handle's mutex: builds the next message of a loaded room for a
  // one-statement append and marks the room writing; nullopt when the room
  // must be (re)loaded through Append first.
  absl::StatusOr<std::optional<FastMessage>> PrepareFast(
      RoomHandle& handle, const std::string& room_id, const std::optional<std::string>& direct_key,
      const Draft& draft, const SendInput& in);
  // Settles a prepared message with the batcher's answer (without the mutex
  // held); nullopt when another process moved the room on.
  absl::StatusOr<std::optional<SentMessage>> FinishFast(RoomHandle& handle, const FastMessage& m,
                                                        const absl::StatusOr<bool>& appended);

  MessagingStore& store_;
  FriendChecker& friends_;
  StreamTracker& tracker_;
  WaitHub& hub_;
  std::string server_name_;
  matrix::Ed25519Key key_;
  const Clock& clock_;
  Rng& rng_;
  // Held across a miss and its Put, so that a room gets one handle at a time.
  std::mutex rooms_mutex_;
  // An evicted handle still in use stays valid for its holders; the next
  // user of the room gets a fresh one, which reloads under the row lock.
  LruCache<std::string, std::shared_ptr<RoomHandle>> rooms_;
  // Facts that never change (names, room kinds) or are confirmed before
  // commit (friendships); a miss asks storage or the contact service.
  LruCache<std::string, std::string> mxids_;         // user id -> @name:server
  LruCache<std::string, RoomRow> direct_rooms_;      // pair key -> its room
  LruCache<std::string, RoomRow> room_rows_;         // room id -> kind, direct_key
  LruCache<std::string, absl::Time> friends_until_;  // pair key -> trust "yes" until
  // Last: stopped (and drained) before the members its answers use.
  MessageBatcher batcher_{store_, 64, 2, 8,
                          [this](const std::vector<const FastMessage*>& messages) {
                            return ConfirmFriendships(messages);
                          }};
};

}  // namespace messenger::messaging
