#include "messaging-service/src/service/account_data.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status.h"
#include "common/text.h"

namespace messenger::messaging {
namespace {

constexpr size_t kMaxTypeBytes = 255;

}  // namespace

absl::Status AccountDataManager::CheckInRoom(const std::string& room_id, const std::string& user) {
  absl::Status status = messaging_.CheckMember(room_id, user);
  // An unknown room and another's room alike: not the user's to use.
  if (absl::IsNotFound(status)) return absl::PermissionDeniedError("you are not in that room");
  return status;
}

absl::StatusOr<std::string> AccountUser(const std::string& user_id) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  return text::ToLowerAscii(user_id);
}

AccountDataManager::AccountDataManager(AccountStore& store, MessagingManager& messaging,
                                       CommitAnnouncer& announcer, std::string server_name,
                                       AccountLimits limits)
    : store_(store),
      messaging_(messaging),
      announcer_(announcer),
      server_name_(std::move(server_name)),
      limits_(limits) {}

absl::Status AccountDataManager::Put(const std::string& user_id, const std::string& room_id,
                                     const std::string& type, const std::string& content) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  if (type.empty() || type.size() > kMaxTypeBytes) {
    return absl::InvalidArgumentError("the account data type is 1-255 bytes");
  }
  if (type == kFullyReadType || type == kPushRulesType) {
    return absl::FailedPreconditionError(
        absl::StrCat(type, " is controlled by the server; it cannot be set here"));
  }
  if (content.size() > limits_.max_content_bytes) {
    return absl::OutOfRangeError(
        absl::StrCat("account data is limited to ", limits_.max_content_bytes, " bytes"));
  }
  nlohmann::json json = nlohmann::json::parse(content, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError("account data content must be a JSON object");
  }
  if (!room_id.empty()) RETURN_IF_ERROR(CheckInRoom(room_id, user));
  return store_.Transaction([&](AccountTx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.PutAccountData(user, room_id, type, json.dump()).status());
    announcer_.OnCommit(tx.tx(), {user});
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> AccountDataManager::Get(const std::string& user_id,
                                                    const std::string& room_id,
                                                    const std::string& type) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  if (!room_id.empty()) RETURN_IF_ERROR(CheckInRoom(room_id, user));
  if (room_id.empty() && type == kPushRulesType) {
    ASSIGN_OR_RETURN(nlohmann::json rules, PushRules(user));
    return rules.dump();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.GetAccountData(user, room_id, type));
  if (room_id.empty() && type == kDirectType) {
    ASSIGN_OR_RETURN(nlohmann::json direct, DirectContent(user, stored));
    if (!stored && direct.empty()) return absl::NotFoundError("no m.direct account data");
    return direct.dump();
  }
  if (!stored) return absl::NotFoundError(absl::StrCat("no account data of type ", type));
  return *stored;
}

absl::StatusOr<nlohmann::json> AccountDataManager::DirectContent(
    const std::string& user, const std::optional<std::string>& stored) {
  nlohmann::json direct = nlohmann::json::object();
  if (stored) {
    nlohmann::json parsed = nlohmann::json::parse(*stored, nullptr, false);
    if (parsed.is_object()) direct = std::move(parsed);
  }
  ASSIGN_OR_RETURN(std::vector<DirectRoomRow> rooms, store_.DirectRooms(user));
  for (const auto& room : rooms) {
    nlohmann::json& list = direct[absl::StrCat("@", room.peer_username, ":", server_name_)];
    if (!list.is_array()) list = nlohmann::json::array();
    if (std::find(list.begin(), list.end(), room.room_id) == list.end()) {
      list.push_back(room.room_id);
    }
  }
  return direct;
}

}  // namespace messenger::messaging
