// Events of another server that fork a room (issue 16): both servers wrote
// at once, so the event's prev_events are known here but are not the room's
// forward extremities. The state before it is resolved from the states after
// its prev events, the room's new state from the states after the forward
// extremities once it is in (state resolution v2, domain/matrix). What the
// resolution needs is read before the room's lock (ReadFork); the write
// under the lock only computes (PlanFork) and re-reads when the room moved.
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/federation/federation_rooms.h"
#include "messaging-service/src/federation/remote_users.h"

namespace messenger::federation {
namespace {

matrix::StateIds IdsOf(const std::vector<messaging::StateEntry>& entries) {
  matrix::StateIds ids;
  for (const messaging::StateEntry& e : entries) ids[{e.type, e.state_key}] = e.event_id;
  return ids;
}

// Member keys whose event differs between the states (or is absent in one):
// the ones a resolution may change.
std::set<std::string> ConflictedMembers(const matrix::StatesAfter& after) {
  std::map<std::string, std::set<std::string>> seen;  // user -> event ids
  for (const auto& [at, ids] : after) {
    for (const auto& [key, id] : ids) {
      if (key.type == matrix::kMemberType) seen[key.state_key].insert(id);
    }
  }
  std::set<std::string> out;
  for (const auto& [user, ids] : seen) {
    size_t holding = 0;
    for (const auto& [at, state] : after) holding += state.count({matrix::kMemberType, user});
    if (ids.size() > 1 || holding < after.size()) out.insert(user);
  }
  return out;
}

}  // namespace

absl::Status FederationRooms::LoadStatesAfter(const std::vector<std::string>& at,
                                              const std::vector<std::string>& more,
                                              matrix::StatesAfter& after,
                                              matrix::EventMapSource& source,
                                              SoftFailedGroups* soft_failed) {
  std::set<std::string> seen;
  std::vector<std::string> frontier;
  const auto visit = [&](const std::string& id) {
    if (seen.insert(id).second) frontier.push_back(id);
  };
  for (const std::string& id : at) {
    if (after.count(id) > 0) continue;
    ASSIGN_OR_RETURN(std::vector<messaging::StateEntry> entries, messaging_.StateAfter(id));
    after[id] = IdsOf(entries);
    for (const messaging::StateEntry& e : entries) visit(e.event_id);
  }
  for (const std::string& id : more) visit(id);
  // The events of the states and their auth chains, a batch per level.
  while (!frontier.empty()) {
    if (seen.size() > matrix::kMaxResolutionEvents) {
      return absl::ResourceExhaustedError("the room's state is too large to resolve a fork");
    }
    std::vector<std::string> unread;
    for (const std::string& id : frontier) {
      if (source.Find(id) == nullptr) unread.push_back(id);
    }
    if (!unread.empty()) {
      ASSIGN_OR_RETURN(std::vector<KnownPdu> known, store_.Pdus(unread));
      for (const KnownPdu& k : known) {
        ASSIGN_OR_RETURN(matrix::Event e, matrix::Event::Parse(k.pdu));
        source.Add(e, k.rejected);
        if (k.soft_failed && soft_failed != nullptr) {
          (*soft_failed)[k.event_id] = k.soft_failed_state_group;
        }
      }
    }
    std::vector<std::string> next;
    frontier.swap(next);
    for (const std::string& id : next) {
      const matrix::Event* e = source.Find(id);
      if (e == nullptr) continue;  // the resolution says which one is missing
      for (const std::string& auth : e->auth_events()) visit(auth);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FederationRooms::ForkReads> FederationRooms::ReadFork(
    const matrix::Event& event, const messaging::RoomRow& row, matrix::EventMapSource& source,
    const SoftFailedGroups& soft_failed) {
  ForkReads reads;
  reads.soft_failed = soft_failed;
  reads.extremities = row.Extremities();
  std::vector<std::string> at = event.prev_events();
  for (const std::string& tip : matrix::ExtremitiesAfter(reads.extremities, event)) {
    if (tip != event.event_id()) at.push_back(tip);
  }
  std::vector<std::string> more = event.auth_events();
  more.insert(more.end(), event.prev_events().begin(), event.prev_events().end());
  RETURN_IF_ERROR(LoadStatesAfter(at, more, reads.after, source, &reads.soft_failed));
  if (!event.is_state() && event.prev_events().size() == 1) {
    ASSIGN_OR_RETURN(reads.prev_state_group, messaging_.StateGroupOf(event.prev_events().front()));
  }
  std::set<std::string> members = ConflictedMembers(reads.after);
  if (event.type() == matrix::kMemberType && event.state_key()) members.insert(*event.state_key());
  for (const std::string& user : members) {
    ASSIGN_OR_RETURN(std::string server, matrix::ServerNameOf(user));
    if (server != server_name_) {
      reads.member_ids[user] = RemoteUserUuid(user);
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<std::string> local,
                     store_.LocalUserId(user.substr(1, user.find(':') - 1)));
    if (local) reads.member_ids[user] = *local;
  }
  return reads;
}

absl::StatusOr<messaging::RoomWriter::ForkedWrite> FederationRooms::PlanFork(
    const std::string& origin, const matrix::Event& event, const matrix::Room& room,
    const ForkReads& reads, matrix::EventMapSource& source, matrix::RemotePduDecision& decision) {
  ASSIGN_OR_RETURN(matrix::StateIds before_ids,
                   matrix::StateBeforeFork(event, reads.after, source));
  ASSIGN_OR_RETURN(matrix::StateMap before, matrix::LoadState(before_ids, source));
  decision = matrix::DecideRemotePdu(event, origin, server_name_, room, source, before);
  if (decision.action != matrix::RemotePduAction::kApply) return decision.reason;
  matrix::StateIds event_ids = std::move(before_ids);
  if (event.is_state()) event_ids[{event.type(), *event.state_key()}] = event.event_id();
  source.Add(event);
  ASSIGN_OR_RETURN(matrix::StateIds room_ids,
                   matrix::RoomStateAfterFork(room, event, event_ids, reads.after, source));
  messaging::RoomWriter::ForkedWrite fork;
  for (const auto& [key, id] : event_ids) fork.event_state.push_back({key.type, key.state_key, id});
  fork.event_state_group = reads.prev_state_group;
  ASSIGN_OR_RETURN(fork.room_state, matrix::LoadState(room_ids, source));
  for (const auto& [key, id] : room_ids) {
    if (key.type != matrix::kMemberType) continue;
    const matrix::Event* was = room.state().Get(key.type, key.state_key);
    if (was != nullptr && was->event_id() == id) continue;
    const auto uuid = reads.member_ids.find(key.state_key);
    if (uuid == reads.member_ids.end()) continue;  // a local user unknown here: no row to keep
    fork.memberships.push_back(
        {uuid->second, fork.room_state.Get(key.type, key.state_key)->membership(), id});
  }
  // State resolution may keep a soft-failed event: it becomes the room's.
  for (const auto& [key, id] : room_ids) {
    const auto kept = reads.soft_failed.find(id);
    if (kept == reads.soft_failed.end()) continue;
    const matrix::Event* was = room.state().Get(key.type, key.state_key);
    if (was != nullptr && was->event_id() == id) continue;
    const matrix::Event& e = *fork.room_state.Get(key.type, key.state_key);
    fork.soft_failed_in_state.push_back({e, RemoteUserUuid(e.sender()), kept->second});
  }
  return fork;
}

absl::StatusOr<messaging::RoomWriter::ForkedWrite> FederationRooms::PlanForkUnderLock(
    const std::string& origin, const matrix::Event& event, const matrix::Room& room,
    const std::optional<ForkReads>& fork, matrix::EventMapSource& source,
    matrix::RemotePduDecision& decision) {
  if (!fork) return absl::AbortedError("the room moved on: the event forks it now");
  if (matrix::SameEventIds(fork->extremities, room.forward_extremities())) {
    return PlanFork(origin, event, room, *fork, source, decision);
  }
  if (room.forward_extremities().size() != 1) {
    return absl::AbortedError("the room moved on while the fork was read");
  }
  // A local write since the read merged the room into one tip: the state
  // after it is the room's state, at hand without reading.
  ForkReads now = *fork;
  matrix::StateIds& tip = now.after[room.forward_extremities().front()];
  for (const auto& [key, e] : room.state()) {
    tip[key] = e.event_id();
    if (source.Find(e.event_id()) == nullptr) source.Add(e);
  }
  now.extremities = room.forward_extremities();
  absl::StatusOr<messaging::RoomWriter::ForkedWrite> planned =
      PlanFork(origin, event, room, now, source, decision);
  // An auth event of the new state was not read: read again.
  if (absl::IsNotFound(planned.status())) return absl::AbortedError(planned.status().message());
  return planned;
}

}  // namespace messenger::federation
