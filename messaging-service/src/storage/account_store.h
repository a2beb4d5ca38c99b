// Storage of a user's Matrix client state beside the rooms (V044): account
// data, push rules, room aliases, the public room directory and the queue of
// profile changes to write as member events (interface).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/pg.h"
#include "messaging-service/src/domain/push_rules.h"

namespace messenger::messaging {

struct AccountDataRow {
  std::string room_id;  // "" = global
  std::string type;
  std::string content;  // JSON object text
  int64_t version = 0;
};

// What a sync needs of the account data, in one read.
struct AccountDataChanges {
  std::vector<AccountDataRow> rows;  // after the asked version, oldest first
  int64_t version = 0;               // the user's current version
  int64_t direct_rooms = 0;          // direct rooms joined (DirectRooms' count)
};

struct AliasRow {
  std::string alias;
  std::string room_id;
  std::string creator;  // UUID
};

// A room of the public directory with what its chunk shows.
struct PublicRoomRow {
  std::string room_id;
  std::optional<std::string> name, topic, canonical_alias, avatar_url;
  std::string join_rule;
  std::optional<std::string> history_visibility;
  int64_t joined_members = 0;
};

struct PublicRoomsPage {
  std::vector<PublicRoomRow> rooms;
  int64_t total = 0;  // matching rooms in all pages
};

// A direct room of the user and the other user's Matrix localpart.
struct DirectRoomRow {
  std::string room_id;
  std::string peer_username;
};

// A profile change still to be written into rooms.
struct ProfileUpdateJob {
  std::string user_id;
  std::optional<std::string> displayname, avatar_url;
  std::string after_room;  // rooms up to this id are done
  int64_t revision = 0;
};

// Writes inside one transaction.
class AccountTx {
 public:
  virtual ~AccountTx() = default;
  virtual pg::Tx& tx() = 0;
  // Upserts the row under the next version of the user; returns it.
  virtual absl::StatusOr<int64_t> PutAccountData(const std::string& user_id,
                                                 const std::string& room_id,
                                                 const std::string& type,
                                                 const std::string& content) = 0;
  // The user's push rules, locked until the end of the transaction.
  virtual absl::StatusOr<std::vector<push::StoredRule>> LockPushRules(
      const std::string& user_id) = 0;
  virtual absl::Status PutPushRule(const std::string& user_id, const push::StoredRule& rule) = 0;
  // False when there was no such row.
  virtual absl::StatusOr<bool> DeletePushRule(const std::string& user_id, const std::string& kind,
                                              const std::string& rule_id) = 0;
  // False when the alias is taken.
  virtual absl::StatusOr<bool> InsertAlias(const AliasRow& row, absl::Time at) = 0;
  virtual absl::StatusOr<bool> DeleteAlias(const std::string& alias) = 0;
  virtual absl::Status SetPublished(const std::string& room_id, bool published, absl::Time at) = 0;
  // Queues (or replaces) the user's profile change, starting from the first room.
  virtual absl::Status QueueProfileUpdate(const ProfileUpdateJob& job) = 0;
  // Keeps the published profile with the user (V053) for later join events.
  virtual absl::Status SaveProfile(const ProfileUpdateJob& job) = 0;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  virtual absl::Status Transaction(const std::function<absl::Status(AccountTx&)>& fn) = 0;
  // An AccountTx over a transaction someone else runs (event consumers).
  virtual std::unique_ptr<AccountTx> Within(pg::Tx& tx) = 0;

  virtual absl::StatusOr<std::optional<std::string>> GetAccountData(const std::string& user_id,
                                                                    const std::string& room_id,
                                                                    const std::string& type) = 0;
  // Rows with a version above `since` (oldest first, at most `limit`), the
  // current version and the joined direct rooms' count: one round trip.
  virtual absl::StatusOr<AccountDataChanges> AccountDataSince(const std::string& user_id,
                                                              int64_t since, int limit) = 0;
  virtual absl::StatusOr<std::vector<push::StoredRule>> PushRules(const std::string& user_id) = 0;
  virtual absl::StatusOr<std::vector<DirectRoomRow>> DirectRooms(const std::string& user_id) = 0;

  virtual absl::StatusOr<std::optional<AliasRow>> FindAlias(const std::string& alias) = 0;
  virtual absl::StatusOr<std::vector<std::string>> AliasesOf(const std::string& room_id) = 0;
  virtual absl::StatusOr<bool> IsPublished(const std::string& room_id) = 0;
  // Published rooms whose join rule is public, by most members then room
  // id, from `offset`; `search` (lowercase) filters name, topic and alias.
  virtual absl::StatusOr<PublicRoomsPage> PublicRooms(int64_t offset, int limit,
                                                      const std::string& search) = 0;

  // The oldest queued profile change, if any.
  virtual absl::StatusOr<std::optional<ProfileUpdateJob>> NextProfileUpdate() = 0;
  // The user's joined rooms with ids above `after`, at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> JoinedRoomsAfter(const std::string& user_id,
                                                                    const std::string& after,
                                                                    int limit) = 0;
  // Records progress (`done`: finished) unless a newer revision replaced it.
  virtual absl::Status ProfileUpdateProgress(const std::string& user_id, int64_t revision,
                                             const std::string& after_room, bool done) = 0;
};

}  // namespace messenger::messaging
