// Group management rules, free of IO: roles as power levels, the member cap,
// and the checks of a conversation's name, topic and avatar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "messaging-service/src/domain/matrix/state_map.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

// Members of one group at most (MESSENGER_MAX_GROUP_MEMBERS).
inline constexpr int64_t kDefaultMaxGroupMembers = 10'000;
// Users added by one request at most.
inline constexpr int kMaxMembersPerAdd = 50;
inline constexpr int kMaxTopicLength = 1000;
inline constexpr int kMaxAvatarUrlBytes = 1000;

// "admin" is power level 100 (the creator's), "member" 0.
inline constexpr int64_t kAdminLevel = 100;
inline constexpr int64_t kMemberLevel = 0;
// The role a power level stands for: admin from kAdminLevel up.
std::string RoleOf(int64_t power_level);
// INVALID_ARGUMENT naming `role` for anything but "admin" and "member".
absl::StatusOr<int64_t> LevelOfRole(std::string_view role);

// The power levels content that gives `target` (a Matrix id) `level`, from
// the room's current state; nullopt when the role is already that and
// `actor` may change power levels (nothing to write; an actor who may not is
// refused by the auth rules on the write instead).
absl::StatusOr<std::optional<nlohmann::json>> PlanRoleChange(const matrix::StateMap& state,
                                                             const std::string& actor,
                                                             const std::string& target,
                                                             int64_t level);

// FAILED_PRECONDITION when `joined` members exceed `cap`.
absl::Status CheckMemberCap(int64_t joined, int64_t cap);

// A topic: at most kMaxTopicLength characters of valid UTF-8, no control
// characters but line breaks and tabs; empty clears it.
absl::Status ValidateTopic(std::string_view topic);
// An avatar: "mxc://server/id" or an https URL, at most kMaxAvatarUrlBytes
// printable ASCII; empty clears it.
absl::Status ValidateAvatarUrl(std::string_view url);

// What a PATCH changes; at least one field.
struct ConversationPatch {
  std::optional<std::string> name;
  std::optional<std::string> topic;
  std::optional<std::string> avatar_url;
};
// Checks every field (the name normalized as at creation).
absl::StatusOr<ConversationPatch> NormalizePatch(ConversationPatch patch);

// Direct conversations have exactly their two users and no settings.
absl::Status RefuseDirect(std::string_view kind);

}  // namespace messenger::messaging
