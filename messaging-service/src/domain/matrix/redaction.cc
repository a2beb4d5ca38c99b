#include "messaging-service/src/domain/matrix/redaction.h"

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace messenger::matrix {
namespace {

constexpr absl::string_view kKeptTopLevel[] = {"event_id",   "type",
                                               "room_id",    "sender",
                                               "state_key",  "content",
                                               "hashes",     "signatures",
                                               "depth",      "prev_events",
                                               "prev_state", "auth_events",
                                               "origin",     "origin_server_ts",
                                               "membership"};

struct ContentRule {
  absl::string_view type;
  absl::Span<const absl::string_view> keys;
};

constexpr absl::string_view kMemberKeys[] = {"membership", "join_authorised_via_users_server"};
constexpr absl::string_view kCreateKeys[] = {"creator"};
constexpr absl::string_view kJoinRulesKeys[] = {"join_rule", "allow"};
constexpr absl::string_view kPowerLevelsKeys[] = {
    "ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"};
constexpr absl::string_view kHistoryVisibilityKeys[] = {"history_visibility"};

constexpr ContentRule kContentRules[] = {
    {"m.room.member", kMemberKeys},
    {"m.room.create", kCreateKeys},
    {"m.room.join_rules", kJoinRulesKeys},
    {"m.room.power_levels", kPowerLevelsKeys},
    {"m.room.history_visibility", kHistoryVisibilityKeys},
};

}  // namespace

absl::StatusOr<nlohmann::json> RedactEvent(const nlohmann::json& event) {
  if (!event.is_object()) return absl::InvalidArgumentError("event must be a JSON object");
  nlohmann::json redacted = nlohmann::json::object();
  for (const absl::string_view key : kKeptTopLevel) {
    const auto it = event.find(std::string(key));
    if (it != event.end()) redacted[std::string(key)] = *it;
  }

  // Content always survives as an object, stripped to the allowed keys.
  nlohmann::json content = nlohmann::json::object();
  const auto type = event.find("type");
  const auto original = event.find("content");
  if (type != event.end() && type->is_string() && original != event.end() &&
      original->is_object()) {
    for (const ContentRule& rule : kContentRules) {
      if (rule.type != type->get_ref<const std::string&>()) continue;
      for (const absl::string_view key : rule.keys) {
        const auto it = original->find(std::string(key));
        if (it != original->end()) content[std::string(key)] = *it;
      }
    }
  }
  redacted["content"] = std::move(content);
  return redacted;
}

nlohmann::json RedactionContent(const std::optional<std::string>& reason) {
  nlohmann::json content = nlohmann::json::object();
  if (reason) content["reason"] = *reason;
  return content;
}

}  // namespace messenger::matrix
