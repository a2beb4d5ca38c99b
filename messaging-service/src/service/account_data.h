// Matrix account data of a user (global and per room) and push rules, kept
// by messaging (V044). Every change bumps the user's account data version
// and wakes the user's long polls on every replica in its transaction.
// m.direct is computed: the stored content merged with the user's direct
// rooms (a /v1 direct room or a createRoom with is_direct shows at once).
// m.push_rules is computed from the user's rule rows.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/account_store.h"
#include "messaging-service/src/writer/commit_announcer.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

inline constexpr char kDirectType[] = "m.direct";
inline constexpr char kPushRulesType[] = "m.push_rules";
inline constexpr char kFullyReadType[] = "m.fully_read";

struct AccountLimits {
  size_t max_content_bytes = 64 * 1024;  // MESSENGER_ACCOUNT_DATA_MAX_BYTES
};

class AccountDataManager {
 public:
  AccountDataManager(AccountStore& store, MessagingManager& messaging, CommitAnnouncer& announcer,
                     std::string server_name, AccountLimits limits = {});

  // `room_id` "" for global data. INVALID_ARGUMENT for content that is not a
  // JSON object or a bad type, OUT_OF_RANGE past the size bound,
  // FAILED_PRECONDITION for types the server controls (m.fully_read,
  // m.push_rules), PERMISSION_DENIED for a room the user is not in.
  absl::Status Put(const std::string& user_id, const std::string& room_id, const std::string& type,
                   const std::string& content);
  // NOT_FOUND when never set.
  absl::StatusOr<std::string> Get(const std::string& user_id, const std::string& room_id,
                                  const std::string& type);
  // m.direct: stored content plus every direct room of the user.
  absl::StatusOr<nlohmann::json> DirectContent(const std::string& user_id,
                                               const std::optional<std::string>& stored);
  // {"global": {...}}.
  absl::StatusOr<nlohmann::json> PushRules(const std::string& user_id);

  // Push rule changes (kind, rule id as in the path). A default rule cannot
  // be put or deleted (INVALID_ARGUMENT); NOT_FOUND for unknown rules.
  absl::Status PutPushRule(const std::string& user_id, const std::string& kind,
                           const std::string& rule_id, const nlohmann::json& body,
                           const std::optional<std::string>& before,
                           const std::optional<std::string>& after);
  absl::Status DeletePushRule(const std::string& user_id, const std::string& kind,
                              const std::string& rule_id);
  // Either field set changes that field of the rule (own or default).
  absl::Status UpdatePushRule(const std::string& user_id, const std::string& kind,
                              const std::string& rule_id, std::optional<bool> enabled,
                              const std::optional<nlohmann::json>& actions);

  const std::string& server_name() const { return server_name_; }

 private:
  absl::Status CheckInRoom(const std::string& room_id, const std::string& user);
  // Runs `fn` on the user's locked rules, then marks m.push_rules changed and
  // wakes the user, all in one transaction.
  absl::Status ChangeRules(
      const std::string& user,
      const std::function<absl::Status(AccountTx&, std::vector<push::StoredRule>&)>& fn);

  AccountStore& store_;
  MessagingManager& messaging_;
  CommitAnnouncer& announcer_;
  std::string server_name_;
  AccountLimits limits_;
};

// The user id as stored (lowercase UUID); INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> AccountUser(const std::string& user_id);

}  // namespace messenger::messaging
