// RoomWriter's stub rooms (room_writer.h, WriteInviteStub): a room of
// another server that a local user is invited to but this server is not in.
// Its events are the invite and what the user answered; its state is their
// member events only, so it never passes for a room this server is in.
#include <algorithm>

#include "common/status.h"
#include "messaging-service/src/writer/room_writer.h"

namespace messenger::messaging {

absl::StatusOr<StoredEvent> RoomWriter::WriteInviteStub(const RoomRow& row,
                                                        const RemoteWrite& write,
                                                        const Extra& extra) {
  const matrix::Event& event = write.event;
  if (!event.is_state() || event.type() != matrix::kMemberType || !write.member_id) {
    return absl::InvalidArgumentError("only membership events enter an invite's room");
  }
  StoredEvent stored;
  std::vector<std::string> notify;
  RETURN_IF_ERROR(RoomTransaction(row.room_id, [&](MessagingTx& tx, RoomHandle& handle) {
    ASSIGN_OR_RETURN(std::optional<RoomRow> locked, tx.LockRoom(row.room_id));
    RoomRow working = row;
    std::vector<StateEntry> full;
    if (locked) {
      working = *locked;
      ASSIGN_OR_RETURN(std::vector<std::string> pdus, tx.CurrentStatePdus(row.room_id));
      for (const std::string& pdu : pdus) {
        ASSIGN_OR_RETURN(matrix::Event e, matrix::Event::Parse(pdu));
        if (e.type() == matrix::kCreateType) {
          return absl::FailedPreconditionError("this server is in the room");
        }
        if (e.type() == event.type() && e.state_key() == event.state_key()) continue;
        full.push_back({e.type(), *e.state_key(), e.event_id()});
      }
    } else {
      working.last_seq = 0;
      working.depth = 0;
      working.state_group = 0;
      working.tip_event_id = event.event_id();
      working.last_event_at = clock_.Now();
      RETURN_IF_ERROR(tx.InsertRoom(working));
    }
    stored = StoredEvent{.event_id = event.event_id(),
                         .room_id = working.room_id,
                         .seq = ++working.last_seq,
                         .sender = write.sender_id,
                         .type = event.type(),
                         .state_key = event.state_key(),
                         .origin_server_ts = event.origin_server_ts(),
                         .pdu = event.canonical_json()};
    const StateEntry entry{event.type(), *event.state_key(), event.event_id()};
    full.push_back(entry);
    ASSIGN_OR_RETURN(working.state_group,
                     tx.NewStateGroup(working.room_id, working.state_group, {entry}, full));
    RETURN_IF_ERROR(tx.PutCurrentState(working.room_id, entry));
    RETURN_IF_ERROR(
        tx.PutMembership(working.room_id, *write.member_id, event.membership(), event.event_id()));
    stored.state_group = working.state_group;
    RETURN_IF_ERROR(tx.InsertEvent(stored));
    working.depth = std::max(working.depth, event.depth());
    working.tip_event_id = event.event_id();
    working.last_event_at = clock_.Now();
    RETURN_IF_ERROR(tx.UpdateRoom(working, std::nullopt));
    if (extra) RETURN_IF_ERROR(extra(tx, {stored}, {}));
    handle.Forget();  // nothing to load: a stub is never written by the rules
    notify = {*write.member_id};
    return absl::OkStatus();
  }));
  announcer_.Committed(notify);
  return stored;
}

}  // namespace messenger::messaging
