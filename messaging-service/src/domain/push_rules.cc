#include "messaging-service/src/domain/push_rules.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"

namespace messenger::messaging::push {
namespace {

using nlohmann::json;

constexpr const char* kKinds[] = {"override", "content", "room", "sender", "underride"};
constexpr char kMaster[] = ".m.rule.master";

json Match(const char* key, const std::string& pattern) {
  return {{"kind", "event_match"}, {"key", key}, {"pattern", pattern}};
}

json Rule(const char* id, json conditions, json actions, bool enabled = true) {
  return {{"rule_id", id},
          {"default", true},
          {"enabled", enabled},
          {"conditions", conditions},
          {"actions", actions}};
}

json Sound(const char* value) { return {{"set_tweak", "sound"}, {"value", value}}; }
json Highlight() { return {{"set_tweak", "highlight"}}; }

// The server-default rules of spec v1.17 ("Predefined Rules"), by kind.
std::map<std::string, std::vector<json>> Defaults(const std::string& me) {
  std::map<std::string, std::vector<json>> d;
  d["override"] = {
      Rule(kMaster, json::array(), json::array(), false),
      Rule(".m.rule.suppress_notices", {Match("content.msgtype", "m.notice")}, json::array()),
      Rule(".m.rule.invite_for_me",
           {Match("type", "m.room.member"), Match("content.membership", "invite"),
            Match("state_key", me)},
           {"notify", Sound("default")}),
      Rule(".m.rule.member_event", {Match("type", "m.room.member")}, json::array()),
      Rule(".m.rule.is_user_mention",
           {{{"kind", "event_property_contains"},
             {"key", "content.m\\.mentions.user_ids"},
             {"value", me}}},
           {"notify", Sound("default"), Highlight()}),
      Rule(".m.rule.is_room_mention",
           {{{"kind", "event_property_is"}, {"key", "content.m\\.mentions.room"}, {"value", true}},
            {{"kind", "sender_notification_permission"}, {"key", "room"}}},
           {"notify", Highlight()}),
      Rule(".m.rule.tombstone", {Match("type", "m.room.tombstone"), Match("state_key", "")},
           {"notify", Highlight()}),
      Rule(".m.rule.reaction", {Match("type", "m.reaction")}, json::array()),
      Rule(".m.rule.room.server_acl", {Match("type", "m.room.server_acl"), Match("state_key", "")},
           json::array()),
      Rule(".m.rule.suppress_edits",
           {{{"kind", "event_property_is"},
             {"key", "content.m\\.relates_to.rel_type"},
             {"value", "m.replace"}}},
           json::array()),
  };
  d["content"] = {};
  d["room"] = {};
  d["sender"] = {};
  const json two = {{"kind", "room_member_count"}, {"is", "2"}};
  d["underride"] = {
      Rule(".m.rule.call", {Match("type", "m.call.invite")}, {"notify", Sound("ring")}),
      Rule(".m.rule.encrypted_room_one_to_one", {two, Match("type", "m.room.encrypted")},
           {"notify", Sound("default")}),
      Rule(".m.rule.room_one_to_one", {two, Match("type", "m.room.message")},
           {"notify", Sound("default")}),
      Rule(".m.rule.message", {Match("type", "m.room.message")}, {"notify"}),
      Rule(".m.rule.encrypted", {Match("type", "m.room.encrypted")}, {"notify"}),
  };
  return d;
}

json UserRuleJson(const StoredRule& row) {
  json rule = {{"rule_id", row.rule_id},
               {"default", false},
               {"enabled", row.enabled.value_or(true)},
               {"actions", row.actions.value_or(json::array())}};
  if (row.body.is_object()) {
    for (const auto& [key, value] : row.body.items()) rule[key] = value;
  }
  return rule;
}

bool IsAction(const json& action) {
  if (action.is_string()) {
    // "notify" and the historical no-ops clients still send.
    const std::string a = action.get<std::string>();
    return a == "notify" || a == "dont_notify" || a == "coalesce";
  }
  if (!action.is_object() || !action.contains("set_tweak") || !action["set_tweak"].is_string()) {
    return false;
  }
  return true;
}

absl::Status CheckConditions(const json& conditions) {
  if (!conditions.is_array()) return absl::InvalidArgumentError("'conditions' must be an array");
  for (const auto& c : conditions) {
    if (!c.is_object() || !c.contains("kind") || !c["kind"].is_string()) {
      return absl::InvalidArgumentError("each condition is an object with a string 'kind'");
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsKind(std::string_view kind) {
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

bool IsDefaultRule(std::string_view kind, std::string_view rule_id) {
  const auto defaults = Defaults("");
  auto it = defaults.find(std::string(kind));
  if (it == defaults.end()) return false;
  for (const auto& rule : it->second) {
    if (rule["rule_id"].get<std::string>() == rule_id) return true;
  }
  return false;
}

json Ruleset(const std::string& user_mxid, const std::vector<StoredRule>& rows) {
  auto defaults = Defaults(user_mxid);
  std::map<std::pair<std::string, std::string>, const StoredRule*> changes;
  std::map<std::string, std::vector<const StoredRule*>> own;
  for (const auto& row : rows) {
    if (row.position) {
      own[row.kind].push_back(&row);
    } else {
      changes[{row.kind, row.rule_id}] = &row;
    }
  }
  json global = json::object();
  for (const char* kind : kKinds) {
    json list = json::array();
    std::vector<json> defs = defaults[kind];
    for (auto& rule : defs) {
      auto it = changes.find({kind, rule["rule_id"].get<std::string>()});
      if (it == changes.end()) continue;
      if (it->second->enabled) rule["enabled"] = *it->second->enabled;
      if (it->second->actions) rule["actions"] = *it->second->actions;
    }
    auto& mine = own[kind];
    std::stable_sort(mine.begin(), mine.end(), [](const StoredRule* a, const StoredRule* b) {
      return *a->position < *b->position;
    });
    size_t next_default = 0;
    if (!defs.empty() && defs[0]["rule_id"].get<std::string>() == kMaster)
      list.push_back(defs[next_default++]);
    for (const StoredRule* row : mine) list.push_back(UserRuleJson(*row));
    for (; next_default < defs.size(); ++next_default) list.push_back(defs[next_default]);
    global[kind] = std::move(list);
  }
  return {{"global", std::move(global)}};
}

std::optional<json> FindRule(const json& ruleset, std::string_view kind, std::string_view rule_id) {
  const json& global = ruleset.at("global");
  auto list = global.find(std::string(kind));
  if (list == global.end()) return std::nullopt;
  for (const auto& rule : *list) {
    if (rule["rule_id"].get<std::string>() == rule_id) return rule;
  }
  return std::nullopt;
}

absl::Status CheckActions(const json& actions) {
  if (!actions.is_array()) return absl::InvalidArgumentError("'actions' must be an array");
  for (const auto& action : actions) {
    if (!IsAction(action)) {
      return absl::InvalidArgumentError(
          "an action is \"notify\" or an object with a string 'set_tweak'");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredRule> ParseUserRule(std::string_view kind, std::string_view rule_id,
                                         const json& body) {
  if (!IsKind(kind))
    return absl::InvalidArgumentError(absl::StrCat("unknown kind '", std::string(kind), "'"));
  if (rule_id.empty() || rule_id.size() > 255 || rule_id.front() == '.' ||
      rule_id.find_first_of("/\\") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "a rule id is 1-255 characters without '/' or '\\' and does not start with '.'");
  }
  if (!body.is_object()) return absl::InvalidArgumentError("the rule must be a JSON object");
  StoredRule rule{std::string(kind), std::string(rule_id), 0, json::object(), std::nullopt, true};
  if (!body.contains("actions")) return absl::InvalidArgumentError("'actions' is required");
  if (absl::Status s = CheckActions(body["actions"]); !s.ok()) return s;
  rule.actions = body["actions"];
  if (kind == "content") {
    if (!body.contains("pattern") || !body["pattern"].is_string()) {
      return absl::InvalidArgumentError("a content rule needs a string 'pattern'");
    }
    rule.body["pattern"] = body["pattern"];
  } else if (kind == "override" || kind == "underride") {
    json conditions = body.value("conditions", json::array());
    if (absl::Status s = CheckConditions(conditions); !s.ok()) return s;
    rule.body["conditions"] = std::move(conditions);
  } else if (kind == "room") {
    // The room (or sender) is the rule id: no conditions of its own.
    if (rule_id.front() != '!') return absl::InvalidArgumentError("a room rule's id is a room id");
  } else {  // sender
    if (rule_id.front() != '@')
      return absl::InvalidArgumentError("a sender rule's id is a user id");
  }
  return rule;
}

absl::StatusOr<std::vector<std::string>> Reorder(const std::vector<std::string>& ordered,
                                                 const std::string& rule_id,
                                                 const std::optional<std::string>& before,
                                                 const std::optional<std::string>& after) {
  std::vector<std::string> out;
  const bool existed = std::find(ordered.begin(), ordered.end(), rule_id) != ordered.end();
  if (!before && !after) {
    if (existed) return ordered;
    out.push_back(rule_id);
    out.insert(out.end(), ordered.begin(), ordered.end());
    return out;
  }
  const std::string& anchor = before ? *before : *after;
  if (anchor == rule_id)
    return absl::InvalidArgumentError("a rule cannot be placed next to itself");
  for (const auto& id : ordered) {
    if (id != rule_id) out.push_back(id);
  }
  auto at = std::find(out.begin(), out.end(), anchor);
  if (at == out.end()) {
    return absl::NotFoundError(absl::StrCat("no user push rule '", anchor, "' of this kind"));
  }
  out.insert(before ? at : at + 1, rule_id);
  return out;
}

}  // namespace messenger::messaging::push
