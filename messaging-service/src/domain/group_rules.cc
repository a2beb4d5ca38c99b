#include "messaging-service/src/domain/group_rules.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/domain/matrix/power_levels.h"

namespace messenger::messaging {
namespace {

// C0 controls other than tab and line breaks, and DEL.
bool HasStrayControl(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string RoleOf(int64_t power_level) { return power_level >= kAdminLevel ? "admin" : "member"; }

absl::StatusOr<int64_t> LevelOfRole(std::string_view role) {
  if (role == "admin") return kAdminLevel;
  if (role == "member") return kMemberLevel;
  return absl::InvalidArgumentError("role must be \"admin\" or \"member\"");
}

absl::StatusOr<std::optional<nlohmann::json>> PlanRoleChange(const matrix::StateMap& state,
                                                             const std::string& actor,
                                                             const std::string& target,
                                                             int64_t level) {
  ASSIGN_OR_RETURN(matrix::PowerLevels levels, matrix::PowerLevels::FromState(state));
  if (RoleOf(levels.UserLevel(target)) == RoleOf(level) &&
      levels.UserLevel(actor) >= levels.EventLevel(matrix::kPowerLevelsType, true)) {
    return std::nullopt;
  }
  nlohmann::json content = state.power_levels() != nullptr
                               ? state.power_levels()->content()
                               : matrix::DefaultPowerLevelsContent(actor);
  if (!content.contains("users") || !content["users"].is_object()) {
    content["users"] = nlohmann::json::object();
  }
  content["users"][target] = level;
  return content;
}

absl::Status CheckMemberCap(int64_t joined, int64_t cap) {
  if (joined <= cap) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("a group has at most ", cap, " members; this one would have ", joined));
}

absl::Status ValidateTopic(std::string_view topic) {
  if (!text::IsValidUtf8(topic)) return absl::InvalidArgumentError("topic is not valid UTF-8");
  if (text::CodePointCount(topic) > kMaxTopicLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic is longer than ", kMaxTopicLength, " characters"));
  }
  if (HasStrayControl(topic))
    return absl::InvalidArgumentError("topic contains control characters");
  return absl::OkStatus();
}

absl::Status ValidateAvatarUrl(std::string_view url) {
  if (url.empty()) return absl::OkStatus();
  if (url.size() > kMaxAvatarUrlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("avatar_url is longer than ", kMaxAvatarUrlBytes, " bytes"));
  }
  for (char c : url) {
    if (c < 0x21 || c > 0x7e)
      return absl::InvalidArgumentError("avatar_url must be printable ASCII");
  }
  const absl::string_view u(url.data(), url.size());
  for (absl::string_view scheme : {"mxc://", "https://"}) {
    if (absl::StartsWith(u, scheme) && u.size() > scheme.size()) return absl::OkStatus();
  }
  return absl::InvalidArgumentError("avatar_url must be an mxc:// or https:// URL");
}

absl::StatusOr<ConversationPatch> NormalizePatch(ConversationPatch patch) {
  if (!patch.name && !patch.topic && !patch.avatar_url) {
    return absl::InvalidArgumentError("give at least one of name, topic and avatar_url");
  }
  if (patch.name) {
    ASSIGN_OR_RETURN(patch.name, NormalizeGroupName(*patch.name));
  }
  if (patch.topic) RETURN_IF_ERROR(ValidateTopic(*patch.topic));
  if (patch.avatar_url) RETURN_IF_ERROR(ValidateAvatarUrl(*patch.avatar_url));
  return patch;
}

absl::Status RefuseDirect(std::string_view kind) {
  if (kind != "direct") return absl::OkStatus();
  return absl::PermissionDeniedError(
      "a direct conversation has exactly its two users and no name, topic, avatar or roles");
}

}  // namespace messenger::messaging
