#include "messaging-service/src/service/e2ee_sync_sections.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

using nlohmann::json;

absl::StatusOr<UserSyncOutput> ToDeviceSection::Collect(const UserSyncInput& in) {
  ASSIGN_OR_RETURN(ToDeviceBatch batch,
                   store_.TakeToDevice({in.user_id, in.device_id}, in.since, per_sync_));
  json events = json::array();
  for (const std::string& event : batch.events)
    events.push_back(json::parse(event, nullptr, false));
  UserSyncOutput out;
  out.has_changes = !batch.events.empty();
  out.next = out.has_changes ? batch.last_pos : in.since;
  out.json = json{{"to_device", {{"events", std::move(events)}}}}.dump();
  return out;
}

absl::StatusOr<UserSyncOutput> DeviceListsSection::Collect(const UserSyncInput& in) {
  // An initial sync lists no changes (the client queries what it tracks);
  // it only learns the position.
  const int64_t since = in.initial ? std::numeric_limits<int64_t>::max() : in.since;
  ASSIGN_OR_RETURN(DeviceListChanges changes, store_.ChangedSince(in.user_id, since));
  ASSIGN_OR_RETURN(KeyCounts counts, store_.Counts({in.user_id, in.device_id}));
  json changed = json::array();
  for (const std::string& username : changes.usernames) {
    changed.push_back(MatrixUserIdOf(username, server_name_));
  }
  UserSyncOutput out;
  out.has_changes = !changed.empty();
  out.next = std::max(changes.pos, in.since);
  json body = {{"device_lists", {{"changed", std::move(changed)}, {"left", json::array()}}},
               {"device_one_time_keys_count", counts.one_time},
               {"device_unused_fallback_key_types", counts.unused_fallback}};
  out.json = body.dump();
  return out;
}

}  // namespace messenger::messaging
