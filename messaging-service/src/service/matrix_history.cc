// Matrix room history (/messages, /context), receipts and sync filters.
#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix_sync_token.h"
#include "messaging-service/src/service/matrix_sync.h"

namespace messenger::messaging {
namespace {

absl::StatusOr<SyncFilter> RoomEventFilter(const std::string& filter) {
  if (filter.empty()) return SyncFilter{};
  if (filter.size() > kMaxFilterBytes) return absl::InvalidArgumentError("the filter is too large");
  nlohmann::json json = nlohmann::json::parse(filter, nullptr, false);
  if (json.is_discarded()) return absl::InvalidArgumentError("the filter is not JSON");
  return ParseRoomEventFilter(json);
}

void ApplyTypes(const SyncFilter& filter, EventRange& range) {
  range.like_types = filter.timeline.LikeTypes();
  range.like_not_types = filter.timeline.LikeNotTypes();
}

}  // namespace

absl::StatusOr<std::string> MatrixSync::PutFilter(const std::string& user_id,
                                                  const std::string& json) {
  ASSIGN_OR_RETURN(const std::string user, SyncUserId(user_id));
  if (json.size() > kMaxFilterBytes) {
    return absl::InvalidArgumentError("a filter is at most 8 KiB of JSON");
  }
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded()) return absl::InvalidArgumentError("the filter is not JSON");
  RETURN_IF_ERROR(ParseSyncFilter(parsed).status());
  ASSIGN_OR_RETURN(const int64_t id, store_.PutFilter(user, parsed.dump(), kMaxFiltersPerUser));
  return std::to_string(id);
}

absl::StatusOr<std::string> MatrixSync::GetFilter(const std::string& user_id,
                                                  const std::string& filter_id) {
  ASSIGN_OR_RETURN(const std::string user, SyncUserId(user_id));
  int64_t id = 0;
  if (filter_id.empty() || filter_id.size() > 18 ||
      filter_id.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(filter_id, &id)) {
    return absl::NotFoundError("no such filter");
  }
  const std::string key = absl::StrCat(user, "/", id);
  if (std::optional<std::string> cached = filters_.Get(key)) return *std::move(cached);
  ASSIGN_OR_RETURN(std::optional<std::string> json, store_.GetFilter(user, id));
  if (!json) return absl::NotFoundError("no such filter");
  filters_.Put(key, *json);
  return *json;
}

absl::StatusOr<int64_t> MatrixSync::ReadableBefore(const std::string& user,
                                                   const std::string& room_id) {
  ASSIGN_OR_RETURN(std::vector<UserRoom> rooms,
                   store_.UserRooms(user, std::vector<std::string>{room_id}));
  if (rooms.empty() || rooms.front().membership == "invite") {
    return absl::PermissionDeniedError("you are not a member of this room");
  }
  // A former member reads up to (and with) their leave.
  return rooms.front().membership == "join" ? 0 : rooms.front().seq + 1;
}

absl::Status MatrixSync::ApplyPageTokens(const std::string& from, const std::string& to,
                                         EventRange& range) {
  const int64_t bound = range.before_seq;
  // `from`: a room token, or a sync token (its stream key, going forward;
  // the newest events going back).
  if (!from.empty()) {
    if (from.front() == 'm') {
      ASSIGN_OR_RETURN(MatrixSyncToken token, DecodeMatrixSyncToken(from));
      if (range.forward) range.after_key = FromWire(token.stream);
    } else {
      ASSIGN_OR_RETURN(const int64_t seq, DecodeRoomToken(from));
      if (range.forward) {
        range.after_seq = seq - 1;
      } else {
        range.before_seq = bound == 0 ? seq : std::min(seq, bound);
      }
    }
  }
  if (!to.empty()) {
    ASSIGN_OR_RETURN(const int64_t seq, DecodeRoomToken(to));
    if (range.forward) {
      range.before_seq = range.before_seq == 0 ? seq : std::min(range.before_seq, seq);
    } else {
      range.after_seq = std::max(range.after_seq, seq - 1);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SyncedEvent>> MatrixSync::StateAt(const std::string& user_id,
                                                             const std::string& room_id,
                                                             const std::string& at) {
  ASSIGN_OR_RETURN(const std::string user, SyncUserId(user_id));
  ASSIGN_OR_RETURN(const int64_t bound, ReadableBefore(user, room_id));
  int64_t before_seq = 0;  // no bound: the current state
  if (!at.empty() && at.front() == 'm') {
    // What that sync saw: everything before the room's first event after it.
    ASSIGN_OR_RETURN(MatrixSyncToken token, DecodeMatrixSyncToken(at));
    EventRange next{room_id};
    next.forward = true;
    next.after_key = FromWire(token.stream);
    next.limit = 1;
    ASSIGN_OR_RETURN(std::vector<SyncedEvent> after, store_.Events(next));
    if (!after.empty()) before_seq = after.front().seq;
  } else {
    ASSIGN_OR_RETURN(before_seq, DecodeRoomToken(at));
  }
  if (bound != 0) before_seq = before_seq == 0 ? bound : std::min(before_seq, bound);
  return store_.StateAt(room_id, before_seq);
}

absl::StatusOr<MatrixMessagesPage> MatrixSync::Messages(const MatrixMessagesRequest& in) {
  ASSIGN_OR_RETURN(const std::string user, SyncUserId(in.user_id));
  if (in.limit < 1) return absl::InvalidArgumentError("limit must be positive");
  ASSIGN_OR_RETURN(SyncFilter filter, RoomEventFilter(in.filter));
  ASSIGN_OR_RETURN(const int64_t bound, ReadableBefore(user, in.room_id));
  EventRange range{in.room_id};
  range.forward = in.forward;
  range.before_seq = bound;
  range.limit = std::min(in.limit, kMaxTimelineLimit);
  ApplyTypes(filter, range);
  RETURN_IF_ERROR(ApplyPageTokens(in.from, in.to, range));
  MatrixMessagesPage page;
  ASSIGN_OR_RETURN(page.chunk, store_.Events(range));
  if (!in.from.empty()) {
    page.start = in.from;
  } else if (in.forward || page.chunk.empty()) {
    page.start = EncodeRoomToken(1);
  } else {
    page.start = EncodeRoomToken(page.chunk.front().seq + 1);
  }
  if (static_cast<int>(page.chunk.size()) == range.limit) {
    page.end = EncodeRoomToken(in.forward ? page.chunk.back().seq + 1 : page.chunk.back().seq);
  }
  std::vector<SyncedEvent*> shown;
  for (SyncedEvent& e : page.chunk) shown.push_back(&e);
  RETURN_IF_ERROR(BundleReplacements(shown));
  return page;
}

absl::StatusOr<MatrixContext> MatrixSync::Context(const std::string& user_id,
                                                  const std::string& room_id,
                                                  const std::string& event_id, int limit,
                                                  const std::string& filter_json) {
  ASSIGN_OR_RETURN(const std::string user, SyncUserId(user_id));
  if (limit < 0) return absl::InvalidArgumentError("limit must not be negative");
  limit = std::min(limit, kMaxTimelineLimit);
  ASSIGN_OR_RETURN(SyncFilter filter, RoomEventFilter(filter_json));
  ASSIGN_OR_RETURN(const int64_t bound, ReadableBefore(user, room_id));
  ASSIGN_OR_RETURN(std::optional<SyncedEvent> event, store_.Event(event_id));
  if (!event || event->room_id != room_id || (bound != 0 && event->seq >= bound)) {
    return absl::NotFoundError("no such event in this room");
  }
  MatrixContext out;
  out.event = std::move(*event);
  EventRange before{room_id};
  before.before_seq = out.event.seq;
  before.limit = limit / 2;
  ApplyTypes(filter, before);
  if (before.limit > 0) {
    ASSIGN_OR_RETURN(out.before, store_.Events(before));
  }
  EventRange after{room_id};
  after.forward = true;
  after.after_seq = out.event.seq;
  after.before_seq = bound;
  after.limit = limit - limit / 2;
  ApplyTypes(filter, after);
  if (after.limit > 0) {
    ASSIGN_OR_RETURN(out.after, store_.Events(after));
  }
  out.start = EncodeRoomToken(out.before.empty() ? out.event.seq : out.before.back().seq);
  out.end = EncodeRoomToken((out.after.empty() ? out.event.seq : out.after.back().seq) + 1);
  // The room's state with the member events of the senders shown only.
  ASSIGN_OR_RETURN(std::vector<SyncedEvent> state, store_.CurrentState({room_id}));
  const std::vector<SyncedEvent> self = {out.event};
  ASSIGN_OR_RETURN(std::set<std::string> senders,
                   SenderIds({&self, &out.before, &out.after}, user));
  for (SyncedEvent& e : state) {
    if (e.type == "m.room.member" && senders.count(e.state_key.value_or("")) == 0) continue;
    out.state.push_back(std::move(e));
  }
  std::vector<SyncedEvent*> shown = {&out.event};
  for (SyncedEvent& e : out.before) shown.push_back(&e);
  for (SyncedEvent& e : out.after) shown.push_back(&e);
  RETURN_IF_ERROR(BundleReplacements(shown));
  return out;
}

absl::StatusOr<SyncedEvent> MatrixSync::ReceiptTarget(const std::string& user_id,
                                                      const std::string& room_id,
                                                      const std::string& type,
                                                      const std::string& event_id) {
  ASSIGN_OR_RETURN(const std::string user, SyncUserId(user_id));
  if (type != "m.read" && type != "m.read.private" && type != "m.fully_read") {
    return absl::InvalidArgumentError(
        "receipt type must be m.read, m.read.private or m.fully_read");
  }
  ASSIGN_OR_RETURN(const int64_t bound, ReadableBefore(user, room_id));
  if (bound != 0) return absl::PermissionDeniedError("you are not a member of this room");
  ASSIGN_OR_RETURN(std::optional<SyncedEvent> event, store_.Event(event_id));
  if (!event || event->room_id != room_id) {
    return absl::NotFoundError("no such event in this room");
  }
  return std::move(*event);
}

}  // namespace messenger::messaging
