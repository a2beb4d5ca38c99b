// Reads and rows of the Matrix client room writes (issue 14) that the
// messaging store does not have: one event by id, the redaction of an event,
// and forgotten rooms (V041).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/pg/pg.h"

namespace messenger::messaging {

struct EventRecord {
  std::string event_id;
  std::string room_id;
  int64_t seq = 0;
  std::string type;
  std::string pdu;  // JSON text (redacted form once redacted)
};

class MatrixWriteStore {
 public:
  virtual ~MatrixWriteStore() = default;
  virtual absl::StatusOr<std::optional<EventRecord>> FindEvent(const std::string& event_id) = 0;
  // The m.room.redaction event that redacted `event_id`, if any.
  virtual absl::StatusOr<std::optional<std::string>> RedactionOf(const std::string& event_id) = 0;
  // Inside a room write's transaction: marks the room forgotten (true) for
  // the user, or clears the mark (false).
  virtual absl::Status SetForgotten(pg::Tx& tx, const std::string& room_id,
                                    const std::string& user_id, bool forgotten) = 0;
  virtual absl::Status Forget(const std::string& room_id, const std::string& user_id) = 0;
};

class PgMatrixWriteStore final : public MatrixWriteStore {
 public:
  explicit PgMatrixWriteStore(pg::Pool& pool) : pool_(pool) {}
  absl::StatusOr<std::optional<EventRecord>> FindEvent(const std::string& event_id) override;
  absl::StatusOr<std::optional<std::string>> RedactionOf(const std::string& event_id) override;
  absl::Status SetForgotten(pg::Tx& tx, const std::string& room_id, const std::string& user_id,
                            bool forgotten) override;
  absl::Status Forget(const std::string& room_id, const std::string& user_id) override;

 private:
  pg::Pool& pool_;
};

}  // namespace messenger::messaging
