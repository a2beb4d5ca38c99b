// Conversation rules, free of IO: message text, idempotency keys, pagination,
// sync tokens and the contact policy of direct conversations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace messenger::messaging {

inline constexpr int kMaxTextLength = 4000;
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 100;
// Users one create request may name (api.md); a group grows past them with
// POST .../members up to MESSENGER_MAX_GROUP_MEMBERS.
inline constexpr int kMaxMembersPerCreate = 1000;
inline constexpr int kMaxSyncTimeoutMs = 30'000;

// 1..4000 characters of valid UTF-8, not only whitespace; line breaks and tabs
// are allowed, other control characters are not.
absl::Status ValidateText(std::string_view text);
// 1..128 printable ASCII characters.
absl::Status ValidateClientMsgId(std::string_view id);
// Trimmed, 1..64 characters, no control characters.
absl::StatusOr<std::string> NormalizeGroupName(std::string_view raw);

// The key of the one direct conversation of a pair: "<low>:<high>".
std::string DirectKey(const std::string& a, const std::string& b);
// The two users of a direct key, a superseded one's too.
std::pair<std::string, std::string> DirectPair(const std::string& key);
// Two servers may each open the pair's direct room at once (glare): both
// keep both rooms, each user joined to both, and the pair's key goes to the
// smaller room id on both servers, so later messages meet in one room. The
// other room keeps "<key>/<its room id>": still the pair's (the contact
// policy holds), no longer the one a new message goes to.
bool KeepsDirectKey(const std::string& room_id, const std::string& other_room_id);
std::string SupersededDirectKey(const std::string& key, const std::string& room_id);

// History pages: 0 means the default; above kMaxPageSize is an error.
absl::StatusOr<int> PageSize(int requested);

// Sync tokens are opaque to clients: "s<stream position>".
std::string EncodeSyncToken(int64_t position);
absl::StatusOr<int64_t> DecodeSyncToken(std::string_view token);
// The same with the reader's typing cursor (TypingState): "s<n>t<cursor>";
// a token without the "t" part has cursor 0.
std::string EncodeSyncToken(int64_t position, uint64_t typing_cursor);
absl::StatusOr<uint64_t> DecodeTypingCursor(std::string_view token);
absl::StatusOr<int> SyncTimeoutMs(int requested);

// A message into a direct conversation is sent only while its users are friends.
absl::Status CheckDirectSend(bool friends);

}  // namespace messenger::messaging
