#include "messaging-service/src/service/matrix_sync.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/time/clock.h"
#include "common/crypto.h"
#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/matrix_sync_token.h"
#include "messaging-service/src/domain/matrix_write_rules.h"

namespace messenger::messaging {
namespace {

// What an invite shows of the room (the spec's recommended stripped state).
bool InviteStateType(const std::string& type) {
  static const std::set<std::string> kTypes = {
      "m.room.create", "m.room.join_rules", "m.room.name", "m.room.canonical_alias",
      "m.room.avatar", "m.room.encryption", "m.room.topic"};
  return kTypes.count(type) > 0;
}

bool IsMember(const SyncedEvent& e) { return e.type == "m.room.member"; }

// The stripped events of a remote invite's invite_room_state (stored
// checked) as state events; the gateway shows only their stripped fields.
void RemoteInviteState(const std::string& json, const std::string& user_mxid,
                       std::vector<SyncedEvent>& out) {
  const nlohmann::json events = nlohmann::json::parse(json, nullptr, false);
  if (!events.is_array()) return;
  for (const nlohmann::json& e : events) {
    if (!e.is_object() || !e.contains("type") || !e["type"].is_string()) continue;
    SyncedEvent event;
    event.type = e["type"].get<std::string>();
    event.state_key = e.value("state_key", "");
    // The invite itself is a real event of the room, shown already.
    if (event.type == "m.room.member" && event.state_key == user_mxid) continue;
    event.pdu = e.dump();
    out.push_back(std::move(event));
  }
}

}  // namespace

absl::StatusOr<std::string> SyncUserId(const std::string& user_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  return text::ToLowerAscii(user_id);
}

// One Sync call's reads.
struct MatrixSync::SyncPass {
  std::string user;
  std::string user_mxid;
  bool initial = false;
  bool full_state = false;
  SyncFilter filter;
  SyncKey since;
  uint64_t below = 0;  // xid bound of every read: the horizon or the token's
  std::string device;
  MatrixSyncToken token;
  std::map<std::string, std::vector<SyncedEvent>> state;   // room -> current state
  std::map<std::string, std::vector<std::string>> typing;  // room -> UUIDs
  std::map<std::string, std::vector<RoomReceipt>> receipts;
  std::map<std::string, RoomCounts> counts;
  std::map<std::string, std::string> mxids;  // UUID -> @name:server
  // room -> its timeline read (newest first, one more than the limit).
  std::map<std::string, std::vector<SyncedEvent>> timelines;
};

absl::StatusOr<SyncFilter> MatrixSync::ResolveFilter(const std::string& user,
                                                     const std::string& filter) {
  if (filter.empty()) return SyncFilter{};
  std::string text = filter;
  if (filter.front() != '{') {
    absl::StatusOr<std::string> stored = GetFilter(user, filter);
    if (absl::IsNotFound(stored.status())) {
      return absl::InvalidArgumentError("filter is neither JSON nor a filter id of yours");
    }
    ASSIGN_OR_RETURN(text, std::move(stored));
  } else if (filter.size() > kMaxFilterBytes) {
    return absl::InvalidArgumentError("the filter is too large");
  }
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return absl::InvalidArgumentError("the filter is not JSON");
  return ParseSyncFilter(json);
}

absl::StatusOr<MatrixSyncResult> MatrixSync::Sync(const MatrixSyncRequest& request) {
  // News for the user may sit above the horizon (its commit is held back by
  // an older open transaction): no wake-up follows for it, so look again in
  // a moment rather than answer "nothing" to a long poll (bounded).
  constexpr int kLagRetries = 25;
  constexpr absl::Duration kLagPause = absl::Milliseconds(2);
  for (int attempt = 0;; ++attempt) {
    SyncPass pass;
    ASSIGN_OR_RETURN(MatrixSyncResult out, SyncOnce(request, pass));
    if (out.has_news || attempt >= kLagRetries) return out;
    ASSIGN_OR_RETURN(std::vector<std::string> above,
                     store_.ChangedRooms(pass.user, SyncKey::Below(pass.below),
                                         std::numeric_limits<uint64_t>::max()));
    if (above.empty()) return out;
    absl::SleepFor(kLagPause);
  }
}

absl::StatusOr<MatrixSyncResult> MatrixSync::SyncOnce(const MatrixSyncRequest& request,
                                                      SyncPass& pass) {
  ASSIGN_OR_RETURN(pass.user, SyncUserId(request.user_id));
  ASSIGN_OR_RETURN(pass.filter, ResolveFilter(pass.user, request.filter));
  pass.initial = request.since.empty();
  pass.full_state = request.full_state || pass.initial;
  if (!pass.initial) {
    ASSIGN_OR_RETURN(pass.token, DecodeMatrixSyncToken(request.since));
    pass.since = FromWire(pass.token.stream);
  }
  pass.device = request.device_id;
  ASSIGN_OR_RETURN(const uint64_t horizon, store_.Horizon());
  // Below the horizon nothing changes any more; a lagging snapshot never
  // moves a token back.
  const SyncKey next = NextKey(pass.since, std::nullopt, false, horizon);
  const uint64_t below = std::max(next.xid, horizon);
  pass.below = below;

  std::set<std::string> changed;
  if (!pass.initial) {
    ASSIGN_OR_RETURN(std::vector<std::string> rooms,
                     store_.ChangedRooms(pass.user, pass.since, below));
    changed.insert(rooms.begin(), rooms.end());
  }
  uint64_t typing_cursor = pass.token.typing;
  if (typing_ != nullptr) {
    TypingView view = typing_->For(pass.user, pass.initial ? 0 : pass.token.typing);
    typing_cursor = view.cursor;
    for (TypingEvent& t : view.events) {
      changed.insert(t.room_id);
      pass.typing[t.room_id] = std::move(t.user_ids);
    }
  }
  // An incremental sync shows only rooms with news: a membership that moved
  // since the token has its event among them. So it reads the memberships
  // of those rooms only (a user in 500 rooms: not 500 rows at each wake).
  std::vector<UserRoom> memberships;
  if (pass.full_state) {
    ASSIGN_OR_RETURN(memberships, store_.UserRooms(pass.user, std::nullopt));
  } else if (!changed.empty()) {
    ASSIGN_OR_RETURN(memberships,
                     store_.UserRooms(pass.user,
                                      std::vector<std::string>(changed.begin(), changed.end())));
  }

  // The rooms this answer shows and how. A joined room's state is read
  // whole when it is shown whole (a join since the token, full_state), else
  // only what changed since the token: a wake in a big room reads no
  // member list.
  std::vector<const UserRoom*> shown;
  std::vector<std::string> joined_ids, state_ids, changed_state_ids;
  for (const UserRoom& m : memberships) {
    if (!pass.filter.WantsRoom(m.room_id)) continue;
    // Membership changed since the token, and visible below this read's
    // horizon: a change above it (its transaction may still be open for the
    // event reads) waits for the next sync, as its events do.
    const bool moved = !pass.initial && m.key > pass.since && m.key < SyncKey::Below(pass.below);
    bool show = false;
    if (m.membership == "join") {
      show = pass.full_state || changed.count(m.room_id) > 0;
      if (show) joined_ids.push_back(m.room_id);
    } else if (m.membership == "invite") {
      show = pass.initial || moved || request.full_state;
    } else {  // leave, ban: once, after the change (initial: on request)
      show = moved || (pass.initial && pass.filter.include_leave);
    }
    if (!show) continue;
    shown.push_back(&m);
    if (m.membership == "join" && !pass.full_state && !FreshJoin(pass, m)) {
      changed_state_ids.push_back(m.room_id);
    } else if (m.membership != "leave" && m.membership != "ban") {
      state_ids.push_back(m.room_id);
    }
  }
  ASSIGN_OR_RETURN(std::vector<SyncedEvent> state, store_.CurrentState(state_ids));
  std::vector<SyncedEvent> changed_state;
  if (!changed_state_ids.empty()) {
    ASSIGN_OR_RETURN(changed_state, store_.StateSince(changed_state_ids, pass.since, below));
  }
  // The summary (member counts, heroes) where the members may have changed.
  std::set<std::string> summary_ids(state_ids.begin(), state_ids.end());
  for (SyncedEvent& e : changed_state) {
    if (IsMember(e)) summary_ids.insert(e.room_id);
    state.push_back(std::move(e));
  }
  for (SyncedEvent& e : state) pass.state[e.room_id].push_back(std::move(e));
  std::vector<std::string> invited;
  for (const UserRoom* m : shown) {
    if (m->membership == "invite") invited.push_back(m->room_id);
  }
  std::map<std::string, std::string> remote_invites;  // room -> stripped state
  if (!invited.empty()) {
    ASSIGN_OR_RETURN(remote_invites, store_.RemoteInviteStates(pass.user, invited));
  }
  ASSIGN_OR_RETURN(std::vector<RoomReceipt> receipts,
                   store_.Receipts(joined_ids, pass.initial ? SyncKey{} : pass.since, below));
  for (RoomReceipt& r : receipts) pass.receipts[r.room_id].push_back(std::move(r));
  ASSIGN_OR_RETURN(pass.counts,
                   store_.Counts(pass.user, joined_ids,
                                 std::vector<std::string>(summary_ids.begin(), summary_ids.end())));
  RETURN_IF_ERROR(ReadTimelines(pass, shown));

  // Matrix ids of everyone the ephemeral events and summaries name.
  std::vector<std::string> people = {pass.user};
  for (const auto& [room, users] : pass.typing)
    people.insert(people.end(), users.begin(), users.end());
  for (const auto& [room, list] : pass.receipts) {
    for (const auto& r : list) people.push_back(r.user_id);
  }
  for (const auto& [room, c] : pass.counts)
    people.insert(people.end(), c.heroes.begin(), c.heroes.end());
  for (const auto& [room, list] : pass.timelines) {
    for (const SyncedEvent& e : list) people.push_back(e.sender);
  }
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  ASSIGN_OR_RETURN(pass.mxids, messaging_.MatrixIdsOf(people));
  pass.user_mxid = pass.mxids[pass.user];

  MatrixSyncResult out;
  for (const UserRoom* m : shown) {
    MatrixSyncRoom room;
    room.room_id = m->room_id;
    if (m->membership == "join") {
      room.membership = "join";
      RETURN_IF_ERROR(JoinedRoom(pass, *m, room));
      const bool news = !room.timeline.empty() || !room.state.empty() || !room.ephemeral.empty();
      if (!news && !pass.full_state) continue;
      out.has_news = out.has_news || news;
    } else if (m->membership == "invite") {
      room.membership = "invite";
      for (const SyncedEvent& e : pass.state[m->room_id]) {
        if (InviteStateType(e.type) || (IsMember(e) && e.state_key == pass.user_mxid)) {
          room.state.push_back(e);
        }
      }
      // A room of another server: what its server sent with the invite.
      if (auto it = remote_invites.find(m->room_id); it != remote_invites.end()) {
        RemoteInviteState(it->second, pass.user_mxid, room.state);
      }
      out.has_news = true;
    } else {
      room.membership = "leave";
      TakeTimeline(pass, room);
      out.has_news = true;
    }
    out.rooms.push_back(std::move(room));
  }
  RETURN_IF_ERROR(MarkOwnTransactions(pass, out));
  std::vector<SyncedEvent*> timelines;
  for (MatrixSyncRoom& room : out.rooms) {
    for (SyncedEvent& e : room.timeline) timelines.push_back(&e);
  }
  RETURN_IF_ERROR(BundleReplacements(timelines));
  pass.token.stream = ToWire(next);
  pass.token.typing = typing_cursor;
  RETURN_IF_ERROR(CollectSections(pass, out));
  ASSIGN_OR_RETURN(out.next_batch, EncodeMatrixSyncToken(pass.token));
  if (pass.initial) out.has_news = true;
  return out;
}

bool MatrixSync::FreshJoin(const SyncPass& pass, const UserRoom& m) {
  return pass.initial || m.key > pass.since;
}

absl::Status MatrixSync::ReadTimelines(SyncPass& pass, const std::vector<const UserRoom*>& shown) {
  RoomsRange range;
  range.below_xid = pass.below;
  range.like_types = pass.filter.timeline.LikeTypes();
  range.like_not_types = pass.filter.timeline.LikeNotTypes();
  range.limit = pass.filter.timeline_limit + 1;  // one more tells `limited`
  for (const UserRoom* m : shown) {
    if (m->membership == "join") {
      // A room joined since the token shows its recent timeline.
      range.rooms.push_back({m->room_id, FreshJoin(pass, *m) ? SyncKey{} : pass.since, 0});
    } else if (m->membership != "invite") {
      // Up to (and with) the leave.
      range.rooms.push_back({m->room_id, pass.initial ? SyncKey{} : pass.since, m->seq + 1});
    }
  }
  ASSIGN_OR_RETURN(std::vector<SyncedEvent> events, store_.NewestEvents(range));
  for (SyncedEvent& e : events) pass.timelines[e.room_id].push_back(std::move(e));
  for (auto& [room, list] : pass.timelines) {
    std::sort(list.begin(), list.end(),
              [](const SyncedEvent& a, const SyncedEvent& b) { return a.seq > b.seq; });
  }
  return absl::OkStatus();
}

void MatrixSync::TakeTimeline(SyncPass& pass, MatrixSyncRoom& room) {
  if (auto it = pass.timelines.find(room.room_id); it != pass.timelines.end()) {
    room.timeline = std::move(it->second);
    pass.timelines.erase(it);
  }
  room.limited = static_cast<int>(room.timeline.size()) > pass.filter.timeline_limit;
  if (room.limited) room.timeline.resize(pass.filter.timeline_limit);
  std::reverse(room.timeline.begin(), room.timeline.end());
  if (!room.timeline.empty()) room.prev_batch = EncodeRoomToken(room.timeline.front().seq);
}

absl::Status MatrixSync::JoinedRoom(SyncPass& pass, const UserRoom& m, MatrixSyncRoom& room) {
  TakeTimeline(pass, room);

  // State: everything before the timeline (whole or since the token) that
  // the timeline does not carry itself.
  std::set<std::string> in_timeline, senders;
  for (const SyncedEvent& e : room.timeline) in_timeline.insert(e.event_id);
  if (pass.filter.lazy_load_members) {
    senders.insert(pass.user_mxid);
    for (const SyncedEvent& e : room.timeline) senders.insert(pass.mxids[e.sender]);
  }
  // Each room's state is read once per pass: moved, not copied. A room
  // not shown whole was read since the token only (StateSince).
  for (SyncedEvent& e : pass.state[m.room_id]) {
    if (in_timeline.count(e.event_id) > 0) continue;
    if (pass.filter.lazy_load_members && IsMember(e) && senders.count(*e.state_key) == 0) {
      continue;
    }
    room.state.push_back(std::move(e));
  }

  if (auto t = pass.typing.find(m.room_id); t != pass.typing.end()) {
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& u : t->second) ids.push_back(pass.mxids[u]);
    room.ephemeral.push_back({{"type", "m.typing"}, {"content", {{"user_ids", ids}}}});
  }
  if (auto r = pass.receipts.find(m.room_id); r != pass.receipts.end()) {
    nlohmann::json content = nlohmann::json::object();
    for (const RoomReceipt& receipt : r->second) {
      content[receipt.event_id]["m.read"][pass.mxids[receipt.user_id]] = {{"ts", receipt.ts_ms}};
    }
    room.ephemeral.push_back({{"type", "m.receipt"}, {"content", content}});
  }
  room.counts = pass.counts[m.room_id];
  for (const auto& h : room.counts.heroes) room.hero_mxids.push_back(pass.mxids[h]);
  return absl::OkStatus();
}

absl::StatusOr<std::set<std::string>> MatrixSync::SenderIds(
    const std::vector<const std::vector<SyncedEvent>*>& lists, const std::string& user) {
  std::set<std::string> uuids = {user};
  for (const auto* list : lists) {
    for (const SyncedEvent& e : *list) uuids.insert(e.sender);
  }
  ASSIGN_OR_RETURN(auto mxids,
                   messaging_.MatrixIdsOf(std::vector<std::string>(uuids.begin(), uuids.end())));
  std::set<std::string> out;
  for (const auto& [uuid, mxid] : mxids) out.insert(mxid);
  return out;
}

absl::Status MatrixSync::MarkOwnTransactions(const SyncPass& pass, MatrixSyncResult& out) {
  if (pass.device.empty()) return absl::OkStatus();
  std::vector<std::string> own;
  for (const MatrixSyncRoom& room : out.rooms) {
    for (const SyncedEvent& e : room.timeline) {
      if (e.sender == pass.user) own.push_back(e.event_id);
    }
  }
  ASSIGN_OR_RETURN(auto keys, store_.SentKeys(pass.user, pass.device, own));
  if (keys.empty()) return absl::OkStatus();
  for (MatrixSyncRoom& room : out.rooms) {
    for (SyncedEvent& e : room.timeline) {
      auto key = keys.find(e.event_id);
      if (key == keys.end()) continue;
      if (std::optional<std::string> txn = TxnIdOfKey(key->second)) e.transaction_id = *txn;
    }
  }
  return absl::OkStatus();
}

absl::Status MatrixSync::CollectSections(SyncPass& pass, MatrixSyncResult& out) {
  for (UserSyncSection* section : sections_) {
    const std::string name(section->name());
    UserSyncInput in;
    in.user_id = pass.user;
    in.device_id = pass.device;
    in.initial = pass.initial;
    in.since = pass.initial ? 0 : [&] {
      auto it = pass.token.sections.find(name);
      return it == pass.token.sections.end() ? int64_t{0} : it->second;
    }();
    ASSIGN_OR_RETURN(UserSyncOutput got, section->Collect(in));
    pass.token.sections[name] = got.next;
    out.has_news = out.has_news || got.has_changes;
    if (!got.json.empty()) out.section_json.push_back(std::move(got.json));
  }
  return absl::OkStatus();
}

}  // namespace messenger::messaging
