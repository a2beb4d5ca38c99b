// Tokens of the Matrix sync and room pagination, opaque to clients.
//
// next_batch: "m<stream>.<typing>[.<section>-<cursor>...]": the sync
// stream's wire key (sync_position.h: valid on every replica and after
// restarts), the typing cursor and each UserSyncSection's cursor by name.
// Room tokens (prev_batch, /messages start/end): "r<seq>", the place in the
// room before the event with that seq.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace messenger::messaging {

struct MatrixSyncToken {
  int64_t stream = 0;  // ToWire of the stream key
  uint64_t typing = 0;
  std::map<std::string, int64_t, std::less<>> sections;  // name -> cursor
};

// Section names are [a-z0-9_]; others are refused (INVALID_ARGUMENT).
absl::StatusOr<std::string> EncodeMatrixSyncToken(const MatrixSyncToken& token);
// INVALID_ARGUMENT for anything this server did not give out.
absl::StatusOr<MatrixSyncToken> DecodeMatrixSyncToken(std::string_view text);

// One section's cursor in a next_batch token (0 when the token has none),
// for APIs that take sync tokens (GET /keys/changes); INVALID_ARGUMENT
// otherwise.
absl::StatusOr<int64_t> SectionCursor(std::string_view token, std::string_view section);

std::string EncodeRoomToken(int64_t seq);
// The seq of a room token; INVALID_ARGUMENT when it is not one.
absl::StatusOr<int64_t> DecodeRoomToken(std::string_view text);

}  // namespace messenger::messaging
