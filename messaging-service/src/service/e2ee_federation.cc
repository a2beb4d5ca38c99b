// End-to-end encryption across servers (fede2ee): another server asks for
// the device keys and one-time keys of local users, and to-device messages
// go to and come from other servers as m.direct_to_device EDUs.
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/federation/remote_users.h"
#include "messaging-service/src/service/e2ee_manager.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

using nlohmann::json;

namespace {

constexpr char kDirectToDevice[] = "m.direct_to_device";
constexpr size_t kMaxMessageIdBytes = 255;
// The sender device an incoming message is deduplicated under (with its
// message_id): remote users' devices are not known here.
constexpr char kRemoteSenderDevice[] = "federation";

const std::string* StringField(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

absl::StatusOr<std::string> E2eeManager::QueryKeysForServer(std::string_view body) {
  return QueryKeysAs(nullptr, body);
}

absl::StatusOr<std::string> E2eeManager::ClaimKeysForServer(std::string_view body) {
  return ClaimKeysAs(nullptr, body);
}

absl::StatusOr<std::string> E2eeManager::UserDevices(const std::string& matrix_user_id) {
  if (!LocalpartOf(matrix_user_id, server_name_)) {
    return absl::InvalidArgumentError("the user is not of this server");
  }
  ASSIGN_OR_RETURN(auto accounts, LocalUsers({matrix_user_id}));
  json devices = json::array();
  int64_t stream_id = 0;
  json cross_signing = json::object();
  if (auto account = accounts.find(matrix_user_id); account != accounts.end()) {
    ASSIGN_OR_RETURN(auto keys, store_.DeviceKeys({account->second}));
    // Shaped as a keys/query answer, so that signatures merge as there.
    json as_query = {{"device_keys", {{matrix_user_id, json::object()}}}};
    for (const auto& [device_id, text] : keys[account->second]) {
      as_query["device_keys"][matrix_user_id][device_id] = json::parse(text, nullptr, false);
    }
    RETURN_IF_ERROR(AddCrossSigning(as_query, nullptr, "", accounts, {account->second}));
    for (auto& [device_id, keys_json] : as_query["device_keys"][matrix_user_id].items()) {
      devices.push_back({{"device_id", device_id}, {"keys", std::move(keys_json)}});
    }
    if (as_query["master_keys"].contains(matrix_user_id)) {
      cross_signing["master_key"] = std::move(as_query["master_keys"][matrix_user_id]);
    }
    if (as_query["self_signing_keys"].contains(matrix_user_id)) {
      cross_signing["self_signing_key"] = std::move(as_query["self_signing_keys"][matrix_user_id]);
    }
    // The device-list stream's position: it only grows and is at or past
    // this user's last change, so an m.device_list_update can follow it.
    ASSIGN_OR_RETURN(DeviceListChanges now,
                     store_.ChangedSince(account->second, std::numeric_limits<int64_t>::max()));
    stream_id = now.pos;
  }
  json answer = {{"user_id", matrix_user_id}, {"stream_id", stream_id}};
  answer["devices"] = std::move(devices);
  answer.update(cross_signing);
  return answer.dump();
}

std::vector<OutgoingEdu> E2eeManager::ToDeviceEdus(const E2eeCaller& caller,
                                                   std::string_view event_type,
                                                   const std::string& txn_id,
                                                   const std::vector<ToDeviceMessage>& messages) {
  std::map<std::string, json> by_server;  // server -> user -> device -> content
  for (const ToDeviceMessage& m : messages) {
    if (LocalpartOf(m.user, server_name_)) continue;
    absl::StatusOr<std::string> server = matrix::ServerNameOf(m.user);
    if (!server.ok() || server->empty()) continue;
    by_server[*server][m.user][m.device_id] = json::parse(m.content, nullptr, false);
  }
  if (by_server.empty()) return {};
  // The same for a retried txn_id; the receiver drops a message_id it had.
  const std::string message_id =
      HexEncode(Sha256(absl::StrCat(caller.user_id, "\n", caller.device_id, "\n", txn_id)))
          .substr(0, 32);
  std::vector<OutgoingEdu> out;
  for (auto& [server, users] : by_server) {
    json edu = {{"edu_type", kDirectToDevice},
                {"content",
                 {{"sender", caller.matrix_user_id},
                  {"type", std::string(event_type)},
                  {"message_id", message_id},
                  {"messages", std::move(users)}}}};
    out.push_back({server, edu.dump()});
  }
  return out;
}

absl::Status E2eeManager::ReceiveToDevice(const std::string& origin, const std::string& content) {
  const json edu = json::parse(content, nullptr, false);
  if (!edu.is_object()) return absl::InvalidArgumentError("the content must be an object");
  const std::string* sender = StringField(edu, "sender");
  const std::string* type = StringField(edu, "type");
  const std::string* message_id = StringField(edu, "message_id");
  if (sender == nullptr || type == nullptr || message_id == nullptr || message_id->empty() ||
      message_id->size() > kMaxMessageIdBytes) {
    return absl::InvalidArgumentError("sender, type and message_id are required strings");
  }
  absl::StatusOr<std::string> server = matrix::ServerNameOf(*sender);
  if (!server.ok() || *server != origin) {
    return absl::PermissionDeniedError("a server speaks for its own users");
  }
  ASSIGN_OR_RETURN(std::vector<ToDeviceMessage> messages, ParseSendToDevice(content, limits_));
  ASSIGN_OR_RETURN(std::vector<Delivery> deliveries, LocalDeliveries(messages, *type, *sender));
  if (deliveries.empty()) return absl::OkStatus();
  return store_
      .SendToDevice({federation::RemoteUserUuid(*sender), kRemoteSenderDevice}, *message_id,
                    deliveries, limits_.inbox_size, clock_.Now(), {})
      .status();
}

absl::Status E2eeManager::ReceiveDeviceListUpdate(const std::string& origin,
                                                  const std::string& content) {
  const json edu = json::parse(content, nullptr, false);
  const std::string* user = edu.is_object() ? StringField(edu, "user_id") : nullptr;
  if (user == nullptr) return absl::InvalidArgumentError("user_id is required");
  absl::StatusOr<std::string> server = matrix::ServerNameOf(*user);
  if (!server.ok() || *server != origin) {
    return absl::PermissionDeniedError("a server speaks for its own users");
  }
  // The EDU's keys are not kept: local clients ask the server again
  // (keys/query), which answers the current ones.
  return store_.MarkRemoteDeviceListChange(federation::RemoteUserUuid(*user)).status();
}

}  // namespace messenger::messaging
