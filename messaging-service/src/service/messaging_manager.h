// Messaging use cases over Matrix rooms: direct and group conversations,
// the contact policy, history, read markers, conversation lists, the sync
// feed and the event consumers. Every write goes through the RoomWriter.
// Storage, friendship checks, time and randomness are injected.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth_account.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/lru_cache.h"
#include "common/wait_hub.h"
#include "messaging-service/src/domain/e2ee_requests.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/src/domain/matrix/signing.h"
#include "messaging-service/src/domain/sync_position.h"
#include "messaging-service/src/domain/typing_state.h"
#include "messaging-service/src/service/sync_read_batcher.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "messaging-service/src/writer/room_writer.h"

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
  size_t loaded_rooms = 10'000;         // rooms with their state and members
  size_t cache_entries = 100'000;       // each small cache: names, room rows, friendships
  TypingLimits typing;                  // typing notices (TypingManager)
  int64_t max_group_members = 10'000;   // MESSENGER_MAX_GROUP_MEMBERS
  E2eeLimits e2ee;                      // the end-to-end encryption relay
  SyncReadBatcher::Options sync_reads;  // batched sync reads of woken polls
};

struct SendInput {
  std::string sender_id;
  std::string device_id;
  std::optional<std::string> to_user_id;
  std::optional<std::string> conversation_id;
  std::string text;
  std::string client_msg_id;
  std::optional<std::string> reply_to;  // a message of the same conversation
};

struct SentMessage {
  MessageRow message;
  bool duplicate = false;
};

struct HistoryPage {
  std::vector<MessageRow> messages;
  std::optional<int64_t> next_before_seq;
};

// createRoom of the Matrix client API (matrix_rooms.cc); ids are UUIDs.
struct MatrixRoomInput {
  std::string creator_id;
  std::vector<std::string> invitee_ids;
  std::string preset;  // "" = private_chat
  bool is_direct = false;
  std::optional<std::string> name;
  std::optional<std::string> topic;
  nlohmann::json initial_state;  // null when absent
  nlohmann::json power_level_content_override;
  std::string room_version;
};

struct SyncBatch {
  int64_t next = 0;  // ToWire of the next key
  std::vector<SyncRow> rows;
  // Something for this user lies above `next` (more rows, a commit still
  // open, or one held back by another): worth looking again shortly.
  bool lagging = false;
  // Read with the batch (null: the reader reads its own; SyncReadBatcher).
  std::shared_ptr<const SyncNotes> notes;
};

class MessagingManager {
 public:
  // `announcer` carries this replica's wake log and long polls.
  MessagingManager(MessagingStore& store, FriendChecker& friends, CommitAnnouncer& announcer,
                   std::string server_name, matrix::Ed25519Key key, const Clock& clock, Rng& rng,
                   MessagingLimits limits = {});

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
  // What is new for the user after `since` (a token's number: ToWire), no
  // waiting. Without a database read when this replica heard of nothing
  // for the user since then (the token is then returned unchanged).
  absl::StatusOr<SyncBatch> SyncOnce(const std::string& user_id, int64_t since);
  // SyncOnce for a woken long poll (messaging_sync.cc): answered at once
  // (returned) when it needs no read or cannot queue one; otherwise the read
  // joins the next batched statement (SyncReadBatcher) and `done` runs on the
  // reader's thread with exactly what SyncOnce would have answered.
  using SyncDone = std::function<void(absl::StatusOr<SyncBatch>)>;
  std::optional<absl::StatusOr<SyncBatch>> SyncOnceAsync(const std::string& user_id, int64_t since,
                                                         SyncDone done);
  // Batched sync statements run so far.
  uint64_t batched_sync_reads() const { return sync_reads_.reads(); }
  // Reads once per woken batch what showing its rows needs (SyncBatch::notes).
  void SetSyncPrefetch(SyncReadBatcher::Prefetch prefetch) {
    sync_reads_.SetPrefetch(std::move(prefetch));
  }
  // A token's number for a sync that starts now: the stream's horizon (one
  // small read), or the last one known when the database cannot answer.
  int64_t Position();
  size_t loaded_rooms() const { return writer_.loaded_rooms(); }
  // The room a send writes, when known without IO ("" otherwise): its
  // conversation_id, or the remembered direct room of the pair.
  std::string KnownRoomOf(const SendInput& input);
  // Drops the loaded rooms `which` selects (a shard this replica just took:
  // another replica may have moved them on).
  size_t ForgetRooms(const std::function<bool(const std::string& room_id)>& which) {
    return writer_.ForgetRooms(which);
  }
  // friendship.removed as this replica heard it: forget the remembered "yes".
  absl::Status OnFriendshipHeard(const bus::Event& event);
  WaitHub& hub() { return announcer_.hub(); }
  // OK for a joined member; NOT_FOUND without such a room, else
  // PERMISSION_DENIED.
  absl::Status CheckMember(const std::string& room_id, const std::string& user_id) {
    return CheckJoined(room_id, user_id);
  }

  // Event consumer effects (inside the consumer's transaction).
  absl::Status OnUserCreated(const bus::Event& event, pg::Tx& tx);
  absl::Status OnFriendshipEvent(const bus::Event& event, pg::Tx& tx);

  // Matrix createRoom (matrix_rooms.cc). A direct room is the pair's one
  // room, the same /v1 uses: an existing one is answered as it is.
  absl::StatusOr<RoomRow> CreateMatrixRoom(const MatrixRoomInput& input);
  // The rooms the user has joined.
  absl::StatusOr<std::vector<std::string>> JoinedRoomIds(const std::string& user_id);
  // The room's current state; PERMISSION_DENIED unless the user joined it.
  absl::StatusOr<std::vector<matrix::Event>> MatrixRoomState(const std::string& user_id,
                                                             const std::string& room_id);

  // Text of a stored m.room.message PDU.
  static std::string MessageText(const std::string& pdu);

  // For the other use cases of rooms (relations, groups): the one write path
  // and the users' Matrix ids.
  RoomWriter& writer() { return writer_; }
  absl::StatusOr<std::string> MatrixIdOf(const std::string& user_id) { return MatrixId(user_id); }
  // The room's row, remembered after the first read (kind and direct_key
  // never change); nullopt without such a room.
  absl::StatusOr<std::optional<RoomRow>> RoomRowOf(const std::string& room_id);
  // The contact policy of a pair, a "yes" remembered as /v1's sends do (every
  // direct message is confirmed again just before it commits).
  absl::StatusOr<bool> FriendsRemembered(const std::string& a, const std::string& b) {
    return AreFriends(a, b);
  }
  // What a Matrix message of `sender` into `room_id` needs, when all of it is
  // in memory: the room's row and the sender's Matrix id; in a direct room the
  // sender is of the pair and its friendship is remembered. Otherwise nullopt.
  struct KnownSend {
    RoomRow room;
    std::string sender_mxid;
  };
  std::optional<KnownSend> KnownMatrixSend(const std::string& room_id, const std::string& sender);
  absl::StatusOr<std::map<std::string, std::string>> MatrixIdsOf(
      const std::vector<std::string>& ids) {
    return MatrixIds(ids);
  }
  // Federation (issue 16, remote_direct_rooms.cc): how the peer of a direct
  // room on another server is invited (PUT /v2/invite with is_direct): room
  // id, inviter UUID and Matrix id, invitee Matrix id. Set once while wiring;
  // without it a direct room with a remote user is Unavailable.
  using RemoteInviter =
      std::function<absl::Status(const std::string& room_id, const std::string& inviter_id,
                                 const std::string& inviter_mxid, const std::string& invitee)>;
  void SetRemoteInviter(RemoteInviter inviter) { remote_inviter_ = std::move(inviter); }
  // An account whose user.created this service has not applied yet, by
  // user id. Set once while wiring; without it such an account is
  // Unavailable (retry).
  void SetAccountLookup(AccountLookup lookup) { account_lookup_ = std::move(lookup); }
  // Drops the remembered room of a pair (its key moved to another: glare).
  void ForgetDirectRoom(const std::string& pair_key) { direct_rooms_.Erase(pair_key); }
  // How long a pair's room is remembered (other replicas learn of a moved key).
  static constexpr absl::Duration kDirectRoomTtl = absl::Minutes(1);

 private:
  absl::StatusOr<std::string> MatrixIdNotYetKnown(const std::string& user_id);
  // A Matrix id of another server (a remote user's username is its Matrix id).
  bool IsRemoteUser(const std::string& mxid) const;
  // The pair's direct room when the peer is a user of another server: made
  // here with the sender alone joined, the peer invited over federation (again
  // on a later call while the peer has no membership: the invite failed).
  absl::StatusOr<RoomRow> RemoteDirectRoomFor(const std::string& sender, const std::string& peer,
                                              const std::string& peer_mxid);
  // When the peer's server refused our room of the pair: the room the pair
  // has now (the peer's, if our user is joined in it, else `ours`).
  absl::StatusOr<std::optional<RoomRow>> AdoptPeersDirectRoom(const std::string& key,
                                                               const RoomRow& ours,
                                                               const std::string& peer,
                                                               const std::string& sender);
  absl::StatusOr<std::string> MatrixId(const std::string& user_id);
  absl::StatusOr<std::map<std::string, std::string>> MatrixIds(const std::vector<std::string>& ids);
  // A new room with its initial events and everyone joined.
  absl::StatusOr<RoomRow> CreateRoom(const std::string& creator_id, const std::string& kind,
                                     const std::optional<std::string>& name,
                                     const std::optional<std::string>& direct_key,
                                     const std::vector<std::string>& member_ids);
  absl::StatusOr<RoomRow> DirectRoomFor(const std::string& sender, const std::string& peer);
  absl::Status CheckJoined(const std::string& room_id, const std::string& user_id);
  // The history a user may read: 0 (all) while joined, the seq of their
  // leave after leaving a group; otherwise CheckJoined's error.
  absl::StatusOr<int64_t> ReadableBefore(const std::string& room_id, const std::string& user_id);
  // IsFriend, remembering "yes" until a friendship.removed event (or a while).
  // It only decides the path: every direct message is confirmed with the
  // contact service just before it commits (ConfirmFriendships).
  absl::StatusOr<bool> AreFriends(const std::string& a, const std::string& b);
  // The writer's check of a batch: one call for all its direct messages.
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
    bool answered = false;    // a retry, answered from history by `earlier`
    SentMessage earlier;
  };
  // With `memory_only` nothing waits on IO: nullopt when a cache missed.
  absl::StatusOr<std::optional<SendTarget>> ResolveSend(const SendInput& in, bool memory_only);
  // Cache lookups (no IO).
  std::optional<RoomRow> CachedDirectRoom(const std::string& pair_key);
  void RememberDirectRoom(const std::string& pair_key, const RoomRow& row);
  std::optional<RoomRow> CachedRoom(const std::string& room_id);
  // A remembered "yes" (no IO).
  std::optional<bool> KnownFriends(const std::string& a, const std::string& b);
  // The message of `target` for the writer.
  static MessageWrite MessageFor(const SendTarget& target, const SendInput& in);
  // The writer's answer as the caller sees it: a taken client_msg_id, or a
  // refused direct message that may be a retry of one sent while the pair
  // were friends, is answered by the original.
  struct SendKey {  // what finds the original of a retry
    std::string sender, device_id, client_msg_id, request_hash;
  };
  static SendKey KeyOf(const MessageWrite& write) {
    return {write.draft.sender_id, write.device_id, write.client_msg_id, write.request_hash};
  }
  absl::StatusOr<SentMessage> Answer(const SendKey& key, absl::StatusOr<StoredEvent> written);
  // Sync rows per read; the batch after a read that got `ticket`.
  static constexpr int kSyncPageRows = 100;
  SyncBatch SyncAfterRead(const std::string& user, SyncKey from, uint64_t ticket, SyncPage page);

  MessagingStore& store_;
  FriendChecker& friends_;
  CommitAnnouncer& announcer_;
  std::string server_name_;
  const Clock& clock_;
  Rng& rng_;
  // Facts that never change (names, room kinds) or are confirmed before
  // commit (friendships); a miss asks storage or the contact service.
  LruCache<std::string, std::string> mxids_;         // user id -> @name:server
  // Pair key -> its room, and when it was read, kept kDirectRoomTtl: under
  // glare the key may move to another room (federation_invite.cc); the
  // replica that took the invite forgets it at once, the others then.
  struct KnownDirectRoom {
    RoomRow row;
    absl::Time read_at;
  };
  LruCache<std::string, KnownDirectRoom> direct_rooms_;
  LruCache<std::string, RoomRow> room_rows_;         // room id -> kind, direct_key
  LruCache<std::string, absl::Time> friends_until_;  // pair key -> trust "yes" until
  int64_t max_group_members_;
  RemoteInviter remote_inviter_;  // SetRemoteInviter
  AccountLookup account_lookup_;  // SetAccountLookup
  SyncReadBatcher sync_reads_;
  // Last: stopped (and drained) before the members its answers use.
  RoomWriter writer_;
};

}  // namespace messenger::messaging
