#include "messaging-service/src/federation/federation_rooms.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/auth_rules.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/federation_txn.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/remote_pdu.h"
#include "messaging-service/src/domain/matrix/room.h"
#include "messaging-service/src/domain/matrix/server_acl.h"
#include "messaging-service/src/federation/remote_users.h"

namespace messenger::federation {
namespace {

using Json = nlohmann::json;

Json PduArray(const std::vector<matrix::Event>& events) {
  Json out = Json::array();
  for (const matrix::Event& e : events) out.push_back(e.json());
  return out;
}

Json IdArray(const std::vector<matrix::Event>& events) {
  Json out = Json::array();
  for (const matrix::Event& e : events) out.push_back(e.event_id());
  return out;
}

absl::StatusOr<std::vector<matrix::Event>> ParseAll(const std::vector<std::string>& pdus) {
  std::vector<matrix::Event> out;
  for (const std::string& pdu : pdus) {
    ASSIGN_OR_RETURN(matrix::Event event, matrix::Event::Parse(pdu));
    out.push_back(std::move(event));
  }
  return out;
}

// A list of event ids in a request body.
absl::StatusOr<std::vector<std::string>> EventIds(const Json& body, const char* name, size_t max) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be an array of event ids"));
  }
  if (it->size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(name, " has more than ", max, " entries"));
  }
  std::vector<std::string> out;
  for (const Json& id : *it) {
    if (!id.is_string() || !matrix::IsValidEventId(id.get<std::string>())) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be an array of event ids"));
    }
    out.push_back(id.get<std::string>());
  }
  return out;
}

absl::StatusOr<int64_t> IntField(const Json& body, const char* name, int64_t fallback) {
  const auto it = body.find(name);
  if (it == body.end()) return fallback;
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be an integer"));
  }
  return it->get<int64_t>();
}

// Accepted events of other servers that forked a room (both wrote at once).
metrics::Counter& ForkedEventsCounter() {
  static metrics::Counter& counter = metrics::Registry::Default().GetCounter(
      "messenger_federation_forked_events_total",
      "Events of other servers accepted as forks of a room (merged by state resolution).");
  return counter;
}

metrics::Counter& SoftFailedEventsCounter() {
  static metrics::Counter& counter = metrics::Registry::Default().GetCounter(
      "messenger_federation_soft_failed_events_total",
      "Events of other servers that passed the state before them but not the room's current "
      "state: kept, not shown.");
  return counter;
}

absl::Status SoftFailedJoinOrLeave() {
  return absl::PermissionDeniedError(
      "the event passes the state before it but not the room's current state (soft-failed)");
}

}  // namespace

Json FederationRooms::Envelope(Json pdus) const {
  return {{"origin", server_name_},
          {"origin_server_ts", absl::ToUnixMillis(clock_.Now())},
          {"pdus", std::move(pdus)}};
}

absl::StatusOr<matrix::StateMap> FederationRooms::CurrentState(const std::string& room_id) {
  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> row, messaging_.GetRoom(room_id));
  if (!row) return absl::NotFoundError("unknown room");
  ASSIGN_OR_RETURN(std::vector<std::string> pdus, store_.CurrentStatePdus(room_id));
  ASSIGN_OR_RETURN(std::vector<matrix::Event> events, ParseAll(pdus));
  matrix::StateMap state;
  for (const matrix::Event& e : events) RETURN_IF_ERROR(state.Put(e));
  return state;
}

absl::Status FederationRooms::MayJoinFromAfar(const matrix::StateMap& state,
                                             const std::string& user_id) {
  // An invited user may join a room that is not public (fedinvite).
  if (state.JoinRule() == "public" || state.Membership(user_id) == "invite") {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      "only public rooms, or rooms the user is invited to, can be joined from other servers");
}

absl::Status FederationRooms::CheckAcl(const matrix::StateMap& state, const std::string& origin) {
  if (matrix::AclAllows(state, origin)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("the room's server ACL denies ", origin));
}

bool FederationRooms::EduAllowed(const std::string& origin, const std::string& room_id,
                                 std::map<std::string, bool>& memo) {
  const auto known = memo.find(room_id);
  if (known != memo.end()) return known->second;
  absl::StatusOr<std::optional<std::string>> pdu =
      store_.CurrentStatePdu(room_id, matrix::kServerAclType, "");
  bool allowed = pdu.ok();  // unsure: drop the hint
  if (pdu.ok() && *pdu) {
    absl::StatusOr<matrix::Event> acl = matrix::Event::Parse(**pdu);
    allowed = acl.ok() && matrix::AclAllows(&*acl, origin);
  }
  memo[room_id] = allowed;
  return allowed;
}

absl::Status FederationRooms::MayRead(const std::string& origin, const std::string& room_id) {
  ASSIGN_OR_RETURN(matrix::StateMap state, CurrentState(room_id));
  RETURN_IF_ERROR(CheckAcl(state, origin));
  if (!matrix::ServerMayReadRoom(state, origin)) {
    return absl::PermissionDeniedError(absl::StrCat(origin, " has no member joined in the room"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FederationRooms::ReadAccess(const InboundRequest& request,
                                                        const std::string& room_id) {
  ASSIGN_OR_RETURN(std::string origin, auth_.Authenticate(request));
  RETURN_IF_ERROR(MayRead(origin, room_id));
  return origin;
}

absl::StatusOr<std::vector<matrix::Event>> FederationRooms::Events(
    const std::vector<std::string>& ids) {
  ASSIGN_OR_RETURN(std::vector<KnownPdu> known, store_.Pdus(ids));
  std::vector<std::string> pdus;
  for (const KnownPdu& k : known) {
    if (!k.rejected) pdus.push_back(k.pdu);
  }
  return ParseAll(pdus);
}

absl::StatusOr<std::vector<matrix::Event>> FederationRooms::AuthChain(
    const std::vector<matrix::Event>& events) {
  std::set<std::string> seen;
  std::vector<std::string> frontier;
  for (const matrix::Event& e : events) {
    for (const std::string& id : e.auth_events()) {
      if (seen.insert(id).second) frontier.push_back(id);
    }
  }
  std::vector<matrix::Event> chain;
  while (!frontier.empty()) {
    if (seen.size() > kMaxAuthChain) {
      return absl::ResourceExhaustedError("the auth chain is larger than this server serves");
    }
    ASSIGN_OR_RETURN(std::vector<matrix::Event> found, Events(frontier));
    frontier.clear();
    for (matrix::Event& e : found) {
      for (const std::string& id : e.auth_events()) {
        if (seen.insert(id).second) frontier.push_back(id);
      }
      chain.push_back(std::move(e));
    }
  }
  return chain;
}

absl::StatusOr<std::vector<matrix::Event>> FederationRooms::StateBefore(
    const matrix::Event& event) {
  if (event.prev_events().empty()) return std::vector<matrix::Event>{};
  std::vector<std::string> ids;
  if (event.prev_events().size() == 1) {
    ASSIGN_OR_RETURN(std::vector<messaging::StateEntry> entries,
                     messaging_.StateAfter(event.prev_events().front()));
    for (const messaging::StateEntry& e : entries) ids.push_back(e.event_id);
    return Events(ids);
  }
  matrix::StatesAfter after;
  matrix::EventMapSource source;
  RETURN_IF_ERROR(LoadStatesAfter(event.prev_events(), {}, after, source));
  ASSIGN_OR_RETURN(matrix::StateIds resolved, matrix::StateBeforeFork(event, after, source));
  for (const auto& [key, id] : resolved) ids.push_back(id);
  return Events(ids);
}

absl::StatusOr<Json> FederationRooms::GetEvent(const InboundRequest& request,
                                               const RoomRoute& route) {
  ASSIGN_OR_RETURN(std::string origin, auth_.Authenticate(request));
  ASSIGN_OR_RETURN(std::vector<KnownPdu> known, store_.Pdus({route.event_id}));
  if (known.empty() || known.front().rejected) return absl::NotFoundError("unknown event");
  RETURN_IF_ERROR(MayRead(origin, known.front().room_id));
  ASSIGN_OR_RETURN(Json pdu, matrix::ParseJson(known.front().pdu));
  return Envelope(Json::array({std::move(pdu)}));
}

absl::StatusOr<Json> FederationRooms::State(const InboundRequest& request, const RoomRoute& route,
                                            bool ids_only) {
  RETURN_IF_ERROR(ReadAccess(request, route.room_id).status());
  if (route.at_event_id.empty()) return absl::InvalidArgumentError("event_id is required");
  ASSIGN_OR_RETURN(std::vector<matrix::Event> at, Events({route.at_event_id}));
  if (at.empty() || at.front().room_id() != route.room_id) {
    return absl::NotFoundError("unknown event in this room");
  }
  ASSIGN_OR_RETURN(std::vector<matrix::Event> state, StateBefore(at.front()));
  ASSIGN_OR_RETURN(std::vector<matrix::Event> chain, AuthChain(state));
  if (ids_only) return Json{{"pdu_ids", IdArray(state)}, {"auth_chain_ids", IdArray(chain)}};
  return Json{{"pdus", PduArray(state)}, {"auth_chain", PduArray(chain)}};
}

absl::StatusOr<Json> FederationRooms::Backfill(const InboundRequest& request,
                                               const RoomRoute& route) {
  RETURN_IF_ERROR(ReadAccess(request, route.room_id).status());
  if (route.backfill_from.empty()) return absl::InvalidArgumentError("v is required");
  if (route.limit < 1) return absl::InvalidArgumentError("limit must be a positive integer");
  ASSIGN_OR_RETURN(
      std::vector<std::string> pdus,
      store_.Backfill(route.room_id, route.backfill_from, std::min(route.limit, kMaxBackfill)));
  ASSIGN_OR_RETURN(std::vector<matrix::Event> events, ParseAll(pdus));
  return Envelope(PduArray(events));
}

absl::StatusOr<Json> FederationRooms::GetMissingEvents(const InboundRequest& request,
                                                       const RoomRoute& route) {
  RETURN_IF_ERROR(ReadAccess(request, route.room_id).status());
  absl::StatusOr<Json> body = matrix::ParseJson(request.body);
  if (!body.ok() || !body->is_object()) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> earliest,
                   EventIds(*body, "earliest_events", kMaxMissingEvents));
  ASSIGN_OR_RETURN(std::vector<std::string> latest,
                   EventIds(*body, "latest_events", kMaxMissingEvents));
  ASSIGN_OR_RETURN(int64_t limit, IntField(*body, "limit", 10));
  ASSIGN_OR_RETURN(int64_t min_depth, IntField(*body, "min_depth", 0));
  if (limit < 1) return absl::InvalidArgumentError("limit must be a positive integer");
  ASSIGN_OR_RETURN(std::vector<std::string> pdus,
                   store_.MissingEvents(
                       route.room_id, earliest, latest,
                       static_cast<int>(std::min<int64_t>(limit, kMaxMissingEvents)), min_depth));
  ASSIGN_OR_RETURN(std::vector<matrix::Event> events, ParseAll(pdus));
  return Json{{"events", PduArray(events)}};
}

absl::StatusOr<std::string> FederationRooms::RequestingUser(const InboundRequest& request,
                                                            const RoomRoute& route) {
  ASSIGN_OR_RETURN(std::string origin, auth_.Authenticate(request));
  if (!matrix::IsValidUserId(route.user_id)) {
    return absl::InvalidArgumentError("user_id is not a valid Matrix user id");
  }
  ASSIGN_OR_RETURN(std::string user_server, matrix::ServerNameOf(route.user_id));
  if (user_server != origin) {
    return absl::PermissionDeniedError("the user is not on the requesting server");
  }
  return origin;
}

Json FederationRooms::MembershipTemplate(const RoomRoute& route, const messaging::RoomRow& row,
                                         matrix::StateMap state, const std::string& membership) {
  const matrix::Room room =
      matrix::Room::Restore(route.room_id, std::move(state), row.Extremities(), row.depth);
  const matrix::EventDraft draft{route.user_id, matrix::kMemberType, route.user_id,
                                 Json{{"membership", membership}}, std::nullopt};
  Json event = {{"room_id", route.room_id},
                {"sender", route.user_id},
                {"type", matrix::kMemberType},
                {"state_key", route.user_id},
                {"content", draft.content},
                {"prev_events", room.forward_extremities()},
                {"auth_events", room.AuthEventIds(draft)},
                {"depth", room.depth() + 1},
                {"origin", server_name_},
                {"origin_server_ts", absl::ToUnixMillis(clock_.Now())}};
  return Json{{"event", std::move(event)}, {"room_version", matrix::kRoomVersion}};
}

absl::StatusOr<Json> FederationRooms::MakeJoin(const InboundRequest& request,
                                               const RoomRoute& route) {
  ASSIGN_OR_RETURN(std::string origin, RequestingUser(request, route));
  if (std::find(route.room_versions.begin(), route.room_versions.end(), matrix::kRoomVersion) ==
      route.room_versions.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the room is version ", matrix::kRoomVersion, ", which ver does not name"));
  }
  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> row, messaging_.GetRoom(route.room_id));
  if (!row) return absl::NotFoundError("unknown room");
  ASSIGN_OR_RETURN(matrix::StateMap state, CurrentState(route.room_id));
  RETURN_IF_ERROR(CheckAcl(state, origin));
  RETURN_IF_ERROR(MayJoinFromAfar(state, route.user_id));
  return MembershipTemplate(route, *row, std::move(state), "join");
}

absl::StatusOr<std::pair<std::string, matrix::Event>> FederationRooms::MembershipPdu(
    const InboundRequest& request, const RoomRoute& route, const std::string& membership) {
  ASSIGN_OR_RETURN(std::string origin, auth_.Authenticate(request));
  absl::StatusOr<Json> body = matrix::ParseJson(request.body);
  if (!body.ok() || !body->is_object()) return absl::InvalidArgumentError("the body is not a PDU");
  absl::StatusOr<matrix::CheckedPdu> checked = matrix::CheckPduFormatAndSignatures(*body, keys_);
  // The request is authenticated; a bad signature of the event is a refusal
  // of the event (403), not of the request (401).
  if (absl::IsUnauthenticated(checked.status())) {
    return absl::PermissionDeniedError(checked.status().message());
  }
  RETURN_IF_ERROR(checked.status());
  const matrix::Event& event = checked->event;
  if (event.event_id() != route.event_id) {
    return absl::InvalidArgumentError("the event's id is not the one in the path");
  }
  if (event.room_id() != route.room_id) {
    return absl::InvalidArgumentError("the event is for another room");
  }
  if (event.type() != matrix::kMemberType || event.membership() != membership ||
      event.state_key() != event.sender()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the event is not the ", membership, " of its sender"));
  }
  ASSIGN_OR_RETURN(std::string sender_server, matrix::ServerNameOf(event.sender()));
  if (sender_server != origin) {
    return absl::PermissionDeniedError("the user is not on the requesting server");
  }
  return std::make_pair(std::move(origin), std::move(checked->event));
}

absl::StatusOr<Json> FederationRooms::SendJoin(const InboundRequest& request,
                                               const RoomRoute& route) {
  ASSIGN_OR_RETURN(auto checked, MembershipPdu(request, route, "join"));
  const auto& [origin, event] = checked;
  ASSIGN_OR_RETURN(matrix::StateMap current, CurrentState(route.room_id));
  RETURN_IF_ERROR(CheckAcl(current, origin));
  RETURN_IF_ERROR(MayJoinFromAfar(current, event.sender()));
  RETURN_IF_ERROR(Ingest(origin, event, nullptr, /*forward=*/true));
  ASSIGN_OR_RETURN(std::vector<matrix::Event> state, StateBefore(event));
  std::vector<matrix::Event> seeds = state;
  seeds.push_back(event);
  ASSIGN_OR_RETURN(std::vector<matrix::Event> chain, AuthChain(seeds));
  return Json{{"origin", server_name_},
              {"state", PduArray(state)},
              {"auth_chain", PduArray(chain)},
              {"event", event.json()},
              {"members_omitted", false}};
}

absl::Status FederationRooms::Ingest(const std::string& origin, const matrix::Event& event,
                                     std::vector<std::string>* missing, bool forward) {
  ASSIGN_OR_RETURN(std::vector<KnownPdu> already, store_.Pdus({event.event_id()}));
  if (!already.empty()) {
    // Received before: the same answer, nothing written twice (a
    // soft-failed one was accepted, as far as its origin is concerned).
    if (already.front().rejected) return absl::PermissionDeniedError("the event was rejected");
    if (already.front().soft_failed && forward) return SoftFailedJoinOrLeave();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> row, messaging_.GetRoom(event.room_id()));
  if (!row) return absl::NotFoundError("unknown room");
  // Not applied (not rejected either: history stays, a new friendship
  // opens the room again) while a direct room's pair are not contacts.
  RETURN_IF_ERROR(CheckDirectRoomEvent(*row, event, friends_));
  std::vector<std::string> related = event.auth_events();
  related.insert(related.end(), event.prev_events().begin(), event.prev_events().end());
  ASSIGN_OR_RETURN(std::vector<KnownPdu> known, store_.Pdus(related));
  matrix::EventMapSource source;
  SoftFailedGroups soft_failed;
  for (const KnownPdu& k : known) {
    ASSIGN_OR_RETURN(matrix::Event e, matrix::Event::Parse(k.pdu));
    source.Add(e, k.rejected);
    if (k.soft_failed) soft_failed[k.event_id] = k.soft_failed_state_group;
  }
  messaging::RoomWriter::RemoteWrite write{event, RemoteUserUuid(event.sender()), std::nullopt,
                                           forward};
  std::optional<std::string> remote_member;  // a remote target other than the sender
  if (event.type() == matrix::kMemberType && event.state_key()) {
    const std::string& target = *event.state_key();
    ASSIGN_OR_RETURN(std::string target_server, matrix::ServerNameOf(target));
    if (target_server == server_name_) {
      ASSIGN_OR_RETURN(write.member_id, store_.LocalUserId(target.substr(1, target.find(':') - 1)));
    } else {
      write.member_id = RemoteUserUuid(target);
      if (target != event.sender()) remote_member = target;
    }
  }
  bool prevs_known = true;
  for (const std::string& prev : event.prev_events()) {
    prevs_known = prevs_known && source.Find(prev) != nullptr;
  }
  std::vector<messaging::RoomWriter::ForkedWrite::SoftFailedInState> now_in_state;
  const auto extra = [&](messaging::MessagingTx& tx, const std::vector<messaging::StoredEvent>&,
                         const std::vector<std::string>&) -> absl::Status {
    RETURN_IF_ERROR(store_.AddRemoteUser(tx.tx(), write.sender_id, event.sender()));
    if (remote_member) {
      RETURN_IF_ERROR(store_.AddRemoteUser(tx.tx(), *write.member_id, *remote_member));
    }
    std::vector<std::string> moved;
    for (const auto& in_state : now_in_state) {
      RETURN_IF_ERROR(
          store_.AddRemoteUser(tx.tx(), in_state.sender_id, in_state.event.sender()));
      moved.push_back(in_state.event.event_id());
    }
    return store_.DeleteSoftFailed(tx.tx(), moved);
  };
  matrix::RemotePduDecision decision;
  absl::StatusOr<messaging::StoredEvent> written;
  for (int attempt = 1;; ++attempt) {
    // A fork's states are read before the room's lock, from the row as read.
    std::optional<ForkReads> fork;
    if (prevs_known && !matrix::SameEventIds(event.prev_events(), row->Extremities())) {
      ASSIGN_OR_RETURN(fork, ReadFork(event, *row, source, soft_failed));
    }
    bool forked = false;
    const auto decide = [&](const matrix::Room& room)
        -> absl::StatusOr<std::optional<messaging::RoomWriter::ForkedWrite>> {
      decision = {};
      now_in_state.clear();
      if (!prevs_known || matrix::SameEventIds(event.prev_events(), room.forward_extremities())) {
        decision = matrix::DecideRemotePdu(event, origin, server_name_, room, source, room.state());
        if (decision.action != matrix::RemotePduAction::kApply) return decision.reason;
        return std::nullopt;
      }
      ASSIGN_OR_RETURN(messaging::RoomWriter::ForkedWrite planned,
                       PlanForkUnderLock(origin, event, room, fork, source, decision));
      forked = true;
      now_in_state = planned.soft_failed_in_state;
      return planned;
    };
    written = writer_.WriteRemoteEvent(event.room_id(), write, decide, extra);
    if (written.ok() && forked) ForkedEventsCounter().Inc();
    if (!absl::IsAborted(written.status()) || attempt == kForkReadAttempts) break;
    ASSIGN_OR_RETURN(row, messaging_.GetRoom(event.room_id()));
    if (!row) return absl::NotFoundError("unknown room");
  }
  if (written.ok()) return absl::OkStatus();
  if (decision.action == matrix::RemotePduAction::kSoftFail) {
    RETURN_IF_ERROR(KeepSoftFailed(origin, event, decision));
    // The sender of a send_join/send_leave waits for it to take effect.
    return forward ? SoftFailedJoinOrLeave() : absl::OkStatus();
  }
  if (missing != nullptr) *missing = decision.missing_prev_events;
  if (decision.action == matrix::RemotePduAction::kReject) {
    RETURN_IF_ERROR(
        store_.InsertRejected({event.event_id(), event.room_id(), event.canonical_json(), true},
                              origin, std::string(decision.reason.message()), clock_.Now()));
  }
  return written.status();
}

absl::Status FederationRooms::KeepSoftFailed(const std::string& origin,
                                             const matrix::Event& event,
                                             const matrix::RemotePduDecision& decision) {
  KnownPdu kept{event.event_id(), event.room_id(), event.canonical_json()};
  kept.soft_failed = true;
  // A message after one event has the state after that event: its group
  // serves, so a stream of soft-failed messages (a banned user's server
  // writing on) costs a row each, not a copy of the room's state each.
  std::optional<int64_t> group;
  if (!event.is_state() && event.prev_events().size() == 1) {
    ASSIGN_OR_RETURN(group, messaging_.StateGroupOf(event.prev_events().front()));
  }
  std::vector<messaging::StateEntry> state;
  if (!group) {
    for (const auto& [key, id] : decision.state_after) state.push_back({key.type, key.state_key, id});
  }
  RETURN_IF_ERROR(messaging_.Transaction([&](messaging::MessagingTx& tx) -> absl::Status {
    if (group) {
      kept.soft_failed_state_group = *group;
    } else {
      ASSIGN_OR_RETURN(kept.soft_failed_state_group,
                       tx.NewStateGroup(event.room_id(), 0, state, state));
    }
    return store_.InsertSoftFailed(tx.tx(), kept, origin,
                                   std::string(decision.reason.message()), clock_.Now());
  }));
  SoftFailedEventsCounter().Inc();
  // Accepted as far as its origin knows (the spec): operators see why it
  // is not shown.
  log::Info("federation PDU soft-failed", {{"origin", origin},
                                           {"event_id", event.event_id()},
                                           {"reason", std::string(decision.reason.message())}});
  return absl::OkStatus();
}

absl::Status FederationRooms::IngestFillingGap(const std::string& origin,
                                               const matrix::Event& event, int& fetches_left) {
  std::vector<std::string> missing;
  absl::Status status = Ingest(origin, event, &missing);
  if (status.ok() || missing.empty() || !fetch_missing_ || fetches_left <= 0) return status;
  --fetches_left;
  ASSIGN_OR_RETURN(std::optional<messaging::RoomRow> row, messaging_.GetRoom(event.room_id()));
  if (!row) return status;
  absl::StatusOr<std::vector<Json>> fetched =
      fetch_missing_(origin, {.room_id = event.room_id(),
                              .earliest = row->Extremities(),
                              .latest = {event.event_id()},
                              .limit = kMaxMissingEvents,
                              .min_depth = row->depth});
  if (!fetched.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        status.message(), "; get_missing_events failed: ", fetched.status().message()));
  }
  std::vector<matrix::Event> gap;
  for (const Json& pdu : *fetched) {
    // A bad one leaves a hole: the retry below says what is still missing.
    absl::StatusOr<matrix::CheckedPdu> checked = matrix::CheckPduFormatAndSignatures(pdu, keys_);
    if (checked.ok() && checked->event.room_id() == event.room_id()) {
      gap.push_back(std::move(checked->event));
    }
  }
  std::stable_sort(gap.begin(), gap.end(), [](const matrix::Event& a, const matrix::Event& b) {
    return a.depth() < b.depth();
  });
  for (const matrix::Event& e : gap) {
    if (!Ingest(origin, e).ok()) break;  // the rest would not follow either
  }
  return Ingest(origin, event);
}

void FederationRooms::Typing(const std::string& origin, const Json& content,
                             std::map<std::string, bool>& acl_memo) {
  if (!typing_ || !content.is_object()) return;
  const auto room = content.find("room_id");
  const auto user = content.find("user_id");
  const auto typing = content.find("typing");
  if (room == content.end() || !room->is_string() || user == content.end() || !user->is_string() ||
      typing == content.end() || !typing->is_boolean()) {
    return;
  }
  const std::string user_id = user->get<std::string>();
  absl::StatusOr<std::string> server = matrix::ServerNameOf(user_id);
  if (!server.ok() || *server != origin) return;  // a server speaks for its own users
  if (!EduAllowed(origin, room->get<std::string>(), acl_memo)) return;
  // A hint: refused ones (not a member, unknown room) are dropped.
  (void)typing_(RemoteUserUuid(user_id), room->get<std::string>(), typing->get<bool>(),
                kRemoteTypingTimeout);
}

absl::StatusOr<Json> FederationRooms::SendTransaction(const InboundRequest& request,
                                                      const RoomRoute& route) {
  ASSIGN_OR_RETURN(std::string origin, auth_.Authenticate(request));
  if (route.txn_id.empty()) return absl::InvalidArgumentError("txnId is required");
  ASSIGN_OR_RETURN(std::optional<std::string> kept, txns_.TransactionAnswer(origin, route.txn_id));
  if (kept) return matrix::ParseJson(*kept);
  ASSIGN_OR_RETURN(matrix::Transaction txn, matrix::ParseTransaction(request.body, origin));
  std::map<std::string, absl::Status> results;
  int gap_fetches = kMaxGapFetchesPerTransaction;
  for (const Json& pdu : txn.pdus) {
    const std::string id = matrix::AnswerIdOf(pdu);
    if (id.empty()) continue;  // too malformed to be answered by id
    absl::StatusOr<matrix::CheckedPdu> checked = matrix::CheckPduFormatAndSignatures(pdu, keys_);
    results[id] =
        checked.ok() ? IngestFillingGap(origin, checked->event, gap_fetches) : checked.status();
    if (!results[id].ok()) {
      // The origin is told in the answer; operators see why rooms diverge.
      log::Info("federation PDU not accepted", {{"origin", origin},
                                                {"event_id", id},
                                                {"error", std::string(results[id].message())}});
    }
  }
  // Typing and receipts go to local members, to-device messages and device
  // list updates to their sinks; others (presence) are accepted and ignored.
  // Room EDUs from a server the room's ACL denies are dropped.
  std::map<std::string, bool> acl_memo;  // room -> allowed, for this transaction
  for (const Json& edu : txn.edus) {
    const auto type = edu.find("edu_type");
    const auto content = edu.find("content");
    if (type == edu.end() || content == edu.end()) continue;
    if (*type == "m.typing") Typing(origin, *content, acl_memo);
    if (*type == "m.receipt") Receipts(origin, *content, acl_memo);
    const auto sink =
        type->is_string() ? edu_sinks_.find(type->get<std::string>()) : edu_sinks_.end();
    if (sink == edu_sinks_.end()) continue;
    absl::Status sunk = sink->second(origin, *content);
    if (absl::IsUnavailable(sunk)) return sunk;
  }
  ASSIGN_OR_RETURN(std::string answer, matrix::CanonicalJson(matrix::TransactionAnswer(results)));
  ASSIGN_OR_RETURN(std::string first,
                   txns_.KeepTransactionAnswer(origin, route.txn_id, answer, clock_.Now()));
  return matrix::ParseJson(first);
}

}  // namespace messenger::federation
