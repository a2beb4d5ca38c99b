#include "messaging-service/src/storage/pg_messaging_batches.h"

#include "common/status.h"
#include "messaging-service/src/storage/batch_queries.h"
#include "messaging-service/src/storage/queries.h"

namespace messenger::messaging::pg_batches {
namespace {

void AppendQuoted(std::string& out, const std::string& item) {
  out += "\"";
  for (char c : item) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\"";
}

struct Columns {
  std::vector<std::string> types, keys, ids;
};

// The last entry of each (type, state_key), in first-seen order.
std::vector<StateEntry> LastPerKey(const std::vector<StateEntry>& entries) {
  std::map<std::pair<std::string, std::string>, size_t> at;
  std::vector<StateEntry> out;
  for (const StateEntry& e : entries) {
    auto [it, fresh] = at.try_emplace({e.type, e.state_key}, out.size());
    if (fresh) {
      out.push_back(e);
    } else {
      out[it->second] = e;
    }
  }
  return out;
}

Columns ColumnsOf(const std::vector<StateEntry>& entries) {
  Columns c;
  for (const StateEntry& e : entries) {
    c.types.push_back(e.type);
    c.keys.push_back(e.state_key);
    c.ids.push_back(e.event_id);
  }
  return c;
}

std::vector<std::string> Numbers(const std::vector<int64_t>& values) {
  std::vector<std::string> out;
  for (int64_t v : values) out.push_back(std::to_string(v));
  return out;
}

}  // namespace

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    AppendQuoted(out, items[i]);
  }
  return out + "}";
}

std::string TextArray(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    if (items[i]) {
      AppendQuoted(out, *items[i]);
    } else {
      out += "NULL";
    }
  }
  return out + "}";
}

absl::StatusOr<std::vector<int64_t>> NewStateGroups(pg::Tx& tx, const std::string& room_id,
                                                    int64_t prev_group,
                                                    const std::vector<StateEntry>& changes) {
  std::vector<int64_t> out;
  if (changes.empty()) return out;
  std::optional<int64_t> prev;
  if (prev_group != 0) prev = prev_group;
  const Columns c = ColumnsOf(changes);
  ASSIGN_OR_RETURN(pg::Result r,
                   tx.Exec(queries::kInsertStateGroupChain,
                           {room_id, prev, TextArray(c.types), TextArray(c.keys),
                            TextArray(c.ids), kMaxStateChain, kSnapshotShare}));
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.GetInt64(i, 0));
  if (r.rows() != static_cast<int>(changes.size())) {
    return absl::InternalError("state group chain: a group per change expected");
  }
  if (!r.GetBool(r.rows() - 1, 1)) return out;
  // The chain's end became a snapshot: the room's current state with the
  // batch's changes on top, copied in the database.
  const Columns last = ColumnsOf(LastPerKey(changes));
  RETURN_IF_ERROR(tx.Exec(queries::kSnapshotCurrentState,
                          {out.back(), room_id, TextArray(last.types), TextArray(last.keys),
                           TextArray(last.ids)})
                      .status());
  return out;
}

absl::Status InsertEvents(pg::Tx& tx, const std::vector<StoredEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  std::vector<std::string> ids, rooms, senders, types, pdus;
  std::vector<std::optional<std::string>> keys;
  std::vector<int64_t> seqs, stamps, groups;
  for (const StoredEvent& e : events) {
    ids.push_back(e.event_id);
    rooms.push_back(e.room_id);
    seqs.push_back(e.seq);
    senders.push_back(e.sender);
    types.push_back(e.type);
    keys.push_back(e.state_key);
    stamps.push_back(e.origin_server_ts);
    groups.push_back(e.state_group);
    pdus.push_back(e.pdu);
  }
  return tx
      .Exec(queries::kInsertEvents,
            {TextArray(ids), TextArray(rooms), TextArray(Numbers(seqs)), TextArray(senders),
             TextArray(types), TextArray(keys), TextArray(Numbers(stamps)),
             TextArray(Numbers(groups)), TextArray(pdus)})
      .status();
}

absl::Status PutCurrentStates(pg::Tx& tx, const std::string& room_id,
                              const std::vector<StateEntry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  const Columns c = ColumnsOf(LastPerKey(entries));
  return tx
      .Exec(queries::kPutCurrentStates,
            {room_id, TextArray(c.types), TextArray(c.keys), TextArray(c.ids)})
      .status();
}

absl::Status PutMemberships(pg::Tx& tx, const std::string& room_id,
                            const std::vector<MembershipRow>& changes) {
  if (changes.empty()) return absl::OkStatus();
  std::map<std::string, size_t> at;
  std::vector<MembershipRow> last;
  for (const MembershipRow& c : changes) {
    auto [it, fresh] = at.try_emplace(c.user_id, last.size());
    if (fresh) {
      last.push_back(c);
    } else {
      last[it->second] = c;
    }
  }
  std::vector<std::string> users, memberships, events;
  for (const MembershipRow& c : last) {
    users.push_back(c.user_id);
    memberships.push_back(c.membership);
    events.push_back(c.event_id);
  }
  return tx
      .Exec(queries::kPutMemberships,
            {room_id, TextArray(users), TextArray(memberships), TextArray(events)})
      .status();
}

absl::Status EnqueueOutgoingPdus(
    pg::Tx& tx, const std::string& room_id,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& pdus) {
  std::vector<std::string> events, destinations;
  for (const auto& [event_id, to] : pdus) {
    for (const std::string& destination : to) {
      events.push_back(event_id);
      destinations.push_back(destination);
    }
  }
  if (events.empty()) return absl::OkStatus();
  return tx
      .Exec(queries::kEnqueueOutgoingPdus, {room_id, TextArray(events), TextArray(destinations)})
      .status();
}

absl::StatusOr<std::map<std::string, MemberProfile>> ProfilesOf(
    pg::Tx& tx, const std::vector<std::string>& user_ids) {
  std::map<std::string, MemberProfile> out;
  if (user_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kProfilesOf, {TextArray(user_ids)}));
  for (int i = 0; i < r.rows(); ++i) {
    MemberProfile& profile = out[r.GetString(i, 0)];
    if (!r.IsNull(i, 1)) profile.displayname = r.GetString(i, 1);
    if (!r.IsNull(i, 2)) profile.avatar_url = r.GetString(i, 2);
  }
  return out;
}

absl::Status EnqueueAll(pg::Tx& tx, const bus::Outbox& outbox,
                        const std::vector<bus::Event>& events) {
  if (events.empty()) return absl::OkStatus();
  std::vector<std::string> ids, subjects, payloads;
  for (const bus::Event& e : events) {
    ids.push_back(e.id);
    subjects.push_back(e.type);
    payloads.push_back(e.ToJson());
  }
  RETURN_IF_ERROR(
      tx.Exec(queries::kEnqueueAll, {TextArray(ids), TextArray(subjects), TextArray(payloads)})
          .status());
  tx.AfterCommit([&outbox, events] { outbox.Commit(events); });
  return absl::OkStatus();
}

absl::Status InsertNotices(pg::Tx& tx, const std::vector<std::string>& user_ids,
                           const std::string& kind, const std::string& room_id,
                           const std::optional<std::string>& other_user) {
  if (user_ids.empty()) return absl::OkStatus();
  return tx.Exec(queries::kInsertNotices, {TextArray(user_ids), kind, room_id, other_user})
      .status();
}

absl::Status InsertRoomNoticesAbout(pg::Tx& tx, const std::string& room_id,
                                    const std::string& kind,
                                    const std::vector<std::string>& others) {
  if (others.empty()) return absl::OkStatus();
  return tx.Exec(queries::kInsertRoomNoticesAbout, {room_id, kind, TextArray(others)}).status();
}

absl::StatusOr<std::map<std::string, std::string>> MembershipsOf(
    pg::Pool& pool, const std::string& room_id, const std::vector<std::string>& user_ids) {
  std::map<std::string, std::string> out;
  if (user_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool.Exec(queries::kMembershipsOf, {room_id, TextArray(user_ids)}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetString(i, 0)] = r.GetString(i, 1);
  return out;
}

}  // namespace messenger::messaging::pg_batches
