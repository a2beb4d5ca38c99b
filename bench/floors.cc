#include "bench/floors.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/crypto.h"
#include "common/status.h"
#include "messaging-service/src/storage/queries.h"

namespace messenger::bench {

namespace {

constexpr const char* kSchema = "bench_floor";

// What the outbox relay runs once the bus acknowledged the events.
constexpr pg::Query kDeleteOutbox{
    "bench_delete_outbox", "DELETE FROM outbox WHERE event_id = ANY($1::uuid[]) RETURNING seq"};

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    out += "\"";
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += "\"";
  }
  return out + "}";
}

// Parameter order of kAppendMessage / kAppendMessages (14 columns; the
// stream position and xid are column defaults).
enum Column {
  kEventId,
  kRoomId,
  kSeq,
  kSender,
  kTs,
  kPdu,
  kDevice,
  kClientMsgId,
  kDepth,
  kAt,
  kOutboxId,
  kSubject,
  kPayload,
  kRequestHash,
  kColumns
};

}  // namespace

struct Floors::Room {
  std::mutex mutex;  // one writer per room at a time, as in the server
  std::string room_id;
  int64_t last_seq = 0;
  int64_t depth = 0;
};

absl::StatusOr<std::unique_ptr<Floors>> Floors::Create(const Context& c) {
  auto floors = std::unique_ptr<Floors>(new Floors(c));
  ASSIGN_OR_RETURN(floors->admin_, pg::Pool::Create({.dsn = c.dsn, .size = 1}));
  RETURN_IF_ERROR(floors->admin_->WithConnection([&](pg::Conn& conn) {
    return conn.ExecScript(absl::StrCat(
        "DROP SCHEMA IF EXISTS ", kSchema, " CASCADE; CREATE SCHEMA ", kSchema, ";",
        "CREATE TABLE ", kSchema, ".rooms (LIKE messaging.rooms INCLUDING ALL);", "CREATE TABLE ",
        kSchema, ".events (LIKE messaging.events INCLUDING ALL);", "ALTER TABLE ", kSchema,
        ".events ADD FOREIGN KEY (room_id) REFERENCES ", kSchema, ".rooms;", "CREATE TABLE ",
        kSchema, ".sent_messages (LIKE messaging.sent_messages INCLUDING ALL);", "CREATE TABLE ",
        kSchema, ".outbox (LIKE messaging.outbox INCLUDING ALL);", "INSERT INTO ", kSchema,
        ".rooms SELECT * FROM messaging.rooms;"));
  }));
  static constexpr pg::Query kRooms{"bench_floor_rooms",
                                    "SELECT room_id, last_seq, depth FROM bench_floor.rooms "
                                    "ORDER BY room_id"};
  static constexpr pg::Query kPdu{
      "bench_floor_pdu",
      "SELECT pdu, sender FROM messaging.events WHERE type = 'm.room.message' "
      "ORDER BY stream_pos DESC LIMIT 1"};
  ASSIGN_OR_RETURN(pg::Result rooms, floors->admin_->Exec(kRooms));
  for (int i = 0; i < rooms.rows(); ++i) {
    auto room = std::make_unique<Room>();
    room->room_id = rooms.GetString(i, 0);
    room->last_seq = rooms.GetInt64(i, 1);
    room->depth = rooms.GetInt64(i, 2);
    floors->rooms_.push_back(std::move(room));
  }
  ASSIGN_OR_RETURN(pg::Result pdu, floors->admin_->Exec(kPdu));
  if (pdu.rows() == 0 || floors->rooms_.empty()) {
    return absl::FailedPreconditionError("no message sent yet: no PDU or room to copy");
  }
  floors->pdu_ = pdu.GetString(0, 0);
  floors->sender_ = pdu.GetString(0, 1);
  // The size and shape of a message.sent outbox payload.
  floors->payload_ = nlohmann::json{{"message_id", "$" + std::string(43, 'x')},
                                    {"conversation_id", floors->rooms_[0]->room_id},
                                    {"sender_id", floors->sender_},
                                    {"seq", 12345},
                                    {"recipients", {floors->sender_, floors->sender_}},
                                    {"sent_at", "2026-11-30T00:00:00.000000Z"}}
                         .dump();
  return floors;
}

Floors::Floors(const Context& c) : c_(c) {}

Floors::~Floors() {
  (void)admin_->WithConnection([](pg::Conn& conn) {
    return conn.ExecScript(absl::StrCat("DROP SCHEMA IF EXISTS ", kSchema, " CASCADE"));
  });
}

std::vector<std::string> Floors::NextMessage(Room& room) {
  const int64_t n = ++counter_;
  std::vector<std::string> v(kColumns);
  v[kEventId] = absl::StrCat("$floor", c_.prefix, "-", n);
  v[kRoomId] = room.room_id;
  v[kSeq] = std::to_string(++room.last_seq);
  v[kSender] = sender_;
  v[kTs] = std::to_string(absl::ToUnixMillis(absl::Now()));
  v[kPdu] = pdu_;
  v[kDevice] = "bench";
  v[kClientMsgId] = c_.ClientId("floor", n);
  v[kDepth] = std::to_string(++room.depth);
  v[kAt] = *pg::Param(absl::Now()).value();
  v[kOutboxId] = NewUuid(SecureRng::Instance());
  v[kSubject] = "message.sent";
  v[kPayload] = payload_;
  v[kRequestHash] = std::string(64, 'a');
  return v;
}

LoadResult Floors::PerMessage(int threads) {
  auto pool = pg::Pool::Create({.dsn = c_.dsn, .size = c_.server_pool, .schema = kSchema});
  if (!pool.ok()) return {};
  std::vector<std::string> previous(threads);  // each caller's last outbox row
  return RunClosedLoop(threads, c_.duration, [&](int t) {
    Room& room = *rooms_[(t + counter_.load()) % rooms_.size()];
    std::lock_guard lock(room.mutex);
    const std::vector<std::string> v = NextMessage(room);
    std::vector<pg::Param> params(v.begin(), v.end());
    const absl::Status written = (*pool)->Transaction([&](pg::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(pg::Result r, tx.Exec(messaging::queries::kAppendMessage, params));
      if (r.GetInt64(0, 0) != 1) return absl::AbortedError("room not at seq - 1");
      if (!previous[t].empty()) {
        RETURN_IF_ERROR(tx.Exec(kDeleteOutbox, {TextArray({previous[t]})}).status());
      }
      return absl::OkStatus();
    });
    if (!written.ok()) {
      --room.last_seq;  // nothing was written
      --room.depth;
      return false;
    }
    previous[t] = v[kOutboxId];
    return true;
  });
}

LoadResult Floors::Batched(int writers, int batch) {
  auto pool = pg::Pool::Create({.dsn = c_.dsn, .size = writers, .schema = kSchema});
  if (!pool.ok()) return {};
  // Writer w takes rooms w, w + writers, ...: at most one message per room
  // in a statement, and no two writers on one room.
  const int per_writer = static_cast<int>(rooms_.size()) / writers;
  batch = std::max(1, std::min(batch, per_writer));
  std::vector<std::vector<std::string>> previous(writers);
  std::vector<int64_t> turn(writers, 0);
  LoadResult r = RunClosedLoop(writers, c_.duration, [&](int w) {
    std::vector<std::vector<std::string>> columns(kColumns);
    std::vector<Room*> used;
    for (int i = 0; i < batch; ++i) {
      const int64_t slot = (turn[w]++ % per_writer);
      Room& room = *rooms_[slot * writers + w];
      used.push_back(&room);
      std::vector<std::string> v = NextMessage(room);
      for (int k = 0; k < kColumns; ++k) columns[k].push_back(std::move(v[k]));
    }
    std::vector<pg::Param> params;
    for (const auto& column : columns) params.emplace_back(TextArray(column));
    const absl::Status written = (*pool)->Transaction([&](pg::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(pg::Result r, tx.Exec(messaging::queries::kAppendMessages, params));
      if (r.rows() != batch) return absl::AbortedError("a room was not at seq - 1");
      if (!previous[w].empty()) {
        RETURN_IF_ERROR(tx.Exec(kDeleteOutbox, {TextArray(previous[w])}).status());
      }
      return absl::OkStatus();
    });
    if (!written.ok()) {
      for (Room* room : used) --room->last_seq, --room->depth;
      return false;
    }
    previous[w] = columns[kOutboxId];
    return true;
  });
  // Per message: each batch carried `batch` messages.
  r.ok *= batch;
  r.errors *= batch;
  r.throughput *= batch;
  return r;
}

}  // namespace messenger::bench
