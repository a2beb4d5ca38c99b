// Room aliases of this server and the public room directory (Matrix client
// API "Room discovery"). Aliases name rooms of this server only; a room's
// members may add one, its creator or a member allowed to set
// m.room.canonical_alias may delete it. An alias of another server is asked
// of it (federation query/directory). The public directory lists rooms
// published by such a member whose join rule is public.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/account_store.h"

namespace messenger::messaging {

// The room an alias names and servers in it that may be asked to join it.
struct RoomAliasAnswer {
  std::string room_id;
  std::vector<std::string> servers;
};
// Asks the alias's server (GET /_matrix/federation/v1/query/directory):
// NOT_FOUND when it has no such alias, UNAVAILABLE when it cannot answer.
using RemoteAliasFetch = std::function<absl::StatusOr<RoomAliasAnswer>(const std::string& alias)>;

struct PublicRoomsQuery {
  int limit = 0;       // <= 0: the default
  std::string since;   // a token of an earlier answer, "" for the first page
  std::string search;  // filter.generic_search_term
};

struct PublicRoomsAnswer {
  std::vector<PublicRoomRow> rooms;
  std::optional<std::string> next_batch, prev_batch;
  int64_t total = 0;
};

class AccountDirectory {
 public:
  static constexpr int kDefaultLimit = 50;
  static constexpr int kMaxLimit = 500;

  AccountDirectory(AccountStore& store, MessagingStore& rooms, MessagingManager& messaging,
                   std::string server_name, const Clock& clock);

  // ALREADY_EXISTS when taken, INVALID_ARGUMENT for another server's or a
  // malformed alias, NOT_FOUND / PERMISSION_DENIED for rooms the user is not in.
  absl::Status PutAlias(const std::string& user_id, const std::string& alias,
                        const std::string& room_id);
  // Without it, aliases of other servers are not found.
  void SetRemoteAliases(RemoteAliasFetch fetch) { remote_ = std::move(fetch); }
  // The room an alias names and the servers to join it through (this
  // server first, then those with joined members; another server's alias:
  // its answer); NOT_FOUND when none. (POST /join/{alias} too.)
  absl::StatusOr<RoomAliasAnswer> ResolveAlias(const std::string& alias);
  absl::Status DeleteAlias(const std::string& user_id, const std::string& alias);
  // Aliases of a room the user has joined.
  absl::StatusOr<std::vector<std::string>> AliasesOf(const std::string& user_id,
                                                     const std::string& room_id);
  // The room's directory visibility; NOT_FOUND for an unknown room.
  absl::StatusOr<bool> IsPublished(const std::string& room_id);
  absl::Status SetPublished(const std::string& user_id, const std::string& room_id, bool published);
  absl::StatusOr<PublicRoomsAnswer> PublicRooms(const PublicRoomsQuery& query);

 private:
  // OK when the user created the room or may set its canonical alias.
  absl::Status CheckRoomAdmin(const std::string& user, const std::string& room_id,
                              const std::string& creator);
  // The alias's form; CheckAlias: and that it is of this server.
  static absl::Status CheckAliasForm(const std::string& alias);
  absl::Status CheckAlias(const std::string& alias) const;

  AccountStore& store_;
  MessagingStore& rooms_;
  MessagingManager& messaging_;
  std::string server_name_;
  const Clock& clock_;
  RemoteAliasFetch remote_;
};

}  // namespace messenger::messaging
