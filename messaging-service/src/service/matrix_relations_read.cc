// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]: the
// edits and reactions of an event, paginated like /messages and visible as
// its history is (a former member: up to the leave).
#include <algorithm>

#include "common/status.h"
#include "messaging-service/src/domain/matrix_sync_token.h"
#include "messaging-service/src/service/matrix_sync.h"

namespace messenger::messaging {

absl::StatusOr<MatrixRelationsPage> MatrixSync::Relations(const MatrixRelationsRequest& in) {
  ASSIGN_OR_RETURN(const std::string user, SyncUserId(in.user_id));
  if (in.limit < 1) return absl::InvalidArgumentError("limit must be positive");
  // The spec answers 404 alike for an unknown event and one the user may not
  // read, so that neither tells whether it exists.
  absl::StatusOr<int64_t> bound = ReadableBefore(user, in.room_id);
  if (absl::IsPermissionDenied(bound.status())) {
    return absl::NotFoundError("no such event in a room of yours");
  }
  RETURN_IF_ERROR(bound.status());
  ASSIGN_OR_RETURN(std::optional<SyncedEvent> parent, store_.Event(in.event_id));
  if (!parent || parent->room_id != in.room_id || (*bound != 0 && parent->seq >= *bound)) {
    return absl::NotFoundError("no such event in a room of yours");
  }
  RelationRange range;
  range.events.room_id = in.room_id;
  range.events.forward = in.forward;
  range.events.before_seq = *bound;
  range.events.limit = std::min(in.limit, kMaxTimelineLimit);
  range.relates_to = in.event_id;
  range.rel_type = in.rel_type;
  range.event_type = in.event_type;
  RETURN_IF_ERROR(ApplyPageTokens(in.from, in.to, range.events));
  MatrixRelationsPage page;
  ASSIGN_OR_RETURN(page.chunk, store_.Relations(range));
  page.prev_batch = in.from;
  if (static_cast<int>(page.chunk.size()) == range.events.limit) {
    page.next_batch =
        EncodeRoomToken(in.forward ? page.chunk.back().seq + 1 : page.chunk.back().seq);
  }
  return page;
}

}  // namespace messenger::messaging
