#include "messaging-service/src/service/e2ee_manager.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/status_mapping.h"
#include "messenger/events/v1/events.pb.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {
namespace {

using nlohmann::json;

// What a sender whose recipient's inbox is full is told to wait: the
// recipient's next sync empties it.
constexpr absl::Duration kInboxFullRetry = absl::Seconds(5);
constexpr absl::Duration kKeepTransactions = absl::Hours(24);

json ParsedOrNull(const std::string& text) { return json::parse(text, nullptr, false); }

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> E2eeManager::LocalUsers(
    const std::vector<std::string>& user_ids) {
  std::map<std::string, std::string> by_localpart;  // localpart -> Matrix id
  for (const std::string& id : user_ids) {
    if (std::optional<std::string> local = LocalpartOf(id, server_name_)) by_localpart[*local] = id;
  }
  std::vector<std::string> localparts;
  for (const auto& [local, id] : by_localpart) localparts.push_back(local);
  ASSIGN_OR_RETURN(auto accounts, store_.UserIds(localparts));
  std::map<std::string, std::string> out;
  for (const auto& [local, account] : accounts) out[by_localpart[local]] = account;
  return out;
}

absl::StatusOr<std::string> E2eeManager::UploadKeys(const E2eeCaller& caller,
                                                    std::string_view body) {
  ASSIGN_OR_RETURN(KeyUpload upload, ParseKeyUpload(body, caller, limits_));
  ASSIGN_OR_RETURN(auto counts,
                   store_.UploadKeys({caller.user_id, caller.device_id}, caller.session_id, upload,
                                     limits_.max_one_time_keys));
  return json{{"one_time_key_counts", counts}}.dump();
}

absl::StatusOr<std::set<std::string>> E2eeManager::VisibleTo(
    const std::string* viewer, const std::map<std::string, std::string>& accounts) {
  std::vector<std::string> account_ids;
  for (const auto& [user, account] : accounts) account_ids.push_back(account);
  if (viewer == nullptr) return std::set<std::string>(account_ids.begin(), account_ids.end());
  return store_.Visible(*viewer, account_ids);
}

absl::StatusOr<std::string> E2eeManager::QueryKeys(const E2eeCaller& caller,
                                                   std::string_view body) {
  ASSIGN_OR_RETURN(std::string local, QueryKeysAs(&caller.user_id, body, caller.matrix_user_id));
  return WithRemote("query", "device_keys", body, std::move(local));
}

absl::StatusOr<std::string> E2eeManager::QueryKeysAs(const std::string* viewer,
                                                     std::string_view body,
                                                     std::string_view viewer_matrix_id) {
  ASSIGN_OR_RETURN(auto query, ParseKeyQuery(body, limits_));
  std::vector<std::string> asked;
  for (const auto& [user, devices] : query) asked.push_back(user);
  ASSIGN_OR_RETURN(auto accounts, LocalUsers(asked));
  ASSIGN_OR_RETURN(std::set<std::string> visible, VisibleTo(viewer, accounts));
  std::vector<std::string> shown(visible.begin(), visible.end());
  ASSIGN_OR_RETURN(auto keys, store_.DeviceKeys(shown));

  json device_keys = json::object();
  for (const auto& [user, devices] : query) {
    json& out = device_keys[user] = json::object();
    auto account = accounts.find(user);
    if (account == accounts.end() || !visible.contains(account->second)) continue;
    for (const auto& [device_id, text] : keys[account->second]) {
      if (!devices.empty() &&
          std::find(devices.begin(), devices.end(), device_id) == devices.end()) {
        continue;
      }
      out[device_id] = ParsedOrNull(text);
    }
  }
  json answer = {{"device_keys", std::move(device_keys)}, {"failures", json::object()}};
  RETURN_IF_ERROR(AddCrossSigning(answer, viewer, viewer_matrix_id, accounts, visible));
  return answer.dump();
}

absl::StatusOr<std::string> E2eeManager::ClaimKeys(const E2eeCaller& caller,
                                                   std::string_view body) {
  ASSIGN_OR_RETURN(std::string local, ClaimKeysAs(&caller.user_id, body));
  return WithRemote("claim", "one_time_keys", body, std::move(local));
}

absl::StatusOr<std::string> E2eeManager::ClaimKeysAs(const std::string* viewer,
                                                     std::string_view body) {
  ASSIGN_OR_RETURN(std::vector<ClaimTarget> targets, ParseKeyClaim(body, limits_));
  std::vector<std::string> asked;
  for (const ClaimTarget& t : targets) asked.push_back(t.user);
  ASSIGN_OR_RETURN(auto accounts, LocalUsers(asked));
  ASSIGN_OR_RETURN(std::set<std::string> visible, VisibleTo(viewer, accounts));

  json one_time_keys = json::object();
  for (const ClaimTarget& t : targets) {
    auto account = accounts.find(t.user);
    if (account == accounts.end() || !visible.contains(account->second)) continue;
    ASSIGN_OR_RETURN(std::optional<UploadedKey> key,
                     store_.ClaimKey({account->second, t.device_id}, t.algorithm));
    if (!key) continue;
    one_time_keys[t.user][t.device_id][absl::StrCat(key->algorithm, ":", key->key_id)] =
        ParsedOrNull(key->json);
  }
  return json{{"one_time_keys", std::move(one_time_keys)}, {"failures", json::object()}}.dump();
}

absl::StatusOr<KeyChanges> E2eeManager::Changes(const E2eeCaller& caller, int64_t from) {
  ASSIGN_OR_RETURN(DeviceListChanges changes, store_.ChangedSince(caller.user_id, from));
  KeyChanges out;
  for (const std::string& username : changes.usernames) {
    out.changed.push_back(MatrixUserIdOf(username, server_name_));
  }
  return out;
}

absl::StatusOr<std::vector<Delivery>> E2eeManager::LocalDeliveries(
    const std::vector<ToDeviceMessage>& messages, std::string_view type, std::string_view sender) {
  std::vector<std::string> users;
  for (const ToDeviceMessage& m : messages) users.push_back(m.user);
  ASSIGN_OR_RETURN(auto accounts, LocalUsers(users));
  std::vector<Delivery> deliveries;
  for (const ToDeviceMessage& m : messages) {
    auto account = accounts.find(m.user);
    if (account == accounts.end()) continue;  // unknown or remote: not delivered here
    deliveries.push_back({account->second, m.device_id, ToDeviceEvent(type, sender, m.content)});
  }
  return deliveries;
}

absl::Status E2eeManager::SendToDevice(const E2eeCaller& caller, std::string_view event_type,
                                       const std::string& txn_id, std::string_view body) {
  ASSIGN_OR_RETURN(std::vector<ToDeviceMessage> messages, ParseSendToDevice(body, limits_));
  ASSIGN_OR_RETURN(std::vector<Delivery> deliveries,
                   LocalDeliveries(messages, event_type, caller.matrix_user_id));
  std::vector<OutgoingEdu> edus = ToDeviceEdus(caller, event_type, txn_id, messages);
  absl::StatusOr<bool> sent = store_.SendToDevice({caller.user_id, caller.device_id}, txn_id,
                                                  deliveries, limits_.inbox_size, clock_.Now(),
                                                  edus);
  if (sent.status().code() == absl::StatusCode::kResourceExhausted) {
    return RetryLaterError(std::string(sent.status().message()), kInboxFullRetry);
  }
  if (sent.ok() && *sent && !edus.empty() && outgoing_wake_) {
    std::vector<std::string> destinations;
    for (const OutgoingEdu& e : edus) destinations.push_back(e.destination);
    outgoing_wake_(destinations);
  }
  return sent.status();
}

absl::Status E2eeManager::OnSessionEvent(const bus::Event& event, pg::Tx& tx) {
  if (event.type != "session.revoked") return absl::OkStatus();
  events::v1::SessionRevoked data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (data.session_id().empty()) return absl::OkStatus();
  return store_.RemoveSession(tx, data.session_id());
}

absl::Status E2eeManager::ForgetOldTransactions() {
  return store_.ForgetTransactions(clock_.Now() - kKeepTransactions).status();
}

}  // namespace messenger::messaging
