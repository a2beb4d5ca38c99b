#include "common/status.h"
#include "messaging-service/src/storage/matrix_write_store.h"

namespace messenger::messaging {
namespace {

constexpr pg::Query kFindEvent{
    "mxw_find_event", "SELECT event_id, room_id, seq, type, pdu FROM events WHERE event_id = $1"};
constexpr pg::Query kRedactionOf{"mxw_redaction_of",
                                 "SELECT event_id FROM redactions WHERE redacts = $1"};
constexpr pg::Query kForget{
    "mxw_forget",
    "INSERT INTO matrix_forgotten_rooms (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"};
constexpr pg::Query kUnforget{"mxw_unforget",
                              "DELETE FROM matrix_forgotten_rooms WHERE room_id = $1 AND user_id = $2"};

}  // namespace

absl::StatusOr<std::optional<EventRecord>> PgMatrixWriteStore::FindEvent(
    const std::string& event_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kFindEvent, {event_id}));
  if (r.rows() == 0) return std::nullopt;
  return EventRecord{r.GetString(0, 0), r.GetString(0, 1), r.GetInt64(0, 2), r.GetString(0, 3),
                     r.GetString(0, 4)};
}

absl::StatusOr<std::optional<std::string>> PgMatrixWriteStore::RedactionOf(
    const std::string& event_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kRedactionOf, {event_id}));
  if (r.rows() == 0) return std::nullopt;
  return r.GetString(0, 0);
}

absl::Status PgMatrixWriteStore::SetForgotten(pg::Tx& tx, const std::string& room_id,
                                              const std::string& user_id, bool forgotten) {
  return tx.Exec(forgotten ? kForget : kUnforget, {room_id, user_id}).status();
}

absl::Status PgMatrixWriteStore::Forget(const std::string& room_id, const std::string& user_id) {
  return pool_.Exec(kForget, {room_id, user_id}).status();
}

}  // namespace messenger::messaging
