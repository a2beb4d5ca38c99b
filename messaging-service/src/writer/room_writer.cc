#include "messaging-service/src/writer/room_writer.h"

#include <algorithm>
#include <iterator>

#include "common/status.h"
#include "common/trace.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/room_servers.h"
#include "messaging-service/src/domain/matrix/server_acl.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "messaging-service/src/domain/relations.h"
#include "messaging-service/src/events/messaging_events.h"

namespace messenger::messaging {
namespace {

absl::Status NoSuchConversation() { return absl::NotFoundError("no such conversation"); }

// Sorted `a` and `b` merged, without duplicates.
std::vector<std::string> Union(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<std::string> Others(const std::vector<std::string>& members, const std::string& self) {
  std::vector<std::string> out;
  for (const auto& m : members) {
    if (m != self) out.push_back(m);
  }
  return out;
}

bool IsJoinWithoutProfile(const WriteDraft& draft) {
  const nlohmann::json& content = draft.event.content;
  return draft.event.type == matrix::kMemberType && draft.member_id && content.is_object() &&
         content.contains("membership") && content["membership"] == "join" &&
         !content.contains("displayname") && !content.contains("avatar_url");
}

// A local user's join carries their published profile, as Matrix clients
// show members by it; content that names either field is the caller's choice.
matrix::EventDraft WithProfile(const WriteDraft& draft,
                               const std::map<std::string, MemberProfile>& profiles) {
  if (!IsJoinWithoutProfile(draft)) return draft.event;
  auto it = profiles.find(*draft.member_id);
  if (it == profiles.end()) return draft.event;
  matrix::EventDraft event = draft.event;
  if (it->second.displayname) event.content["displayname"] = *it->second.displayname;
  if (it->second.avatar_url) event.content["avatar_url"] = *it->second.avatar_url;
  return event;
}

bool IsLocal(const std::string& user_id, const std::string& server_name) {
  absl::StatusOr<std::string> server = matrix::ServerNameOf(user_id);
  return server.ok() && *server == server_name;
}

}  // namespace

RoomWriter::RoomWriter(MessagingStore& store, CommitAnnouncer& announcer, std::string server_name,
                       matrix::Ed25519Key key, const Clock& clock, Rng& rng, Options options,
                       MessageBatcher::Confirm confirm)
    : store_(store),
      announcer_(announcer),
      server_name_(std::move(server_name)),
      key_(std::move(key)),
      clock_(clock),
      rng_(rng),
      max_attempts_(std::max(1, options.max_attempts)),
      rooms_("messaging_loaded_rooms", options.loaded_rooms),
      batcher_(store_, options.max_batch, options.commit_threads, options.parallel_from,
               std::move(confirm)) {}

std::shared_ptr<RoomWriter::RoomHandle> RoomWriter::Handle(const std::string& room_id) {
  std::lock_guard lock(rooms_mutex_);
  if (std::optional<std::shared_ptr<RoomHandle>> known = rooms_.Get(room_id)) return *known;
  auto handle = std::make_shared<RoomHandle>();
  rooms_.Put(room_id, handle);
  return handle;
}

void RoomWriter::WaitIdle(RoomHandle& handle, std::unique_lock<std::mutex>& lock) {
  ++handle.blocked;
  handle.idle.wait(lock, [&] { return !handle.writing; });
  --handle.blocked;
}

absl::Status RoomWriter::Refresh(MessagingTx& tx, const RoomRow& row, RoomHandle& handle) {
  if (handle.room && handle.depth == row.depth &&
      matrix::SameEventIds(handle.room->forward_extremities(), row.Extremities())) {
    return absl::OkStatus();
  }
  // Not loaded yet, or another process appended: load the current state.
  ASSIGN_OR_RETURN(std::vector<std::string> pdus, tx.CurrentStatePdus(row.room_id));
  matrix::StateMap state;
  for (const std::string& pdu : pdus) {
    ASSIGN_OR_RETURN(matrix::Event event, matrix::Event::Parse(pdu));
    RETURN_IF_ERROR(state.Put(event));
  }
  handle.room = matrix::Room::Restore(row.room_id, std::move(state), row.Extremities(), row.depth);
  ASSIGN_OR_RETURN(handle.joined, tx.JoinedMembers(row.room_id));
  handle.servers = matrix::JoinedServers(handle.room->state(), server_name_);
  handle.depth = row.depth;
  handle.last_seq = row.last_seq;
  return absl::OkStatus();
}

absl::Status RoomWriter::EnsureLoaded(const std::string& room_id, RoomHandle& handle) {
  if (handle.room && handle.last_seq >= 0) return absl::OkStatus();
  absl::Status status = store_.Transaction([&](MessagingTx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<RoomRow> row, tx.LockRoom(room_id));
    if (!row) return NoSuchConversation();
    handle.Forget();
    return Refresh(tx, *row, handle);
  });
  if (!status.ok()) handle.Forget();
  return status;
}

absl::Status RoomWriter::WriteEvents(MessagingTx& tx, RoomRow& row, RoomHandle& handle,
                                     const std::vector<WriteDraft>& drafts,
                                     std::vector<StoredEvent>& out,
                                     std::optional<std::string>& last_message) {
  const absl::Time now = clock_.Now();
  std::vector<std::string> joiners;
  for (const WriteDraft& draft : drafts) {
    if (IsJoinWithoutProfile(draft)) joiners.push_back(*draft.member_id);
  }
  ASSIGN_OR_RETURN(const auto profiles, tx.ProfilesOf(joiners));
  // Built (authorized, signed) one after the other in memory, then written
  // with a few statements per table however many there are (issue 15).
  std::vector<StoredEvent> built;
  std::vector<StateEntry> state;   // of the state events, in order
  std::vector<size_t> state_at;    // their places in `built`
  std::vector<MembershipRow> members;
  std::vector<std::pair<std::string, std::vector<std::string>>> outgoing;
  for (const WriteDraft& draft : drafts) {
    const std::vector<std::string> servers_before = handle.servers;
    ASSIGN_OR_RETURN(matrix::Event event,
                     handle.room->Append(WithProfile(draft, profiles), absl::ToUnixMillis(now),
                                         server_name_, key_));
    StoredEvent stored;
    stored.event_id = event.event_id();
    stored.room_id = row.room_id;
    stored.seq = ++row.last_seq;
    stored.sender = draft.sender_id;
    stored.type = event.type();
    stored.state_key = event.state_key();
    stored.origin_server_ts = event.origin_server_ts();
    stored.pdu = event.canonical_json();
    row.depth = event.depth();
    row.tip_event_id = event.event_id();
    row.fork_extremities.clear();  // the event named them all
    row.last_event_at = now;
    if (event.is_state()) {
      state.push_back({event.type(), *event.state_key(), event.event_id()});
      state_at.push_back(built.size());
      if (event.type() == matrix::kMemberType && draft.member_id) {
        const std::string membership = event.membership();
        members.push_back({*draft.member_id, membership, event.event_id()});
        auto& joined = handle.joined;
        joined.erase(std::remove(joined.begin(), joined.end(), *draft.member_id), joined.end());
        if (membership == "join") joined.push_back(*draft.member_id);
      }
      // A local member's change leaves the other servers as they were; only a
      // remote one's, or a new server ACL, walks the state (O(members)).
      if ((event.type() == matrix::kMemberType && !IsLocal(*event.state_key(), server_name_)) ||
          event.type() == matrix::kServerAclType) {
        handle.servers = matrix::JoinedServers(handle.room->state(), server_name_);
      }
      if (event.type() == matrix::kNameType && event.content().contains("name") &&
          event.content()["name"].is_string()) {
        row.name = event.content()["name"].get<std::string>();
      }
    }
    // An edit changes a message; it is not the conversation's last one.
    if (event.type() == matrix::kMessageType && !IsEdit(event.content())) {
      last_message = event.event_id();
    }
    // A leaving server still gets its own leave: servers before and after.
    outgoing.emplace_back(stored.event_id, Union(servers_before, handle.servers));
    built.push_back(std::move(stored));
  }
  // Each state event starts a group holding what it changed; a later event
  // keeps the state after the last state event before it. No full state: a
  // snapshot, when due, is copied from current_state in the database.
  ASSIGN_OR_RETURN(const std::vector<int64_t> groups,
                   tx.NewStateGroups(row.room_id, row.state_group, state));
  for (size_t i = 0, next = 0; i < built.size(); ++i) {
    if (next < state_at.size() && state_at[next] == i) row.state_group = groups[next++];
    built[i].state_group = row.state_group;
  }
  RETURN_IF_ERROR(tx.InsertEvents(built));
  RETURN_IF_ERROR(tx.PutCurrentStates(row.room_id, state));
  RETURN_IF_ERROR(tx.PutMemberships(row.room_id, members));
  RETURN_IF_ERROR(tx.EnqueueOutgoingPdus(row.room_id, outgoing));
  for (StoredEvent& e : built) out.push_back(std::move(e));
  return absl::OkStatus();
}

absl::Status RoomWriter::RoomTransaction(
    const std::string& room_id, const std::function<absl::Status(MessagingTx&, RoomHandle&)>& fn) {
  std::shared_ptr<RoomHandle> handle = Handle(room_id);
  std::unique_lock lock(handle->mutex);
  WaitIdle(*handle, lock);
  absl::Status status =
      store_.Transaction([&](MessagingTx& tx) -> absl::Status { return fn(tx, *handle); });
  if (!status.ok()) handle->Forget();
  return status;
}

absl::StatusOr<std::vector<StoredEvent>> RoomWriter::WriteState(
    const std::string& room_id, const std::vector<WriteDraft>& drafts, const Extra& extra) {
  return WriteState(
      room_id,
      [&](const matrix::Room&, const std::vector<std::string>&)
          -> absl::StatusOr<std::vector<WriteDraft>> { return drafts; },
      extra);
}

absl::StatusOr<std::vector<StoredEvent>> RoomWriter::WriteState(const std::string& room_id,
                                                                const Plan& plan,
                                                                const Extra& extra) {
  std::vector<StoredEvent> written;
  std::vector<std::string> notify;
  std::vector<std::string> destinations;  // servers the events were queued for
  RETURN_IF_ERROR(RoomTransaction(room_id, [&](MessagingTx& tx, RoomHandle& handle) {
    written.clear();
    notify.clear();
    ASSIGN_OR_RETURN(std::optional<RoomRow> row, tx.LockRoom(room_id));
    if (!row) return NoSuchConversation();
    RETURN_IF_ERROR(Refresh(tx, *row, handle));
    ASSIGN_OR_RETURN(const std::vector<WriteDraft> drafts, plan(*handle.room, handle.joined));
    if (drafts.empty()) return absl::OkStatus();
    destinations = handle.servers;
    std::optional<std::string> last_message;
    RETURN_IF_ERROR(WriteEvents(tx, *row, handle, drafts, written, last_message));
    RETURN_IF_ERROR(tx.UpdateRoom(*row, last_message));
    if (extra) RETURN_IF_ERROR(extra(tx, written, handle.joined));
    handle.depth = row->depth;
    handle.last_seq = row->last_seq;
    notify = handle.joined;
    for (const WriteDraft& d : drafts) {
      if (d.member_id) notify.push_back(*d.member_id);  // an invitee, a leaver
    }
    destinations = Union(destinations, handle.servers);
    return absl::OkStatus();
  }));
  if (!notify.empty()) announcer_.Committed(notify);
  if (!destinations.empty() && outgoing_wake_) outgoing_wake_(destinations);
  return written;
}

absl::StatusOr<RoomRow> RoomWriter::CreateRoom(RoomRow row, const std::vector<WriteDraft>& drafts,
                                               const std::vector<std::string>& welcome) {
  RETURN_IF_ERROR(RoomTransaction(row.room_id, [&](MessagingTx& tx, RoomHandle& handle) {
    RoomRow working = row;
    handle.room = matrix::Room(row.room_id);
    handle.joined.clear();
    handle.servers.clear();
    RETURN_IF_ERROR(tx.InsertRoom(working));
    std::vector<StoredEvent> written;
    std::optional<std::string> last_message;
    RETURN_IF_ERROR(WriteEvents(tx, working, handle, drafts, written, last_message));
    RETURN_IF_ERROR(tx.UpdateRoom(working, last_message));
    RETURN_IF_ERROR(tx.InsertNotices(welcome, "conversation", row.room_id, std::nullopt));
    handle.depth = working.depth;
    handle.last_seq = working.last_seq;
    row = working;
    return absl::OkStatus();
  }));
  // Its events are read by its members, who are welcomed.
  announcer_.Committed(welcome);
  return row;
}

absl::StatusOr<bool> RoomWriter::WriteReceipt(const std::string& room_id,
                                              const std::string& user_id, int64_t seq) {
  bool advanced = false;
  std::vector<std::string> notify;
  const absl::Time now = clock_.Now();
  RETURN_IF_ERROR(store_.Transaction([&](MessagingTx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> joined, tx.JoinedMembers(room_id));
    ASSIGN_OR_RETURN(advanced, tx.AdvanceReceipt(room_id, user_id, seq, now));
    if (!advanced) return absl::OkStatus();  // already read that far
    ASSIGN_OR_RETURN(bus::Event event, MessageSeenEvent(room_id, user_id, seq, now, clock_, rng_));
    RETURN_IF_ERROR(tx.Enqueue(event));
    notify = std::move(joined);
    return absl::OkStatus();
  }));
  announcer_.Committed(notify);
  if (advanced && receipt_sink_) receipt_sink_(room_id, user_id, seq, now);
  return advanced;
}

bool RoomWriter::TryWriteMessage(MessageWrite write, MessageDone done) {
  std::shared_ptr<RoomHandle> handle = Handle(write.room_id);
  std::unique_lock lock(handle->mutex, std::try_to_lock);
  // A load holding the lock, or threads waiting for the room: take the pool.
  if (!lock.owns_lock() || !handle->room || handle->blocked > 0) return false;
  auto queued = std::make_shared<QueuedWrite>(
      QueuedWrite{std::move(write), std::move(done), trace::CurrentTraceId()});
  if (handle->writing) {
    handle->queued.push_back(std::move(queued));  // Finish starts it
    return true;
  }
  Start(handle, lock, std::move(queued));
  return true;
}

absl::StatusOr<StoredEvent> RoomWriter::WriteMessage(const MessageWrite& write) {
  for (int attempt = 0; attempt < max_attempts_; ++attempt) {
    std::shared_ptr<RoomHandle> handle = Handle(write.room_id);
    std::unique_lock lock(handle->mutex);
    WaitIdle(*handle, lock);
    RETURN_IF_ERROR(EnsureLoaded(write.room_id, *handle));
    ASSIGN_OR_RETURN(std::optional<FastMessage> message, Prepare(*handle, write));
    if (!message) continue;
    lock.unlock();
    auto m = std::make_shared<const FastMessage>(std::move(*message));
    absl::StatusOr<bool> appended = batcher_.Append(m);
    ASSIGN_OR_RETURN(std::optional<StoredEvent> written, Finish(*handle, *m, appended));
    if (written) return *written;
  }
  return absl::UnavailableError("the conversation is busy; retry");
}

void RoomWriter::Start(const std::shared_ptr<RoomHandle>& handle,
                       std::unique_lock<std::mutex>& lock, std::shared_ptr<QueuedWrite> queued) {
  trace::ScopedTrace scoped(queued->trace_id);  // message.sent carries it
  absl::StatusOr<std::optional<FastMessage>> message = Prepare(*handle, queued->write);
  lock.unlock();
  if (!message.ok()) return queued->done(message.status());
  if (!*message) return queued->done(std::nullopt);
  auto m = std::make_shared<const FastMessage>(std::move(**message));
  batcher_.AppendAsync(m, [this, handle, m, queued](absl::StatusOr<bool> appended) {
    trace::ScopedTrace scoped(queued->trace_id);
    queued->done(Finish(*handle, *m, appended));
  });
}

absl::StatusOr<std::optional<FastMessage>> RoomWriter::Prepare(RoomHandle& handle,
                                                               const MessageWrite& write) {
  if (!handle.room || handle.last_seq < 0) return std::nullopt;
  const absl::Time now = clock_.Now();
  // Authorizes (membership, power) against the room state and moves the tip.
  ASSIGN_OR_RETURN(
      matrix::Event event,
      handle.room->Append(write.draft.event, absl::ToUnixMillis(now), server_name_, key_));
  FastMessage m;
  StoredEvent& e = m.event;
  e.event_id = event.event_id();
  e.room_id = write.room_id;
  e.seq = handle.last_seq + 1;
  e.sender = write.draft.sender_id;
  e.type = event.type();
  e.origin_server_ts = event.origin_server_ts();
  e.pdu = event.canonical_json();
  m.depth = event.depth();
  m.at = now;
  m.device_id = write.device_id;
  m.client_msg_id = write.client_msg_id;
  m.request_hash = write.request_hash;
  m.direct_key = write.direct_key;
  absl::StatusOr<bus::Event> outbox_event =
      MessageSentEvent(e.event_id, write.room_id, e.sender, e.seq, Others(handle.joined, e.sender),
                       absl::FromUnixMillis(e.origin_server_ts), clock_, rng_);
  if (!outbox_event.ok()) {
    handle.Forget();  // holds the event just built
    return outbox_event.status();
  }
  m.outbox_event = std::move(*outbox_event);
  m.destinations = handle.servers;
  handle.writing = true;
  return m;
}

absl::StatusOr<std::optional<StoredEvent>> RoomWriter::Finish(
    RoomHandle& handle, const FastMessage& m, const absl::StatusOr<bool>& appended) {
  const StoredEvent& e = m.event;
  std::vector<std::string> notify;
  std::deque<std::shared_ptr<QueuedWrite>> to_pool;
  {
    std::unique_lock lock(handle.mutex);
    handle.writing = false;
    if (appended.ok() && *appended) {
      handle.last_seq = e.seq;
      handle.depth = m.depth;
      notify = handle.joined;
    } else {
      handle.Forget();  // holds an event that did not commit
    }
    if (handle.blocked > 0 || !handle.room) {
      to_pool.swap(handle.queued);  // waiting threads go first; a reload needs IO
    } else if (!handle.queued.empty()) {
      std::shared_ptr<QueuedWrite> next = std::move(handle.queued.front());
      handle.queued.pop_front();
      Start(handle.shared_from_this(), lock, std::move(next));
    }
  }
  handle.idle.notify_all();
  for (auto& queued : to_pool) queued->done(std::nullopt);
  if (!appended.ok()) return appended.status();
  if (!*appended) return std::nullopt;  // another process moved the room on: reload
  announcer_.Committed(notify);
  if (!m.destinations.empty() && outgoing_wake_) outgoing_wake_(m.destinations);
  return e;
}

size_t RoomWriter::ForgetRooms(const std::function<bool(const std::string& room_id)>& which) {
  std::lock_guard lock(rooms_mutex_);
  return rooms_.EraseIf([&](const std::string& room_id, const std::shared_ptr<RoomHandle>&) {
    return which(room_id);
  });
}

}  // namespace messenger::messaging
