// Matrix push rules (client-server API, "Push Rules"): the server-default
// rule set of spec v1.17, a user's changes on top of it, and the checks of a
// rule a client PUTs. Pure logic; storage keeps StoredRule rows. Evaluating
// rules against events (notification counts) is not done here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging::push {

// User rules one user may keep (all kinds together).
inline constexpr size_t kMaxUserRules = 500;

// override, content, room, sender, underride (in the order they apply).
bool IsKind(std::string_view kind);

// One row of a user's rules: a rule of their own (position set: its place
// in its kind, lower first) or a change to a server-default rule.
struct StoredRule {
  std::string kind;
  std::string rule_id;
  std::optional<int64_t> position;        // nullopt: changes a default rule
  nlohmann::json body;                    // own rules: {"pattern"} or {"conditions"}
  std::optional<nlohmann::json> actions;  // nullopt: the default's
  std::optional<bool> enabled;            // nullopt: the default's
};

// {"global": {override: [...], content, room, sender, underride}}: the
// defaults for `user_mxid` with the user's rows applied (.m.rule.master
// first, then the user's own rules of a kind, then its other defaults).
nlohmann::json Ruleset(const std::string& user_mxid, const std::vector<StoredRule>& rows);
// One rule of Ruleset, or nullopt.
std::optional<nlohmann::json> FindRule(const nlohmann::json& ruleset, std::string_view kind,
                                       std::string_view rule_id);
bool IsDefaultRule(std::string_view kind, std::string_view rule_id);

// A user rule from a PUT body ({actions, conditions?, pattern?}); position
// unset. INVALID_ARGUMENT for a bad id, kind, body or actions.
absl::StatusOr<StoredRule> ParseUserRule(std::string_view kind, std::string_view rule_id,
                                         const nlohmann::json& body);
absl::Status CheckActions(const nlohmann::json& actions);

// The order of a kind's user rules after putting `rule_id` before or after
// another user rule (NOT_FOUND when that rule is unknown), or first when
// neither is given and the rule is new; an existing rule keeps its place.
absl::StatusOr<std::vector<std::string>> Reorder(const std::vector<std::string>& ordered,
                                                 const std::string& rule_id,
                                                 const std::optional<std::string>& before,
                                                 const std::optional<std::string>& after);

}  // namespace messenger::messaging::push
