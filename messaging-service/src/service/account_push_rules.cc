// Push rules of AccountDataManager: a user's rows on top of the server
// defaults (domain/push_rules.h); a change marks m.push_rules changed.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/service/account_data.h"

namespace messenger::messaging {
namespace {

push::StoredRule* FindRow(std::vector<push::StoredRule>& rows, const std::string& kind,
                          const std::string& rule_id) {
  for (auto& row : rows) {
    if (row.kind == kind && row.rule_id == rule_id) return &row;
  }
  return nullptr;
}

absl::Status CheckKind(const std::string& kind) {
  if (!push::IsKind(kind)) return absl::NotFoundError(absl::StrCat("no push rule kind ", kind));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<nlohmann::json> AccountDataManager::PushRules(const std::string& user_id) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
  ASSIGN_OR_RETURN(std::vector<push::StoredRule> rows, store_.PushRules(user));
  return push::Ruleset(mxid, rows);
}

absl::Status AccountDataManager::ChangeRules(
    const std::string& user,
    const std::function<absl::Status(AccountTx&, std::vector<push::StoredRule>&)>& fn) {
  return store_.Transaction([&](AccountTx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<push::StoredRule> rows, tx.LockPushRules(user));
    RETURN_IF_ERROR(fn(tx, rows));
    // A marker: sync computes the rule set when it sees it.
    RETURN_IF_ERROR(tx.PutAccountData(user, "", kPushRulesType, "{}").status());
    announcer_.OnCommit(tx.tx(), {user});
    return absl::OkStatus();
  });
}

absl::Status AccountDataManager::PutPushRule(const std::string& user_id, const std::string& kind,
                                             const std::string& rule_id, const nlohmann::json& body,
                                             const std::optional<std::string>& before,
                                             const std::optional<std::string>& after) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  if (push::IsDefaultRule(kind, rule_id) || (!rule_id.empty() && rule_id.front() == '.')) {
    return absl::InvalidArgumentError("server-default rules cannot be replaced");
  }
  if (before && after) return absl::InvalidArgumentError("give 'before' or 'after', not both");
  ASSIGN_OR_RETURN(push::StoredRule rule, push::ParseUserRule(kind, rule_id, body));
  return ChangeRules(user, [&](AccountTx& tx, std::vector<push::StoredRule>& rows) -> absl::Status {
    std::vector<std::pair<int64_t, std::string>> mine;
    size_t own = 0;
    for (const auto& row : rows) {
      if (!row.position) continue;
      ++own;
      if (row.kind == kind) mine.emplace_back(*row.position, row.rule_id);
    }
    std::sort(mine.begin(), mine.end());
    std::vector<std::string> ordered;
    for (auto& [position, id] : mine) ordered.push_back(std::move(id));
    push::StoredRule* existing = FindRow(rows, kind, rule_id);
    if (!existing && own >= push::kMaxUserRules) {
      return absl::ResourceExhaustedError(
          absl::StrCat("at most ", push::kMaxUserRules, " push rules per user"));
    }
    ASSIGN_OR_RETURN(std::vector<std::string> order,
                     push::Reorder(ordered, rule_id, before, after));
    // An update keeps the rule's enabled flag (the spec's PUT replaces
    // conditions and actions only).
    if (existing && existing->enabled) rule.enabled = existing->enabled;
    for (size_t i = 0; i < order.size(); ++i) {
      push::StoredRule* row = order[i] == rule_id ? &rule : FindRow(rows, kind, order[i]);
      if (row == nullptr) continue;
      if (row->position == static_cast<int64_t>(i) && row != &rule) continue;
      row->position = static_cast<int64_t>(i);
      RETURN_IF_ERROR(tx.PutPushRule(user, *row));
    }
    return absl::OkStatus();
  });
}

absl::Status AccountDataManager::DeletePushRule(const std::string& user_id, const std::string& kind,
                                                const std::string& rule_id) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  RETURN_IF_ERROR(CheckKind(kind));
  if (push::IsDefaultRule(kind, rule_id)) {
    return absl::InvalidArgumentError("server-default rules cannot be deleted");
  }
  return ChangeRules(user, [&](AccountTx& tx, std::vector<push::StoredRule>&) -> absl::Status {
    ASSIGN_OR_RETURN(bool deleted, tx.DeletePushRule(user, kind, rule_id));
    if (!deleted) return absl::NotFoundError(absl::StrCat("no push rule ", rule_id));
    return absl::OkStatus();
  });
}

absl::Status AccountDataManager::UpdatePushRule(const std::string& user_id, const std::string& kind,
                                                const std::string& rule_id,
                                                std::optional<bool> enabled,
                                                const std::optional<nlohmann::json>& actions) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  RETURN_IF_ERROR(CheckKind(kind));
  if (actions) RETURN_IF_ERROR(push::CheckActions(*actions));
  const bool is_default = push::IsDefaultRule(kind, rule_id);
  return ChangeRules(user, [&](AccountTx& tx, std::vector<push::StoredRule>& rows) -> absl::Status {
    push::StoredRule* row = FindRow(rows, kind, rule_id);
    push::StoredRule change{kind,         rule_id,     std::nullopt, nlohmann::json(),
                            std::nullopt, std::nullopt};
    if (row == nullptr) {
      if (!is_default) return absl::NotFoundError(absl::StrCat("no push rule ", rule_id));
      row = &change;
    }
    if (enabled) row->enabled = *enabled;
    if (actions) row->actions = *actions;
    return tx.PutPushRule(user, *row);
  });
}

}  // namespace messenger::messaging
