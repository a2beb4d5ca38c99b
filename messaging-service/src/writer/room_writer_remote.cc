// RoomWriter's entry point for events of other servers (room_writer.h). They
// are stored like local ones (events, state groups, current state,
// memberships, outbox) but never built or signed here.
#include <algorithm>
#include <set>
#include <utility>

#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/room_servers.h"
#include "messaging-service/src/domain/matrix/server_acl.h"
#include "messaging-service/src/domain/relations.h"
#include "messaging-service/src/events/messaging_events.h"
#include "messaging-service/src/writer/room_writer.h"

namespace messenger::messaging {

absl::StatusOr<StoredEvent> RoomWriter::WriteRemoteEvent(const std::string& room_id,
                                                         const RemoteWrite& write,
                                                         const RemoteDecide& decide,
                                                         const Extra& extra) {
  const matrix::Event& event = write.event;
  StoredEvent stored;
  std::vector<std::string> notify, forward_to;
  RETURN_IF_ERROR(RoomTransaction(room_id, [&](MessagingTx& tx, RoomHandle& handle) {
    ASSIGN_OR_RETURN(std::optional<RoomRow> row, tx.LockRoom(room_id));
    if (!row) return absl::NotFoundError("no such room");
    RETURN_IF_ERROR(Refresh(tx, *row, handle));
    ASSIGN_OR_RETURN(std::optional<ForkedWrite> fork, decide(*handle.room));
    std::set<std::string> servers(handle.servers.begin(), handle.servers.end());
    forward_to.clear();
    const absl::Time now = clock_.Now();
    if (fork) {
      for (const ForkedWrite::SoftFailedInState& in_state : fork->soft_failed_in_state) {
        const matrix::Event& e = in_state.event;
        RETURN_IF_ERROR(tx.InsertEvent({.event_id = e.event_id(),
                                        .room_id = room_id,
                                        .seq = ++row->last_seq,
                                        .sender = in_state.sender_id,
                                        .type = e.type(),
                                        .state_key = e.state_key(),
                                        .origin_server_ts = e.origin_server_ts(),
                                        .state_group = in_state.state_group,
                                        .pdu = e.canonical_json()}));
      }
    }
    stored = StoredEvent{.event_id = event.event_id(),
                         .room_id = room_id,
                         .seq = ++row->last_seq,
                         .sender = write.sender_id,
                         .type = event.type(),
                         .state_key = event.state_key(),
                         .origin_server_ts = event.origin_server_ts(),
                         .pdu = event.canonical_json()};
    row->depth = std::max(row->depth, event.depth());
    row->tip_event_id = event.event_id();
    row->last_event_at = now;
    std::optional<std::string> last_message;
    if (fork) {
      RETURN_IF_ERROR(WriteForkState(tx, *row, handle, event, *fork, stored));
    } else {
      RETURN_IF_ERROR(handle.room->Accept(event));
      row->fork_extremities.clear();  // the event named them all
    }
    if (!fork && event.is_state()) {
      const StateEntry entry{event.type(), *event.state_key(), event.event_id()};
      std::vector<StateEntry> full;
      for (const auto& [key, state_event] : handle.room->state()) {
        full.push_back({key.type, key.state_key, state_event.event_id()});
      }
      ASSIGN_OR_RETURN(row->state_group,
                       tx.NewStateGroup(room_id, row->state_group, {entry}, full));
      RETURN_IF_ERROR(tx.PutCurrentState(room_id, entry));
      if (event.type() == matrix::kMemberType && write.member_id) {
        const std::string membership = event.membership();
        RETURN_IF_ERROR(tx.PutMembership(room_id, *write.member_id, membership, event.event_id()));
        auto& joined = handle.joined;
        joined.erase(std::remove(joined.begin(), joined.end(), *write.member_id), joined.end());
        if (membership == "join") joined.push_back(*write.member_id);
      }
      // Its origin sends it to the other servers: nothing is queued here.
      if (event.type() == matrix::kMemberType || event.type() == matrix::kServerAclType) {
        handle.servers = matrix::JoinedServers(handle.room->state(), server_name_);
      }
    } else if (event.type() == matrix::kMessageType && !IsEdit(event.content())) {
      last_message = event.event_id();
      // Local members' feeds see it like a local message.
      ASSIGN_OR_RETURN(bus::Event received, ReceivedEvent(stored, event.sender(), handle.joined));
      RETURN_IF_ERROR(tx.Enqueue(received));
    }
    if (!fork) stored.state_group = row->state_group;
    RETURN_IF_ERROR(tx.InsertEvent(stored));
    RETURN_IF_ERROR(RecordRemoteRelation(tx, event, stored, handle.room->state()));
    if (write.forward) {
      // The servers in the room before or after it, but its origin.
      servers.insert(handle.servers.begin(), handle.servers.end());
      absl::StatusOr<std::string> origin = matrix::ServerNameOf(event.sender());
      for (const std::string& server : servers) {
        if (!origin.ok() || server != *origin) forward_to.push_back(server);
      }
      if (!forward_to.empty()) {
        RETURN_IF_ERROR(tx.EnqueueOutgoingPdu(room_id, event.event_id(), forward_to));
      }
    }
    RETURN_IF_ERROR(tx.UpdateRoom(*row, last_message));
    if (extra) RETURN_IF_ERROR(extra(tx, {stored}, handle.joined));
    handle.depth = row->depth;
    handle.last_seq = row->last_seq;
    notify = handle.joined;
    if (write.member_id) notify.push_back(*write.member_id);
    return absl::OkStatus();
  }));
  announcer_.Committed(notify);
  if (!forward_to.empty() && outgoing_wake_) outgoing_wake_(forward_to);
  return stored;
}

absl::StatusOr<bus::Event> RoomWriter::ReceivedEvent(const StoredEvent& stored,
                                                     const std::string& sender_matrix_id,
                                                     const std::vector<std::string>& joined) {
  std::vector<std::string> recipients;
  for (const std::string& member : joined) {
    if (member != stored.sender) recipients.push_back(member);
  }
  // message.received, not message.sent: analytics count each message once,
  // on its sender's server, and still see what crossed servers.
  return MessageReceivedEvent({.message_id = stored.event_id,
                               .conversation_id = stored.room_id,
                               .sender_id = stored.sender,
                               .sender_matrix_id = sender_matrix_id,
                               .seq = stored.seq,
                               .recipients = std::move(recipients),
                               .sent_at = absl::FromUnixMillis(stored.origin_server_ts)},
                              clock_, rng_);
}

absl::Status RoomWriter::WriteForkState(MessagingTx& tx, RoomRow& row, RoomHandle& handle,
                                        const matrix::Event& event, const ForkedWrite& fork,
                                        StoredEvent& stored) {
  // The state after the event is not the room's: its prev event's group
  // for a message, else a snapshot of its own (forked state events are rare
  // and short-lived: the next local event merges them).
  if (fork.event_state_group) {
    stored.state_group = *fork.event_state_group;
  } else {
    ASSIGN_OR_RETURN(stored.state_group,
                     tx.NewStateGroup(row.room_id, 0, fork.event_state, fork.event_state));
  }
  std::vector<StateEntry> room_state, changed;
  for (const auto& [key, e] : fork.room_state) {
    room_state.push_back({key.type, key.state_key, e.event_id()});
    const matrix::Event* was = handle.room->state().Get(key.type, key.state_key);
    if (was == nullptr || was->event_id() != e.event_id()) changed.push_back(room_state.back());
  }
  std::vector<matrix::StateKey> removed;
  for (const auto& [key, e] : handle.room->state()) {
    if (fork.room_state.Get(key.type, key.state_key) == nullptr) removed.push_back(key);
  }
  handle.room->AcceptForked(event, fork.room_state);
  const std::vector<std::string>& tips = handle.room->forward_extremities();
  row.fork_extremities = tips.size() > 1 ? tips : std::vector<std::string>{};
  if (changed.empty() && removed.empty()) return absl::OkStatus();
  if (tips.size() == 1) {
    row.state_group = stored.state_group;  // the room's state is the state after it
  } else {
    ASSIGN_OR_RETURN(row.state_group, tx.NewStateGroup(row.room_id, 0, room_state, room_state));
  }
  RETURN_IF_ERROR(tx.PutCurrentStates(row.room_id, changed));
  for (const matrix::StateKey& key : removed) {
    RETURN_IF_ERROR(tx.DeleteCurrentState(row.room_id, key.type, key.state_key));
  }
  if (!fork.memberships.empty()) {
    RETURN_IF_ERROR(tx.PutMemberships(row.room_id, fork.memberships));
    ASSIGN_OR_RETURN(handle.joined, tx.JoinedMembers(row.room_id));
  }
  handle.servers = matrix::JoinedServers(handle.room->state(), server_name_);
  return absl::OkStatus();
}

absl::StatusOr<std::set<std::string>> RoomWriter::StubEvents(MessagingTx& tx,
                                                            const std::string& room_id) {
  std::set<std::string> out;
  ASSIGN_OR_RETURN(std::vector<std::string> pdus, tx.CurrentStatePdus(room_id));
  for (const std::string& pdu : pdus) {
    ASSIGN_OR_RETURN(matrix::Event event, matrix::Event::Parse(pdu));
    if (event.type() == matrix::kCreateType) {
      return absl::AlreadyExistsError("the room is known here");
    }
    out.insert(event.event_id());
  }
  return out;
}

std::vector<std::string> RoomWriter::LoadedServersOf(const std::string& room_id) {
  std::shared_ptr<RoomHandle> handle;
  {
    std::lock_guard lock(rooms_mutex_);
    std::optional<std::shared_ptr<RoomHandle>> known = rooms_.Get(room_id);
    if (!known) return {};
    handle = *known;
  }
  std::lock_guard lock(handle->mutex);
  return handle->servers;
}

absl::StatusOr<std::vector<std::string>> RoomWriter::ServersOf(const std::string& room_id) {
  std::shared_ptr<RoomHandle> handle = Handle(room_id);
  std::unique_lock lock(handle->mutex);
  WaitIdle(*handle, lock);
  RETURN_IF_ERROR(EnsureLoaded(room_id, *handle));
  return handle->servers;
}

absl::StatusOr<RoomRow> RoomWriter::ImportRemoteRoom(
    RoomRow row, const std::vector<RemoteWrite>& history, const std::vector<RemoteWrite>& state,
    const RemoteWrite& join, const matrix::Room& room, const std::vector<std::string>& welcome,
    const Extra& extra) {
  std::set<std::string> in_state, in_history;
  for (const RemoteWrite& w : state) in_state.insert(w.event.event_id());
  for (const RemoteWrite& w : history) in_history.insert(w.event.event_id());
  // Seq order: the state older than the history, the history (with the
  // state's events it holds at their place), the join.
  std::vector<const RemoteWrite*> writes;
  for (const RemoteWrite& w : state) {
    if (in_history.count(w.event.event_id()) == 0) writes.push_back(&w);
  }
  for (const RemoteWrite& w : history) writes.push_back(&w);
  writes.push_back(&join);
  in_state.insert(join.event.event_id());
  std::vector<std::string> notify;
  RETURN_IF_ERROR(RoomTransaction(row.room_id, [&](MessagingTx& tx, RoomHandle& handle) {
    RoomRow working = row;
    // A stub of an invite (WriteInviteStub) becomes the room: its events
    // stay, the state's events it holds already are not written again.
    ASSIGN_OR_RETURN(std::set<std::string> held, StubEvents(tx, row.room_id));
    ASSIGN_OR_RETURN(std::optional<RoomRow> stub, tx.LockRoom(row.room_id));
    if (stub) {
      working.last_seq = stub->last_seq;
      working.state_group = stub->state_group;
      working.depth = stub->depth;
    } else {
      RETURN_IF_ERROR(tx.InsertRoom(working));
    }
    // One statement per table for the whole state (issue 16): a group per
    // state event as before, but a chain of them, with a snapshot at its end
    // copied in the database, instead of a full state map per event.
    std::vector<StoredEvent> written;
    std::vector<const matrix::Event*> written_events;  // the PDU of each
    std::vector<int> entry_of;  // per written event: its group's entry, -1 before any
    std::vector<StateEntry> entries;
    std::vector<MembershipRow> members;
    std::vector<std::pair<size_t, std::string>> received;  // of other servers: index, sender
    std::optional<std::string> last_message;
    for (const RemoteWrite* w : writes) {
      const matrix::Event& event = w->event;
      if (held.count(event.event_id()) > 0) continue;  // stored with the stub
      const bool is_state_entry = in_state.count(event.event_id()) > 0;
      if (is_state_entry && !event.state_key()) {
        return absl::InvalidArgumentError("a state event has no state_key");
      }
      written.push_back(StoredEvent{.event_id = event.event_id(),
                                    .room_id = working.room_id,
                                    .seq = ++working.last_seq,
                                    .sender = w->sender_id,
                                    .type = event.type(),
                                    .state_key = event.state_key(),
                                    .origin_server_ts = event.origin_server_ts(),
                                    .pdu = event.canonical_json()});
      written_events.push_back(&event);
      working.depth = std::max(working.depth, event.depth());
      if (is_state_entry) {
        entries.push_back({event.type(), *event.state_key(), event.event_id()});
        if (event.type() == matrix::kMemberType && w->member_id) {
          members.push_back({*w->member_id, event.membership(), event.event_id()});
        }
        if (event.type() == matrix::kNameType && event.content().contains("name") &&
            event.content()["name"].is_string()) {
          working.name = event.content()["name"].get<std::string>();
        }
      } else if (event.type() == matrix::kMessageType && !IsEdit(event.content())) {
        last_message = event.event_id();
        absl::StatusOr<std::string> origin = matrix::ServerNameOf(event.sender());
        if (origin.ok() && *origin != server_name_) {
          received.emplace_back(written.size() - 1, event.sender());
        }
      }
      entry_of.push_back(static_cast<int>(entries.size()) - 1);
    }
    ASSIGN_OR_RETURN(const std::vector<int64_t> groups,
                     tx.NewStateGroups(working.room_id, working.state_group, entries));
    for (size_t i = 0; i < written.size(); ++i) {
      // History between state events takes the group before it: the state
      // as far as this server knows it, not resolved at that point of the DAG.
      written[i].state_group = entry_of[i] < 0 ? working.state_group : groups[entry_of[i]];
    }
    if (!groups.empty()) working.state_group = groups.back();
    RETURN_IF_ERROR(tx.InsertEvents(written));
    // The history's edits, reactions and redactions, as /send would apply them.
    for (size_t i = 0; i < written.size(); ++i) {
      if (in_state.count(written[i].event_id) > 0) continue;
      RETURN_IF_ERROR(RecordRemoteRelation(tx, *written_events[i], written[i], room.state()));
    }
    RETURN_IF_ERROR(tx.PutCurrentStates(working.room_id, entries));
    RETURN_IF_ERROR(tx.PutMemberships(working.room_id, members));
    working.tip_event_id = join.event.event_id();
    working.last_event_at = clock_.Now();
    RETURN_IF_ERROR(tx.UpdateRoom(working, last_message));
    for (const auto& user : welcome) {
      RETURN_IF_ERROR(tx.InsertNotice(user, "conversation", working.room_id, std::nullopt));
    }
    handle.room = room;
    ASSIGN_OR_RETURN(handle.joined, tx.JoinedMembers(working.room_id));
    handle.servers = matrix::JoinedServers(room.state(), server_name_);
    std::vector<bus::Event> received_events;  // one statement for the whole history
    for (const auto& [index, sender] : received) {
      ASSIGN_OR_RETURN(bus::Event event, ReceivedEvent(written[index], sender, handle.joined));
      received_events.push_back(std::move(event));
    }
    RETURN_IF_ERROR(tx.EnqueueAll(received_events));
    if (extra) RETURN_IF_ERROR(extra(tx, written, handle.joined));
    handle.depth = working.depth;
    handle.last_seq = working.last_seq;
    notify = handle.joined;
    row = working;
    return absl::OkStatus();
  }));
  announcer_.Committed(notify);
  return row;
}

}  // namespace messenger::messaging
