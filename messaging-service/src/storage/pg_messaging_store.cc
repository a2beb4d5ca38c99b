#include "messaging-service/src/storage/generic_plan.h"
#include "messaging-service/src/storage/pg_messaging_store.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/text.h"
#include "nlohmann/json.hpp"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/storage/pg_messaging_batches.h"
#include "messaging-service/src/storage/queries.h"

namespace messenger::messaging {
namespace {

using pg_batches::kMaxStateChain;
using pg_batches::kSnapshotShare;
using pg_batches::TextArray;

// No upper bound on xids but the read's horizon (xid8 is unsigned 64-bit).
constexpr uint64_t kNoXidBound = std::numeric_limits<uint64_t>::max();

// An xid8 column read as text.
uint64_t Xid(const pg::Result& r, int row, int col) {
  const std::string_view text = r.Get(row, col);
  uint64_t xid = 0;
  (void)absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &xid);
  return xid;
}

RoomRow RoomFrom(const pg::Result& r, int i) {
  RoomRow room;
  room.room_id = r.GetString(i, 0);
  room.room_version = r.GetString(i, 1);
  room.kind = r.GetString(i, 2);
  if (!r.IsNull(i, 3)) room.name = r.GetString(i, 3);
  room.creator = r.GetString(i, 4);
  if (!r.IsNull(i, 5)) room.direct_key = r.GetString(i, 5);
  room.direct_read_only = r.GetBool(i, 6);
  room.created_at = r.GetTime(i, 7);
  room.last_seq = r.GetInt64(i, 8);
  room.depth = r.GetInt64(i, 9);
  room.tip_event_id = r.GetString(i, 10);
  room.state_group = r.GetInt64(i, 11);
  room.last_event_at = r.GetTime(i, 12);
  if (!r.IsNull(i, 13)) {
    // Written by UpdateRoom from event ids: a JSON array of strings.
    const nlohmann::json ids = nlohmann::json::parse(r.GetString(i, 13), nullptr, false);
    if (ids.is_array()) {
      for (const nlohmann::json& id : ids) {
        if (id.is_string()) room.fork_extremities.push_back(id.get<std::string>());
      }
    }
  }
  return room;
}

MessageRow MessageFrom(const pg::Result& r, int i, int col = 0) {
  return {r.GetString(i, col),     r.GetString(i, col + 1), r.GetInt64(i, col + 2),
          r.GetString(i, col + 3), r.GetString(i, col + 4), r.GetInt64(i, col + 5)};
}

// Postgres text[] output ("{a,b}" with optional quotes) to strings.
std::vector<std::string> ParseTextArray(std::string_view text) {
  std::vector<std::string> out;
  if (text.size() < 2) return out;
  std::string current;
  bool quoted = false, in_item = false;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\' && i + 2 < text.size()) {
        current += text[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c == '"') {
      quoted = true;
      in_item = true;
    } else if (c == ',') {
      out.push_back(std::move(current));
      current.clear();
      in_item = false;
    } else {
      current += c;
      in_item = true;
    }
  }
  if (in_item || !current.empty()) out.push_back(std::move(current));
  return out;
}

class PgMessagingTx final : public MessagingTx {
 public:
  PgMessagingTx(pg::Tx& tx, const bus::Outbox& outbox) : tx_(tx), outbox_(outbox) {}

  pg::Tx& tx() override { return tx_; }

  absl::StatusOr<std::optional<RoomRow>> LockRoom(const std::string& room_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kLockRoom, {room_id}));
    if (r.rows() == 0) return std::nullopt;
    return RoomFrom(r, 0);
  }

  absl::StatusOr<std::vector<std::string>> CurrentStatePdus(const std::string& room_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kCurrentStatePdus, {room_id}));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.GetString(i, 0));
    return out;
  }

  absl::StatusOr<std::vector<std::string>> JoinedMembers(const std::string& room_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kJoinedMembers, {room_id}));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.GetString(i, 0));
    return out;
  }

  absl::Status InsertRoom(const RoomRow& room) override {
    absl::Status status =
        tx_.Exec(queries::kInsertRoom,
                 {room.room_id, room.room_version, room.kind, room.name, room.creator,
                  room.direct_key, room.direct_read_only, room.created_at, room.last_seq,
                  room.depth, room.tip_event_id, room.state_group, room.last_event_at})
            .status();
    if (pg::IsUniqueViolation(status, "rooms_direct_key_key")) {
      return absl::AlreadyExistsError("the pair already has a direct room");
    }
    return status;
  }

  absl::Status UpdateRoom(const RoomRow& room,
                          const std::optional<std::string>& last_message) override {
    return tx_
        .Exec(queries::kUpdateRoom,
              {room.room_id, room.last_seq, room.depth, room.tip_event_id, room.state_group,
               room.last_event_at, room.name, last_message,
               room.fork_extremities.empty()
                   ? std::optional<std::string>()
                   : std::optional<std::string>(TextArray(room.fork_extremities))})
        .status();
  }

  absl::Status DeleteCurrentState(const std::string& room_id, const std::string& type,
                                  const std::string& state_key) override {
    return tx_.Exec(queries::kDeleteCurrentState, {room_id, type, state_key}).status();
  }

  absl::Status InsertEvent(const StoredEvent& e) override {
    return tx_
        .Exec(queries::kInsertEvent, {e.event_id, e.room_id, e.seq, e.sender, e.type, e.state_key,
                                      e.origin_server_ts, e.state_group, e.pdu})
        .status();
  }

  // An empty `full_state`: a snapshot copies the room's current state in the
  // database (the writer's large rooms never build it in memory).
  absl::StatusOr<int64_t> NewStateGroup(const std::string& room_id, int64_t prev_group,
                                        const std::vector<StateEntry>& changes,
                                        const std::vector<StateEntry>& full_state) override {
    std::optional<int64_t> prev;
    if (prev_group != 0) prev = prev_group;
    ASSIGN_OR_RETURN(pg::Result group, tx_.Exec(queries::kInsertStateGroup, {room_id, prev}));
    const int64_t chain_len = group.GetInt64(0, 1);
    const int64_t snapshot_size = group.GetInt64(0, 2);
    if (chain_len < std::max<int64_t>(kMaxStateChain, snapshot_size / kSnapshotShare)) {
      RETURN_IF_ERROR(InsertStateEntries(group.GetInt64(0, 0), changes));
      return group.GetInt64(0, 0);
    }
    // Too long a chain: this group becomes a snapshot of its own.
    ASSIGN_OR_RETURN(pg::Result snapshot,
                     tx_.Exec(queries::kInsertStateGroup, {room_id, std::optional<int64_t>()}));
    const int64_t group_id = snapshot.GetInt64(0, 0);
    if (full_state.empty()) {
      const Columns c = ColumnsOf(changes);
      RETURN_IF_ERROR(
          tx_.Exec(queries::kSnapshotCurrentState, {group_id, room_id, c.types, c.keys, c.ids})
              .status());
      return group_id;
    }
    RETURN_IF_ERROR(InsertStateEntries(group_id, full_state));
    RETURN_IF_ERROR(
        tx_.Exec(queries::kSetSnapshotSize, {group_id, static_cast<int64_t>(full_state.size())})
            .status());
    return group_id;
  }

  absl::Status PutCurrentState(const std::string& room_id, const StateEntry& e) override {
    return tx_.Exec(queries::kPutCurrentState, {room_id, e.type, e.state_key, e.event_id}).status();
  }

  absl::Status PutMembership(const std::string& room_id, const std::string& user_id,
                             const std::string& membership, const std::string& event_id) override {
    return tx_.Exec(queries::kPutMembership, {room_id, user_id, membership, event_id}).status();
  }

  absl::StatusOr<bool> InsertSent(const std::string& user_id, const std::string& device_id,
                                  const std::string& client_msg_id, const std::string& event_id,
                                  const std::string& request_hash) override {
    ASSIGN_OR_RETURN(pg::Result r,
                     tx_.Exec(queries::kInsertSent,
                              {user_id, device_id, client_msg_id, event_id, request_hash}));
    return r.affected() == 1;
  }

  absl::StatusOr<bool> AdvanceReceipt(const std::string& room_id, const std::string& user_id,
                                      int64_t seq, absl::Time at) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kAdvanceReceipt, {room_id, user_id, seq, at}));
    return r.affected() == 1;
  }

  absl::Status InsertNotice(const std::string& user_id, const std::string& kind,
                            const std::optional<std::string>& room_id,
                            const std::optional<std::string>& other_user) override {
    return tx_.Exec(queries::kInsertNotice, {user_id, kind, room_id, other_user}).status();
  }

  absl::Status SetDirectReadOnly(const std::string& direct_key, bool read_only) override {
    return tx_.Exec(queries::kSetDirectReadOnly, {direct_key, read_only}).status();
  }

  absl::Status MoveDirectKey(const std::string& direct_key, const std::string& from_room,
                             const std::string& to_room) override {
    // In this order: the key is unique.
    ASSIGN_OR_RETURN(pg::Result off,
                     tx_.Exec(queries::kSwapDirectKey,
                              {from_room, direct_key, SupersededDirectKey(direct_key, from_room)}));
    ASSIGN_OR_RETURN(pg::Result on,
                     tx_.Exec(queries::kSwapDirectKey,
                              {to_room, SupersededDirectKey(direct_key, to_room), direct_key}));
    if (off.rows() == 0 || on.rows() == 0) {
      return absl::FailedPreconditionError("the pair's direct room was moved meanwhile");
    }
    return absl::OkStatus();
  }

  absl::Status AddUser(const std::string& user_id, const std::string& username) override {
    return tx_.Exec(queries::kAddUser, {user_id, username}).status();
  }

  absl::StatusOr<std::optional<std::string>> LocalUsername(const std::string& user_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kLocalUsername, {user_id}));
    if (r.rows() == 0) return std::nullopt;
    return r.GetString(0, 0);
  }

  absl::Status Enqueue(const bus::Event& event) override { return outbox_.Enqueue(tx_, event); }

  absl::Status InsertRelation(const RelationRow& row) override {
    absl::StatusOr<pg::Result> r = tx_.Exec(
        queries::kInsertRelation,
        {row.event_id, row.room_id, row.relates_to, row.rel_type, row.key, row.sender, row.seq});
    if (pg::IsUniqueViolation(r.status(), "relations_one_reaction")) {
      return absl::AlreadyExistsError("you already reacted with this key");
    }
    RETURN_IF_ERROR(r.status());
    // Serialized with redactions by the room's lock: none can slip in between.
    if (r->affected() == 0) return absl::AlreadyExistsError("the message was deleted");
    return absl::OkStatus();
  }

  absl::Status InsertRedaction(const std::string& redacts, const std::string& event_id,
                               const std::string& room_id, int64_t origin_server_ts) override {
    absl::Status status =
        tx_.Exec(queries::kInsertRedaction, {redacts, event_id, room_id, origin_server_ts})
            .status();
    if (pg::IsUniqueViolation(status, "redactions_pkey")) {
      return absl::AlreadyExistsError("the message is already deleted");
    }
    return status;
  }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PdusToRedact(
      const std::string& event_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kPdusToRedact, {event_id}));
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.GetString(i, 0), r.GetString(i, 1));
    return out;
  }

  absl::Status ReplaceRedacted(const std::string& event_id, const std::string& pdu) override {
    return tx_.Exec(queries::kReplaceRedacted, {event_id, pdu}).status();
  }

  absl::StatusOr<std::optional<RelatedTarget>> RelatedTargetOf(
      const std::string& event_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kRelatedTarget, {event_id}));
    if (r.rows() == 0) return std::nullopt;
    return RelatedTarget{r.GetString(0, 0), r.GetString(0, 1), r.GetString(0, 2), r.GetBool(0, 3),
                         r.GetBool(0, 4)};
  }

  absl::Status InsertRemoteRelation(const RelationRow& row) override {
    return tx_
        .Exec(queries::kInsertRemoteRelation, {row.event_id, row.room_id, row.relates_to,
                                               row.rel_type, row.key, row.sender, row.seq})
        .status();
  }

  absl::Status InsertRoomNotices(const std::string& room_id, const std::string& kind,
                                 const std::optional<std::string>& other_user) override {
    return tx_.Exec(queries::kInsertRoomNotices, {room_id, kind, other_user}).status();
  }

  absl::Status EnqueueOutgoingPdu(const std::string& room_id, const std::string& event_id,
                                  const std::vector<std::string>& destinations) override {
    if (destinations.empty()) return absl::OkStatus();
    return tx_.Exec(queries::kEnqueueOutgoingPdu, {room_id, event_id, TextArray(destinations)})
        .status();
  }

  absl::StatusOr<MemberProfile> ProfileOf(const std::string& user_id) override {
    ASSIGN_OR_RETURN(pg::Result r, tx_.Exec(queries::kProfileOf, {user_id}));
    MemberProfile profile;
    if (r.rows() == 0) return profile;
    if (!r.IsNull(0, 0)) profile.displayname = r.GetString(0, 0);
    if (!r.IsNull(0, 1)) profile.avatar_url = r.GetString(0, 1);
    return profile;
  }

  absl::StatusOr<std::vector<int64_t>> NewStateGroups(
      const std::string& room_id, int64_t prev_group,
      const std::vector<StateEntry>& changes) override {
    return pg_batches::NewStateGroups(tx_, room_id, prev_group, changes);
  }
  absl::Status InsertEvents(const std::vector<StoredEvent>& events) override {
    return pg_batches::InsertEvents(tx_, events);
  }
  absl::Status PutCurrentStates(const std::string& room_id,
                                const std::vector<StateEntry>& entries) override {
    return pg_batches::PutCurrentStates(tx_, room_id, entries);
  }
  absl::Status PutMemberships(const std::string& room_id,
                              const std::vector<MembershipRow>& changes) override {
    return pg_batches::PutMemberships(tx_, room_id, changes);
  }
  absl::Status EnqueueOutgoingPdus(
      const std::string& room_id,
      const std::vector<std::pair<std::string, std::vector<std::string>>>& pdus) override {
    return pg_batches::EnqueueOutgoingPdus(tx_, room_id, pdus);
  }
  absl::StatusOr<std::map<std::string, MemberProfile>> ProfilesOf(
      const std::vector<std::string>& user_ids) override {
    return pg_batches::ProfilesOf(tx_, user_ids);
  }
  absl::Status EnqueueAll(const std::vector<bus::Event>& events) override {
    return pg_batches::EnqueueAll(tx_, outbox_, events);
  }
  absl::Status InsertNotices(const std::vector<std::string>& user_ids, const std::string& kind,
                             const std::string& room_id,
                             const std::optional<std::string>& other_user) override {
    return pg_batches::InsertNotices(tx_, user_ids, kind, room_id, other_user);
  }
  absl::Status InsertRoomNoticesAbout(const std::string& room_id, const std::string& kind,
                                      const std::vector<std::string>& others) override {
    return pg_batches::InsertRoomNoticesAbout(tx_, room_id, kind, others);
  }

 private:
  struct Columns {
    std::string types, keys, ids;  // text[] literals
  };
  static Columns ColumnsOf(const std::vector<StateEntry>& entries) {
    std::vector<std::string> types, keys, ids;
    for (const StateEntry& e : entries) {
      types.push_back(e.type);
      keys.push_back(e.state_key);
      ids.push_back(e.event_id);
    }
    return {TextArray(types), TextArray(keys), TextArray(ids)};
  }
  absl::Status InsertStateEntries(int64_t group_id, const std::vector<StateEntry>& entries) {
    const Columns c = ColumnsOf(entries);
    return tx_.Exec(queries::kInsertStateEntries, {group_id, c.types, c.keys, c.ids}).status();
  }

  pg::Tx& tx_;
  const bus::Outbox& outbox_;
};

}  // namespace

absl::Status PgMessagingStore::Transaction(const std::function<absl::Status(MessagingTx&)>& fn) {
  return pool_.Transaction([&](pg::Tx& tx) {
    PgMessagingTx mtx(tx, outbox_);
    return fn(mtx);
  });
}

absl::StatusOr<bool> PgMessagingStore::AppendMessage(const FastMessage& m) {
  const StoredEvent& e = m.event;
  absl::StatusOr<pg::Result> result =
      pool_.Exec(queries::kAppendMessage,
                 {e.event_id, e.room_id, e.seq, e.sender, e.origin_server_ts, e.pdu, m.device_id,
                  m.client_msg_id, m.depth, m.at, m.outbox_event.id, m.outbox_event.type,
                  m.outbox_event.ToJson(), m.request_hash, TextArray(m.destinations)});
  // The one duplicate check: the idempotency key's primary key.
  if (pg::IsUniqueViolation(result.status(), "sent_messages_pkey")) {
    return absl::AlreadyExistsError("client_msg_id already used");
  }
  ASSIGN_OR_RETURN(pg::Result r, std::move(result));
  const bool appended = r.GetInt64(0, 0) == 1;
  if (appended) outbox_.Commit({m.outbox_event});
  return appended;
}

absl::StatusOr<std::vector<bool>> PgMessagingStore::AppendMessages(
    const std::vector<const FastMessage*>& messages) {
  constexpr int kColumns = 15;
  std::vector<std::vector<std::string>> columns(kColumns);
  for (const FastMessage* m : messages) {
    const StoredEvent& e = m->event;
    const std::string values[kColumns] = {e.event_id,
                                          e.room_id,
                                          std::to_string(e.seq),
                                          e.sender,
                                          std::to_string(e.origin_server_ts),
                                          e.pdu,
                                          m->device_id,
                                          m->client_msg_id,
                                          std::to_string(m->depth),
                                          *pg::Param(m->at).value(),
                                          m->outbox_event.id,
                                          m->outbox_event.type,
                                          m->outbox_event.ToJson(),
                                          m->request_hash,
                                          TextArray(m->destinations)};
    for (int c = 0; c < kColumns; ++c) columns[c].push_back(values[c]);
  }
  std::vector<pg::Param> params;
  for (const auto& column : columns) params.emplace_back(TextArray(column));
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kAppendMessages, params));
  std::set<std::string> appended;
  for (int i = 0; i < r.rows(); ++i) appended.insert(r.GetString(i, 0));
  std::vector<bool> out;
  std::vector<bus::Event> events;
  for (const FastMessage* m : messages) {
    out.push_back(appended.contains(m->event.event_id));
    if (out.back()) events.push_back(m->outbox_event);
  }
  outbox_.Commit(std::move(events));
  return out;
}

std::unique_ptr<MessagingTx> PgMessagingStore::Within(pg::Tx& tx) {
  return std::make_unique<PgMessagingTx>(tx, outbox_);
}

absl::StatusOr<std::map<std::string, std::string>> PgMessagingStore::Usernames(
    const std::vector<std::string>& user_ids) {
  std::map<std::string, std::string> out;
  if (user_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(queries::kUsernames, {"{" + absl::StrJoin(user_ids, ",") + "}"}));
  for (int i = 0; i < r.rows(); ++i) out[r.GetString(i, 0)] = r.GetString(i, 1);
  return out;
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>> PgMessagingStore::SigningKey() {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kSigningKey));
  if (r.rows() == 0) return std::nullopt;
  return std::make_pair(r.GetString(0, 0), r.GetBytes(0, 1));
}

absl::Status PgMessagingStore::SaveSigningKey(const std::string& key_id, const std::string& seed) {
  return pool_.Exec(queries::kSaveSigningKey, {key_id, pg::Param::Bytes(seed)}).status();
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> PgMessagingStore::StreamHorizon() {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kStreamHorizon));
  return std::make_pair(Xid(r, 0, 0), Xid(r, 0, 1));
}

absl::StatusOr<std::optional<SentRecord>> PgMessagingStore::FindSent(
    const std::string& user_id, const std::string& device_id, const std::string& client_msg_id) {
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(queries::kFindSent, {user_id, device_id, client_msg_id}));
  if (r.rows() == 0) return std::nullopt;
  SentRecord sent{MessageFrom(r, 0), std::nullopt};
  if (!r.IsNull(0, 6)) sent.request_hash = r.GetString(0, 6);
  return sent;
}

absl::StatusOr<std::optional<RoomRow>> PgMessagingStore::FindDirectRoom(
    const std::string& direct_key) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kFindDirectRoom, {direct_key}));
  if (r.rows() == 0) return std::nullopt;
  return RoomFrom(r, 0);
}

absl::StatusOr<std::optional<RoomRow>> PgMessagingStore::FindSupersededDirectRoom(
    const std::string& direct_key, const std::string& creator, const std::string& member) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kFindSupersededDirectRoom,
                                            {direct_key, creator, member}));
  if (r.rows() == 0) return std::nullopt;
  return RoomFrom(r, 0);
}

absl::StatusOr<std::optional<RoomRow>> PgMessagingStore::GetRoom(const std::string& room_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kGetRoom, {room_id}));
  if (r.rows() == 0) return std::nullopt;
  return RoomFrom(r, 0);
}

absl::StatusOr<std::vector<std::string>> PgMessagingStore::JoinedMembers(
    const std::string& room_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kJoinedMembers, {room_id}));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.GetString(i, 0));
  return out;
}

absl::StatusOr<std::optional<std::string>> PgMessagingStore::Membership(
    const std::string& room_id, const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kMembership, {room_id, user_id}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::optional<std::string>> PgMessagingStore::EventIdAt(const std::string& room_id,
                                                                    int64_t seq) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kEventIdAt, {room_id, seq}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::map<std::string, std::string>> PgMessagingStore::MembershipsOf(
    const std::string& room_id, const std::vector<std::string>& user_ids) {
  return pg_batches::MembershipsOf(pool_, room_id, user_ids);
}

absl::StatusOr<std::vector<MessageRow>> PgMessagingStore::Messages(const std::string& room_id,
                                                                   int64_t before_seq, int limit) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kMessages, {room_id, before_seq, limit}));
  std::vector<MessageRow> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(MessageFrom(r, i));
  return out;
}

absl::StatusOr<std::vector<ConversationRow>> PgMessagingStore::Conversations(
    const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kConversations, {user_id}));
  std::vector<ConversationRow> out;
  for (int i = 0; i < r.rows(); ++i) {
    ConversationRow row;
    row.room_id = r.GetString(i, 0);
    row.kind = r.GetString(i, 1);
    if (!r.IsNull(i, 2)) row.name = r.GetString(i, 2);
    row.read_only = r.GetBool(i, 3);
    if (!r.IsNull(i, 4)) {
      row.last_message = MessageRow{r.GetString(i, 4), row.room_id,       r.GetInt64(i, 5),
                                    r.GetString(i, 6), r.GetString(i, 7), r.GetInt64(i, 8)};
    }
    row.unread = r.GetInt64(i, 9);
    if (!r.IsNull(i, 10)) row.members = ParseTextArray(r.Get(i, 10));
    out.push_back(std::move(row));
  }
  return out;
}

absl::StatusOr<SyncPage> PgMessagingStore::SyncRows(const std::string& user_id, SyncKey since,
                                                    int limit) {
  SyncPage page;
  ASSIGN_OR_RETURN(page.rows, ReadSyncRows(user_id, since, kNoXidBound, limit, &page));
  RETURN_IF_ERROR(FinishPage(user_id, limit, page));
  return page;
}

absl::Status PgMessagingStore::FinishPage(const std::string& user_id, int limit, SyncPage& page) {
  // A transaction's rows for one user: at most one per room in a batch, or a
  // room's creation; this only bounds a runaway.
  constexpr int kMaxTransactionRows = 100'000;
  page.full = static_cast<int>(page.rows.size()) >= limit;
  if (page.full && page.rows.back().xid != 0) {
    // Finish the last transaction, so that the next token can be "below
    // the next xid" (it is below this read's horizon: its rows are final).
    const SyncKey last = page.rows.back().key();
    ASSIGN_OR_RETURN(std::vector<SyncRow> rest,
                     ReadSyncRows(user_id, last, last.xid + 1, kMaxTransactionRows, nullptr));
    for (SyncRow& row : rest) page.rows.push_back(std::move(row));
  }
  return absl::OkStatus();
}

namespace {

// Sync statements (single and batched): per send into a group of N, far
// fewer than N when the woken polls share reads.
metrics::Counter& SyncStatements() {
  static metrics::Counter& counter = metrics::Registry::Default().GetCounter(
      kSyncStatementsMetric, "Sync read statements (single or batched)");
  return counter;
}

// Message notes statements: per woken batch, not per poll.
metrics::Counter& MessageNotesStatements() {
  static metrics::Counter& counter = metrics::Registry::Default().GetCounter(
      kMessageNotesStatementsMetric, "Message notes statements (edits, deletes, reactions)");
  return counter;
}

// The sync statements run on their generic plan (generic_plan.h). Their
// custom plans take ~1-2 ms to make (four feed branches, each a join with
// several candidate indexes, and the horizon over pg_stat_activity) and
// 0.1-0.3 ms to run (the federation bench: 1.98 ms planning per call); the
// feed reads room by room so that the generic plan is a good one
// (MESSENGER_SYNC_ROOMS_BY_ROOM).

// A row of MESSENGER_SYNC_ROW_COLUMNS starting at `col`.
SyncRow SyncRowFrom(const pg::Result& r, int i, int col) {
  SyncRow row;
  row.xid = Xid(r, i, col);
  row.stream_pos = r.GetInt64(i, col + 1);
  row.kind = r.GetString(i, col + 2);
  if (!r.IsNull(i, col + 3)) row.room_id = r.GetString(i, col + 3);
  if (!r.IsNull(i, col + 5)) row.seq = r.GetInt64(i, col + 5);
  if (!r.IsNull(i, col + 6)) row.user_id = r.GetString(i, col + 6);
  if (row.kind == "message") {
    row.message = MessageRow{r.GetString(i, col + 4), row.room_id,           row.seq, row.user_id,
                             r.GetString(i, col + 7), r.GetInt64(i, col + 8)};
  }
  return row;
}

}  // namespace

// A reader in this many joined rooms or more reads its feed by key: room by
// room would cost a probe per room (bench/results/2026-12-01-sync-plan.md).
constexpr int64_t kByKeyFromRooms = 32;
constexpr absl::Duration kRoomCountKept = absl::Seconds(60);

absl::StatusOr<std::vector<bool>> PgMessagingStore::ReadsByKey(
    const std::vector<std::string>& user_ids) {
  std::vector<bool> out(user_ids.size());
  std::vector<std::string> unknown;
  std::vector<size_t> unknown_at;
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < user_ids.size(); ++i) {
    const auto count = joined_rooms_.Get(user_ids[i]);
    if (count && now < count->second) {
      out[i] = count->first >= kByKeyFromRooms;
    } else {
      unknown.push_back(user_ids[i]);
      unknown_at.push_back(i);
    }
  }
  if (unknown.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kJoinedRoomCounts, {TextArray(unknown)}));
  if (r.rows() != static_cast<int>(unknown.size())) {
    return absl::InternalError("joined room counts do not match the users");
  }
  for (size_t j = 0; j < unknown.size(); ++j) {
    const int64_t count = r.GetInt64(static_cast<int>(j), 0);
    joined_rooms_.Put(unknown[j], {count, now + kRoomCountKept});
    out[unknown_at[j]] = count >= kByKeyFromRooms;
  }
  return out;
}

absl::StatusOr<std::vector<SyncRow>> PgMessagingStore::ReadSyncRows(const std::string& user_id,
                                                                    SyncKey since, uint64_t below,
                                                                    int limit, SyncPage* horizon) {
  ASSIGN_OR_RETURN(const std::vector<bool> by_key, ReadsByKey({user_id}));
  const std::vector<pg::Param> params = {user_id, std::to_string(since.xid), since.pos, limit,
                                         std::to_string(below)};
  SyncStatements().Inc();
  ASSIGN_OR_RETURN(pg::Result r, by_key[0] ? pool_.Exec(queries::kSyncRowsByKey, params)
                                           : ExecOnGenericPlan(pool_, queries::kSyncRows, params));
  std::vector<SyncRow> out;
  for (int i = 0; i < r.rows(); ++i) {
    if (horizon != nullptr && i == 0) {
      horizon->horizon = Xid(r, 0, 0);
      horizon->xmax = Xid(r, 0, 1);
    }
    if (r.IsNull(i, 2)) continue;  // no rows: only the horizon
    out.push_back(SyncRowFrom(r, i, 2));
  }
  return out;
}

absl::StatusOr<std::vector<SyncPage>> PgMessagingStore::SyncRowsMany(
    const std::vector<SyncRequest>& requests, int limit) {
  std::vector<SyncPage> pages(requests.size());
  if (requests.empty()) return pages;
  std::vector<std::string> all_users;
  for (const SyncRequest& request : requests) all_users.push_back(request.user_id);
  ASSIGN_OR_RETURN(const std::vector<bool> by_key, ReadsByKey(all_users));
  // One statement for the readers of each reading (most batches: one).
  for (const bool key : {false, true}) {
    std::vector<size_t> part;  // indexes into requests
    std::vector<std::string> users, xids, positions;
    for (size_t k = 0; k < requests.size(); ++k) {
      if (by_key[k] != key) continue;
      part.push_back(k);
      users.push_back(requests[k].user_id);
      xids.push_back(std::to_string(requests[k].since.xid));
      positions.push_back(std::to_string(requests[k].since.pos));
    }
    if (part.empty()) continue;
    const std::vector<pg::Param> params = {TextArray(users), TextArray(xids),
                                           TextArray(positions), limit};
    SyncStatements().Inc();
    ASSIGN_OR_RETURN(pg::Result r,
                     key ? pool_.Exec(queries::kSyncRowsManyByKey, params)
                         : ExecOnGenericPlan(pool_, queries::kSyncRowsMany, params));
    for (int i = 0; i < r.rows(); ++i) {
      const int64_t index = r.GetInt64(i, 2) - 1;
      if (index < 0 || index >= static_cast<int64_t>(part.size())) {
        return absl::InternalError("sync read answered an unknown request");
      }
      SyncPage& page = pages[part[index]];
      page.horizon = Xid(r, i, 0);
      page.xmax = Xid(r, i, 1);
      if (!r.IsNull(i, 3)) page.rows.push_back(SyncRowFrom(r, i, 3));
    }
  }
  for (size_t k = 0; k < pages.size(); ++k) {
    RETURN_IF_ERROR(FinishPage(requests[k].user_id, limit, pages[k]));
  }
  return pages;
}

absl::StatusOr<std::optional<int64_t>> PgMessagingStore::StateGroupOf(
    const std::string& event_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kEventStateGroup, {event_id}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetInt64(0, 0);
}

absl::StatusOr<std::vector<StateEntry>> PgMessagingStore::StateAfter(const std::string& event_id) {
  ASSIGN_OR_RETURN(std::optional<int64_t> group, StateGroupOf(event_id));
  if (!group) return absl::NotFoundError("no such event");
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kStateGroupChain, {*group}));
  std::vector<StateEntry> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2)});
  return out;
}

absl::StatusOr<std::optional<TargetFacts>> PgMessagingStore::FindTarget(
    const std::string& event_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kFindTarget, {event_id}));
  if (r.rows() == 0) return std::nullopt;
  return TargetFacts{r.GetString(0, 0), r.GetString(0, 1), r.GetString(0, 2),
                     r.GetInt64(0, 3),  r.GetBool(0, 4),   r.GetBool(0, 5)};
}

absl::StatusOr<std::optional<std::string>> PgMessagingStore::FindReaction(
    const std::string& target, const std::string& key, const std::string& sender) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kFindReaction, {target, key, sender}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::optional<std::string>> PgMessagingStore::PowerLevelsPdu(
    const std::string& room_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kPowerLevelsPdu, {room_id}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::StatusOr<std::map<std::string, MessageNotes>> PgMessagingStore::MessageNotesOf(
    const std::string& viewer, const std::vector<std::string>& event_ids) {
  ASSIGN_OR_RETURN(SharedNotes shared, MessageNotesMany({viewer}, event_ids));
  return shared.For(text::ToLowerAscii(viewer));
}

absl::StatusOr<std::map<std::string, RelatedEvent>> PgMessagingStore::RelatedEvents(
    const std::vector<std::string>& event_ids) {
  std::map<std::string, RelatedEvent> out;
  if (event_ids.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kRelatedEvents, {TextArray(event_ids)}));
  for (int i = 0; i < r.rows(); ++i) {
    out[r.GetString(i, 0)] = RelatedEvent{r.GetString(i, 1), MessageFrom(r, i, 2)};
  }
  return out;
}

absl::StatusOr<std::optional<std::vector<MessageReceipt>>> PgMessagingStore::MessageReceipts(
    const std::string& room_id, const std::string& event_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kMessageReceipts, {room_id, event_id}));
  if (r.rows() == 0 || r.IsNull(0, 2)) return std::nullopt;  // row 0: the message
  std::vector<MessageReceipt> out;
  for (int i = 1; i < r.rows(); ++i) {
    out.push_back({r.GetString(i, 0), r.GetTime(i, 1), r.GetInt64(i, 2)});
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> PgMessagingStore::JoinedRoomIds(
    const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kJoinedRoomIds, {user_id}));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.GetString(i, 0));
  return out;
}

absl::StatusOr<std::optional<MembershipAt>> PgMessagingStore::FindMembership(
    const std::string& room_id, const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kFindMembership, {room_id, user_id}));
  if (r.rows() == 0) return std::nullopt;
  return MembershipAt{r.GetString(0, 0), r.GetInt64(0, 1)};
}

absl::StatusOr<std::vector<ConversationRow>> PgMessagingStore::LeftConversations(
    const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kLeftConversations, {user_id}));
  std::vector<ConversationRow> out;
  for (int i = 0; i < r.rows(); ++i) {
    ConversationRow row;
    row.room_id = r.GetString(i, 0);
    row.kind = "group";
    if (!r.IsNull(i, 1)) row.name = r.GetString(i, 1);
    row.read_only = true;
    row.left = true;
    if (!r.IsNull(i, 2)) row.last_message = MessageFrom(r, i, 2);
    out.push_back(std::move(row));
  }
  return out;
}

absl::StatusOr<SharedNotes> PgMessagingStore::MessageNotesMany(
    const std::vector<std::string>& viewers, const std::vector<std::string>& event_ids) {
  SharedNotes out;
  if (event_ids.empty()) return out;
  MessageNotesStatements().Inc();
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(queries::kMessageNotes, {TextArray(event_ids), TextArray(viewers)}));
  for (int i = 0; i < r.rows(); ++i) {
    const std::string kind = r.GetString(i, 0);
    const std::string message = r.GetString(i, 1);
    if (kind == "mine") {
      out.reacted.insert({message, r.GetString(i, 2), r.GetString(i, 5)});
      continue;
    }
    MessageNotes& notes = out.notes[message];
    if (kind == "edit") {
      notes.edited_text = EditedTextOf(r.GetString(i, 2));
      notes.edited_at_ms = r.GetInt64(i, 3);
    } else if (kind == "deleted") {
      notes.deleted = true;
    } else {
      notes.reactions.push_back({r.GetString(i, 2), r.GetInt64(i, 4), false});
    }
  }
  return out;
}

std::map<std::string, MessageNotes> SharedNotes::For(const std::string& viewer) const {
  std::map<std::string, MessageNotes> out = notes;
  for (auto& [message, n] : out) {
    for (ReactionCount& r : n.reactions) r.me = reacted.contains({message, r.key, viewer});
  }
  return out;
}

}  // namespace messenger::messaging
