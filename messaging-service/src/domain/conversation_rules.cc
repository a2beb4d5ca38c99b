#include "messaging-service/src/domain/conversation_rules.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "common/text.h"

namespace messenger::messaging {

absl::Status ValidateText(std::string_view text) {
  if (!text::IsValidUtf8(text)) return absl::InvalidArgumentError("text is not valid UTF-8");
  if (text::Trim(text).empty()) return absl::InvalidArgumentError("text must not be empty");
  if (text::CodePointCount(text) > kMaxTextLength) {
    return absl::InvalidArgumentError("text is longer than 4000 characters");
  }
  std::string flat(text);
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  std::replace(flat.begin(), flat.end(), '\t', ' ');
  std::replace(flat.begin(), flat.end(), '\r', ' ');
  if (text::HasControlCharacters(flat)) {
    return absl::InvalidArgumentError("text contains control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateClientMsgId(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError("client_msg_id must be 1 to 128 characters");
  }
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError("client_msg_id must be printable ASCII");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeGroupName(std::string_view raw) {
  std::string name = text::Trim(raw);
  if (!text::IsValidUtf8(name) || name.empty() || text::CodePointCount(name) > 64 ||
      text::HasControlCharacters(name)) {
    return absl::InvalidArgumentError("name must be 1 to 64 characters without control characters");
  }
  return name;
}

std::string DirectKey(const std::string& a, const std::string& b) {
  return a < b ? a + ":" + b : b + ":" + a;
}

std::pair<std::string, std::string> DirectPair(const std::string& key) {
  const std::string pair = key.substr(0, key.find('/'));
  const size_t colon = pair.find(':');
  if (colon == std::string::npos) return {pair, ""};
  return {pair.substr(0, colon), pair.substr(colon + 1)};
}

bool KeepsDirectKey(const std::string& room_id, const std::string& other_room_id) {
  return room_id < other_room_id;
}

std::string SupersededDirectKey(const std::string& key, const std::string& room_id) {
  return key + "/" + room_id;
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested < 0 || requested > kMaxPageSize) {
    return absl::InvalidArgumentError("limit must be from 1 to 100");
  }
  return requested;
}

std::string EncodeSyncToken(int64_t position) { return "s" + std::to_string(position); }

std::string EncodeSyncToken(int64_t position, uint64_t typing_cursor) {
  std::string token = EncodeSyncToken(position);
  if (typing_cursor != 0) token += "t" + std::to_string(typing_cursor);
  return token;
}

absl::StatusOr<uint64_t> DecodeTypingCursor(std::string_view token) {
  const size_t t = token.find('t');
  if (t == std::string_view::npos) return 0;
  const std::string_view digits = token.substr(t + 1);
  uint64_t cursor = 0;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(std::string(digits), &cursor)) {
    return absl::InvalidArgumentError("since is not a token this server gave out");
  }
  return cursor;
}

absl::StatusOr<int64_t> DecodeSyncToken(std::string_view token) {
  const size_t t = token.find('t');
  if (t != std::string_view::npos) {
    if (absl::StatusOr<uint64_t> cursor = DecodeTypingCursor(token); !cursor.ok()) {
      return cursor.status();
    }
    token = token.substr(0, t);
  }
  int64_t position = 0;
  if (token.size() < 2 || token[0] != 's' ||
      !absl::SimpleAtoi(std::string(token.substr(1)), &position) || position < 0) {
    return absl::InvalidArgumentError("since is not a token this server gave out");
  }
  return position;
}

absl::StatusOr<int> SyncTimeoutMs(int requested) {
  if (requested < 0 || requested > kMaxSyncTimeoutMs) {
    return absl::InvalidArgumentError("timeout_ms must be from 0 to 30000");
  }
  return requested;
}

absl::Status CheckDirectSend(bool friends) {
  if (!friends) {
    return absl::PermissionDeniedError(
        "you can message this user only while you are friends");
  }
  return absl::OkStatus();
}

}  // namespace messenger::messaging
