#include "messaging-service/src/service/account_sync_section.h"

#include <algorithm>
#include <map>

#include "common/status.h"

namespace messenger::messaging {

absl::StatusOr<UserSyncOutput> AccountDataSyncSection::Collect(const UserSyncInput& in) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(in.user_id));
  const int64_t since = std::max<int64_t>(0, in.since);
  const int64_t since_version = since / kDirectSlots;
  const int64_t since_direct = since % kDirectSlots;
  ASSIGN_OR_RETURN(AccountDataChanges changes,
                   store_.AccountDataSince(user, since_version, kMaxRows));
  std::vector<AccountDataRow>& rows = changes.rows;
  const int64_t direct = std::min<int64_t>(changes.direct_rooms, kDirectSlots - 1);
  // A full page ends at its last row; the rest is new for the next sync.
  const int64_t version = static_cast<int>(rows.size()) == kMaxRows
                              ? rows.back().version
                              : std::max(changes.version, since_version);
  const bool initial = in.initial;
  bool push_rules = initial, direct_changed = initial ? direct > 0 : direct != since_direct;
  std::optional<std::string> stored_direct;
  nlohmann::json global = nlohmann::json::array();
  std::map<std::string, nlohmann::json> per_room;
  for (auto& row : rows) {
    if (row.room_id.empty() && row.type == kPushRulesType) {
      push_rules = true;
      continue;
    }
    if (row.room_id.empty() && row.type == kDirectType) {
      direct_changed = true;
      stored_direct = std::move(row.content);
      continue;
    }
    nlohmann::json content = nlohmann::json::parse(row.content, nullptr, false);
    if (content.is_discarded()) continue;  // stored by Put, always an object
    nlohmann::json event = {{"type", row.type}, {"content", std::move(content)}};
    if (row.room_id.empty()) {
      global.push_back(std::move(event));
    } else {
      per_room[row.room_id].push_back(std::move(event));
    }
  }
  if (direct_changed) {
    if (!stored_direct) {
      ASSIGN_OR_RETURN(stored_direct, store_.GetAccountData(user, "", kDirectType));
    }
    ASSIGN_OR_RETURN(nlohmann::json content, account_.DirectContent(user, stored_direct));
    global.push_back({{"type", kDirectType}, {"content", std::move(content)}});
  }
  if (push_rules) {
    ASSIGN_OR_RETURN(nlohmann::json content, account_.PushRules(user));
    global.push_back({{"type", kPushRulesType}, {"content", std::move(content)}});
  }
  UserSyncOutput out;
  out.next = version * kDirectSlots + direct;
  out.has_changes = !global.empty() || !per_room.empty();
  nlohmann::json json = nlohmann::json::object();
  if (!global.empty()) json["account_data"] = {{"events", std::move(global)}};
  for (auto& [room_id, events] : per_room) {
    json["rooms"]["join"][room_id]["account_data"]["events"] = std::move(events);
  }
  out.json = json.dump();
  return out;
}

}  // namespace messenger::messaging
