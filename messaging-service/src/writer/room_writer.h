// The one way events enter a room. Every write (a message, a state change, a
// receipt that moves the stream) takes the room's in-memory copy (loaded under
// the row lock when missing or stale), authorizes the event with the Matrix
// auth rules, builds, hashes and signs it, commits it with its outbox rows
// (its stream position and xid come from the database: DESIGN.md, section
// 2), and wakes the readers of every replica. Policy (who may talk to whom) is
// decided by the caller before and by the batch confirmation just before the
// commit; duplicates are found by storage's idempotency key alone.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
#include "messaging-service/src/storage/message_batcher.h"
#include "messaging-service/src/storage/messaging_store.h"
#include "messaging-service/src/writer/commit_announcer.h"

namespace messenger::messaging {

// An event to write, before it is built and signed.
struct WriteDraft {
  matrix::EventDraft event;
  std::string sender_id;                 // UUID
  std::optional<std::string> member_id;  // m.room.member: the target's UUID
};

// A message for the group commit.
struct MessageWrite {
  std::string room_id;
  // Direct rooms: the pair whose friendship is confirmed before the commit.
  std::optional<std::string> direct_key;
  WriteDraft draft;
  std::string device_id;
  std::string client_msg_id;
  std::string request_hash;
};

class RoomWriter {
 public:
  struct Options {
    size_t loaded_rooms = 10'000;
    size_t max_batch = 64;
    int commit_threads = 2;
    size_t parallel_from = 8;
    // Moved-on rooms (written by another process meanwhile) are reloaded and
    // the write tried again this many times before UNAVAILABLE.
    int max_attempts = 4;
  };
  // Extra rows of a state write, in its transaction: the events written and
  // the room's joined members after them.
  using Extra = std::function<absl::Status(MessagingTx&, const std::vector<StoredEvent>&,
                                           const std::vector<std::string>& joined)>;
  // Plans a state write from the room as it is under the room lock (its
  // current state, power levels) and its joined members: what is read to
  // decide and what is written cannot drift apart. No drafts: nothing is
  // written and `extra` does not run.
  using Plan = std::function<absl::StatusOr<std::vector<WriteDraft>>(
      const matrix::Room&, const std::vector<std::string>& joined)>;
  // The written event; nullopt: the room moved on and nothing was written
  // (call WriteMessage, which may wait for a reload). Errors: ALREADY_EXISTS
  // when the idempotency key was taken, PERMISSION_DENIED when the batch
  // confirmation refused it, or what storage answered.
  using MessageDone = std::function<void(absl::StatusOr<std::optional<StoredEvent>>)>;

  RoomWriter(MessagingStore& store, CommitAnnouncer& announcer, std::string server_name,
             matrix::Ed25519Key key, const Clock& clock, Rng& rng, Options options,
             MessageBatcher::Confirm confirm);

  // Without waiting on IO: when the room is loaded and not being reloaded,
  // queues the message (behind the room's message in flight, if any) and
  // returns true; `done` runs on a commit thread. False: nothing happened.
  bool TryWriteMessage(MessageWrite write, MessageDone done);
  // Loads the room if needed and waits for the commit.
  absl::StatusOr<StoredEvent> WriteMessage(const MessageWrite& write);
  // State events (and anything else) in one transaction under the row lock.
  absl::StatusOr<std::vector<StoredEvent>> WriteState(const std::string& room_id,
                                                      const std::vector<WriteDraft>& drafts,
                                                      const Extra& extra);
  // The drafts come from `plan`, run under the room lock.
  absl::StatusOr<std::vector<StoredEvent>> WriteState(const std::string& room_id, const Plan& plan,
                                                      const Extra& extra);
  // A new room with `drafts` as its first events; `welcome` each get a
  // "conversation" notice. ALREADY_EXISTS when its direct pair has a room.
  absl::StatusOr<RoomRow> CreateRoom(RoomRow row, const std::vector<WriteDraft>& drafts,
                                     const std::vector<std::string>& welcome);
  // Moves the user's read marker to `seq` (1..last_seq) with a stream
  // position and a message.seen event; false when it was already that far.
  absl::StatusOr<bool> WriteReceipt(const std::string& room_id, const std::string& user_id,
                                    int64_t seq);

  size_t loaded_rooms() const { return rooms_.size(); }
  // Drops the copies of the rooms `which` selects; a holder of a dropped
  // handle keeps it, the next write reloads under the row lock.
  size_t ForgetRooms(const std::function<bool(const std::string& room_id)>& which);

 private:
  struct QueuedWrite {
    MessageWrite write;
    MessageDone done;
    // The sender's trace: a queued write is built on a commit thread.
    std::string trace_id;
  };
  // A room as this process last saw it; its mutex orders writes in-process
  // (the row lock and the seq check order them between processes).
  struct RoomHandle : std::enable_shared_from_this<RoomHandle> {
    std::mutex mutex;
    // A message of this room is being committed without the mutex held (its
    // event is the room's tip); other writes wait on `idle` until it settles.
    bool writing = false;
    std::condition_variable idle;
    int blocked = 0;  // threads in WaitIdle
    // Messages that arrived while writing; each settled write starts the next.
    std::deque<std::shared_ptr<QueuedWrite>> queued;
    std::optional<matrix::Room> room;
    int64_t depth = -1;
    int64_t last_seq = -1;
    std::vector<std::string> joined;  // user UUIDs
    // Other servers with joined members (outgoing federation destinations).
    std::vector<std::string> servers;
    void Forget() {                   // it may hold an event that did not commit
      room.reset();
      depth = -1;
      last_seq = -1;
    }
  };

  std::shared_ptr<RoomHandle> Handle(const std::string& room_id);
  static void WaitIdle(RoomHandle& handle, std::unique_lock<std::mutex>& lock);
  // Runs `fn` in one transaction under the room's mutex once no message of
  // it is in flight; the room's copy is dropped when it fails.
  absl::Status RoomTransaction(const std::string& room_id,
                               const std::function<absl::Status(MessagingTx&, RoomHandle&)>& fn);
  // Under the handle's mutex, in `tx` after LockRoom: (re)loads the room when
  // this copy is missing or behind `row`.
  absl::Status Refresh(MessagingTx& tx, const RoomRow& row, RoomHandle& handle);
  // Under the handle's mutex: loads the room if this process has no copy.
  absl::Status EnsureLoaded(const std::string& room_id, RoomHandle& handle);
  // Builds drafts into the in-memory room and writes them in `tx`.
  absl::Status WriteEvents(MessagingTx& tx, RoomRow& row, RoomHandle& handle,
                           const std::vector<WriteDraft>& drafts, std::vector<StoredEvent>& out,
                           std::optional<std::string>& last_message);
  // Under `lock` (released here): prepares the message and hands it to the
  // batcher, or answers it at once.
  void Start(const std::shared_ptr<RoomHandle>& handle, std::unique_lock<std::mutex>& lock,
             std::shared_ptr<QueuedWrite> queued);
  // Under the handle's mutex: the next message of a loaded room, the room
  // marked writing; nullopt when it is not loaded.
  absl::StatusOr<std::optional<FastMessage>> Prepare(RoomHandle& handle, const MessageWrite& write);
  // Settles a prepared message with the commit's answer (mutex not held).
  absl::StatusOr<std::optional<StoredEvent>> Finish(RoomHandle& handle, const FastMessage& m,
                                                    const absl::StatusOr<bool>& appended);

  MessagingStore& store_;
  CommitAnnouncer& announcer_;
  std::string server_name_;
  matrix::Ed25519Key key_;
  const Clock& clock_;
  Rng& rng_;
  int max_attempts_;
  // Held across a miss and its Put, so that a room gets one handle at a time.
  std::mutex rooms_mutex_;
  // An evicted handle still in use stays valid for its holders; the next
  // user of the room gets a fresh one, which reloads under the row lock.
  LruCache<std::string, std::shared_ptr<RoomHandle>> rooms_;
  std::function<void(const std::vector<std::string>&)> outgoing_wake_;  // SetOutgoingWake
  std::function<void(const std::string&, const std::string&, int64_t, absl::Time)>
      receipt_sink_;  // SetReceiptSink
  // Last: stopped (and drained) before the members its answers use.
  MessageBatcher batcher_;

  // Federation (issue 16; room_writer_remote.cc): events of other servers.
 public:
  // An event another server built and signed, its checks passed
  // (matrix::CheckPduFormatAndSignatures).
  struct RemoteWrite {
    matrix::Event event;
    std::string sender_id;                 // UUID (federation/remote_users.h)
    std::optional<std::string> member_id;  // m.room.member: the target's UUID
    // A join or leave this server took as the room's resident (send_join,
    // send_leave): its origin knows only us, so it is queued for the room's
    // other servers. Events of /send are sent to them by their origin.
    bool forward = false;
  };
  // How a remote event that forks the room (its prev_events are not the
  // forward extremities) is written: the state after it, the room's state
  // once it is in (state resolution, matrix::RoomStateAfterFork), and the
  // membership rows that room state changes (user ids as UUIDs).
  struct ForkedWrite {
    std::vector<StateEntry> event_state;
    // A stored group holding `event_state` (a message after one event has
    // the state after that event): written instead of a new snapshot.
    std::optional<int64_t> event_state_group;
    matrix::StateMap room_state;
    std::vector<MembershipRow> memberships;
    // Soft-failed events (kept beside the room, V063) that the resolution
    // put into the room's state: written as the room's events before it.
    struct SoftFailedInState {
      matrix::Event event;
      std::string sender_id;  // UUID
      int64_t state_group = 0;
    };
    std::vector<SoftFailedInState> soft_failed_in_state;
  };
  // Decides under the room's lock, from the room as it is, whether the event
  // may be applied: nullopt applies it after the forward extremities, a
  // ForkedWrite as a fork; an error writes nothing and is returned.
  using RemoteDecide =
      std::function<absl::StatusOr<std::optional<ForkedWrite>>(const matrix::Room& room)>;
  // Applies the event (state, membership, the message.sent outbox row of a
  // message, the outgoing rows of a forwarded one) with `extra` rows, in one
  // transaction under the row lock, and wakes the room's readers.
  absl::StatusOr<StoredEvent> WriteRemoteEvent(const std::string& room_id, const RemoteWrite& write,
                                               const RemoteDecide& decide, const Extra& extra);

  // Outgoing federation (fedpeer): `wake` runs after each commit that queued
  // PDUs for other servers, with those servers, so that the sender sends at
  // once instead of at its next poll. Set once while wiring, before writes.
  void SetOutgoingWake(std::function<void(const std::vector<std::string>&)> wake) {
    outgoing_wake_ = std::move(wake);
  }
  // The other servers with joined members, as the loaded copy of the room
  // knows them; empty when the room is not loaded (best-effort EDUs only).
  std::vector<std::string> LoadedServersOf(const std::string& room_id);
  // The same, loading the room when this process has no copy (receipts: a
  // read marker should reach the other servers even after a restart).
  absl::StatusOr<std::vector<std::string>> ServersOf(const std::string& room_id);
  // Runs after each commit of WriteReceipt that moved a marker: (room, user
  // UUID, seq, time). Set once while wiring, before writes.
  using ReceiptSink =
      std::function<void(const std::string&, const std::string&, int64_t, absl::Time)>;
  void SetReceiptSink(ReceiptSink sink) { receipt_sink_ = std::move(sink); }

  // A room of another server that a local user joined (fedjoin): `row` is
  // created with `state` (the state before the join, oldest first, checked
  // by matrix::CheckSendJoinAnswer) and `history` (what /backfill gave,
  // oldest first, checked by matrix::CheckJoinHistory) as its first events,
  // then `join`, in one transaction: history's messages come before the join
  // in seq order and count like received ones (feeds, unread, message.received).
  // `room` is the room after the join. `welcome` get a "conversation"
  // notice. Nothing is queued for other servers: the resident server sends
  // the join on. ALREADY_EXISTS when the room is known.
  absl::StatusOr<RoomRow> ImportRemoteRoom(RoomRow row, const std::vector<RemoteWrite>& history,
                                           const std::vector<RemoteWrite>& state,
                                           const RemoteWrite& join, const matrix::Room& room,
                                           const std::vector<std::string>& welcome,
                                           const Extra& extra);

  // A room of another server known here only through an invite of a local
  // user (fedinvite, room_writer_invite.cc): `write` (the invite, a new one,
  // or the user's leave declining it) is appended to the room's stub, created
  // from `row` when absent. No auth rules: this server holds none of the
  // room's state (the inviting server vouched for the invite with its
  // signature; a leave is our own user's). FAILED_PRECONDITION when this
  // server is in the room (its state has a create event).
  absl::StatusOr<StoredEvent> WriteInviteStub(const RoomRow& row, const RemoteWrite& write,
                                              const Extra& extra);

 private:
  // The events of an invite's stub room (its current state); AlreadyExists
  // when the room is not a stub.
  static absl::StatusOr<std::set<std::string>> StubEvents(MessagingTx& tx,
                                                          const std::string& room_id);
  // What an event of another server does to relations (its edit or
  // reaction row, or the redaction of its target; domain/remote_relations.h),
  // in its write's transaction, `state` being the room's.
  absl::Status RecordRemoteRelation(MessagingTx& tx, const matrix::Event& event,
                                    const StoredEvent& stored, const matrix::StateMap& state);
  // The message.received event of a message of another server's user, for
  // the room's joined members but its sender.
  absl::StatusOr<bus::Event> ReceivedEvent(const StoredEvent& stored,
                                           const std::string& sender_matrix_id,
                                           const std::vector<std::string>& joined);
  // In WriteRemoteEvent's transaction: the state groups, current state and
  // memberships of a forked event; sets the event's state group in `stored`.
  absl::Status WriteForkState(MessagingTx& tx, RoomRow& row, RoomHandle& handle,
                              const matrix::Event& event, const ForkedWrite& fork,
                              StoredEvent& stored);
};

}  // namespace messenger::messaging
