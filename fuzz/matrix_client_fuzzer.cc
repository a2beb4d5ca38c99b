// What a Matrix client sends that messaging parses itself: the /sync `since`
// token, sync filters, push rules and the E2EE request bodies. The first
// byte picks the parser, the rest is its input. Each answers a value or
// INVALID_ARGUMENT (push rules may also say NOT_FOUND/OUT_OF_RANGE), never
// a crash; a token that decodes encodes back to the same token.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "messaging-service/src/domain/e2ee_requests.h"
#include "messaging-service/src/domain/matrix_filter.h"
#include "messaging-service/src/domain/matrix_sync_token.h"
#include "messaging-service/src/domain/push_rules.h"

namespace {

namespace m = messenger::messaging;

// A refusal must be a client error.
void CheckRefusal(const absl::Status& status) {
  if (status.ok()) return;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kNotFound:
      return;
    default:
      std::abort();
  }
}

void SyncToken(const std::string& text) {
  absl::StatusOr<m::MatrixSyncToken> token = m::DecodeMatrixSyncToken(text);
  CheckRefusal(token.status());
  if (!token.ok()) return;
  absl::StatusOr<std::string> again = m::EncodeMatrixSyncToken(*token);
  if (!again.ok()) std::abort();
  absl::StatusOr<m::MatrixSyncToken> back = m::DecodeMatrixSyncToken(*again);
  if (!back.ok() || back->stream != token->stream || back->typing != token->typing ||
      back->sections != token->sections) {
    std::abort();
  }
  for (const auto& [name, cursor] : token->sections) {
    absl::StatusOr<int64_t> got = m::SectionCursor(text, name);
    if (!got.ok() || *got != cursor) std::abort();
  }
  CheckRefusal(m::DecodeRoomToken(text).status());
}

void Filter(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return;
  absl::StatusOr<m::SyncFilter> filter = m::ParseSyncFilter(json);
  CheckRefusal(filter.status());
  if (filter.ok()) {
    if (filter->timeline_limit < 0 || filter->timeline_limit > m::kMaxTimelineLimit) std::abort();
    (void)filter->timeline.Matches("m.room.message");
    (void)filter->timeline.LikeTypes();
    (void)filter->WantsRoom("!room:localhost");
  }
  CheckRefusal(m::ParseRoomEventFilter(json).status());
}

void PushRule(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return;
  for (const char* kind : {"override", "content", "room", "sender", "underride"}) {
    CheckRefusal(m::push::ParseUserRule(kind, "my.rule", json).status());
  }
  CheckRefusal(m::push::CheckActions(json));
}

void E2ee(const std::string& text) {
  const m::E2eeLimits limits;
  const m::E2eeCaller caller{"00000000-0000-4000-8000-000000000001", "@alice:localhost", "DEV",
                             "session"};
  CheckRefusal(m::ParseKeyUpload(text, caller, limits).status());
  CheckRefusal(m::ParseKeyQuery(text, limits).status());
  CheckRefusal(m::ParseKeyClaim(text, limits).status());
  CheckRefusal(m::ParseSendToDevice(text, limits).status());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      SyncToken(text);
      break;
    case 1:
      Filter(text);
      break;
    case 2:
      PushRule(text);
      break;
    default:
      E2ee(text);
      break;
  }
  return 0;
}
