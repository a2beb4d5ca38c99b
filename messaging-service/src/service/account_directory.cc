#include "messaging-service/src/service/account_directory.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/identifiers.h"
#include "messaging-service/src/domain/matrix/power_levels.h"
#include "messaging-service/src/service/account_data.h"

namespace messenger::messaging {
namespace {

constexpr size_t kMaxAliasBytes = 255;
constexpr size_t kMaxSearchBytes = 200;

// Page tokens: "o<offset>".
std::string Token(int64_t offset) { return absl::StrCat("o", offset); }

absl::StatusOr<int64_t> OffsetOf(const std::string& token) {
  int64_t offset = 0;
  if (token.size() < 2 || token[0] != 'o' || !absl::SimpleAtoi(token.substr(1), &offset) ||
      offset < 0) {
    return absl::InvalidArgumentError("'since' is not a token of this server");
  }
  return offset;
}

}  // namespace

AccountDirectory::AccountDirectory(AccountStore& store, MessagingStore& rooms,
                                   MessagingManager& messaging, std::string server_name,
                                   const Clock& clock)
    : store_(store),
      rooms_(rooms),
      messaging_(messaging),
      server_name_(std::move(server_name)),
      clock_(clock) {}

absl::Status AccountDirectory::CheckAliasForm(const std::string& alias) {
  const size_t colon = alias.find(':');
  if (alias.size() > kMaxAliasBytes || alias.size() < 3 || alias[0] != '#' ||
      colon == std::string::npos || colon == 1) {
    return absl::InvalidArgumentError("a room alias is #localpart:server_name");
  }
  const std::string local = alias.substr(1, colon - 1);
  for (char c : local) {
    if (c == ':' || c == '\0' || static_cast<unsigned char>(c) < 0x21) {
      return absl::InvalidArgumentError("the alias localpart has a forbidden character");
    }
  }
  if (!matrix::IsValidServerName(alias.substr(colon + 1))) {
    return absl::InvalidArgumentError("the alias's server name is not valid");
  }
  return absl::OkStatus();
}

absl::Status AccountDirectory::CheckAlias(const std::string& alias) const {
  RETURN_IF_ERROR(CheckAliasForm(alias));
  if (alias.substr(alias.find(':') + 1) != server_name_) {
    return absl::InvalidArgumentError(
        absl::StrCat("aliases of this server end with :", server_name_));
  }
  return absl::OkStatus();
}

absl::Status AccountDirectory::PutAlias(const std::string& user_id, const std::string& alias,
                                        const std::string& room_id) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  RETURN_IF_ERROR(CheckAlias(alias));
  if (!matrix::IsValidRoomId(room_id))
    return absl::InvalidArgumentError("'room_id' is not a room id");
  RETURN_IF_ERROR(messaging_.CheckMember(room_id, user));
  return store_.Transaction([&](AccountTx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool inserted, tx.InsertAlias({alias, room_id, user}, clock_.Now()));
    if (!inserted) return absl::AlreadyExistsError(absl::StrCat(alias, " is taken"));
    return absl::OkStatus();
  });
}

absl::StatusOr<RoomAliasAnswer> AccountDirectory::ResolveAlias(const std::string& alias) {
  RETURN_IF_ERROR(CheckAliasForm(alias));
  if (alias.substr(alias.find(':') + 1) != server_name_) {
    if (!remote_) return absl::NotFoundError(absl::StrCat("no room alias ", alias));
    return remote_(alias);
  }
  ASSIGN_OR_RETURN(std::optional<AliasRow> row, store_.FindAlias(alias));
  if (!row) return absl::NotFoundError(absl::StrCat("no room alias ", alias));
  RoomAliasAnswer answer{row->room_id, {server_name_}};
  ASSIGN_OR_RETURN(std::vector<std::string> others,
                   messaging_.writer().ServersOf(row->room_id));
  answer.servers.insert(answer.servers.end(), others.begin(), others.end());
  return answer;
}

absl::Status AccountDirectory::CheckRoomAdmin(const std::string& user, const std::string& room_id,
                                              const std::string& creator) {
  if (user == creator) return absl::OkStatus();
  RETURN_IF_ERROR(messaging_.CheckMember(room_id, user));
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(user));
  ASSIGN_OR_RETURN(std::optional<std::string> pdu, rooms_.PowerLevelsPdu(room_id));
  if (pdu) {
    nlohmann::json event = nlohmann::json::parse(*pdu, nullptr, false);
    if (!event.is_discarded() && event.contains("content")) {
      ASSIGN_OR_RETURN(matrix::PowerLevels levels,
                       matrix::PowerLevels::FromContent(event["content"]));
      if (levels.UserLevel(mxid) >= levels.EventLevel("m.room.canonical_alias", true)) {
        return absl::OkStatus();
      }
    }
  }
  return absl::PermissionDeniedError(
      "only its creator or a room admin may do this (power to set m.room.canonical_alias)");
}

absl::Status AccountDirectory::DeleteAlias(const std::string& user_id, const std::string& alias) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  RETURN_IF_ERROR(CheckAlias(alias));
  ASSIGN_OR_RETURN(std::optional<AliasRow> row, store_.FindAlias(alias));
  if (!row) return absl::NotFoundError(absl::StrCat("no room alias ", alias));
  RETURN_IF_ERROR(CheckRoomAdmin(user, row->room_id, row->creator));
  return store_.Transaction([&](AccountTx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool deleted, tx.DeleteAlias(alias));
    if (!deleted) return absl::NotFoundError(absl::StrCat("no room alias ", alias));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> AccountDirectory::AliasesOf(const std::string& user_id,
                                                                     const std::string& room_id) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  RETURN_IF_ERROR(messaging_.CheckMember(room_id, user));
  return store_.AliasesOf(room_id);
}

absl::StatusOr<bool> AccountDirectory::IsPublished(const std::string& room_id) {
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, rooms_.GetRoom(room_id));
  if (!room) return absl::NotFoundError("no such room");
  return store_.IsPublished(room_id);
}

absl::Status AccountDirectory::SetPublished(const std::string& user_id, const std::string& room_id,
                                            bool published) {
  ASSIGN_OR_RETURN(std::string user, AccountUser(user_id));
  ASSIGN_OR_RETURN(std::optional<RoomRow> room, rooms_.GetRoom(room_id));
  if (!room) return absl::NotFoundError("no such room");
  if (room->kind == "direct") {
    return absl::PermissionDeniedError("a direct room cannot be published");
  }
  // Membership first: a creator who left no longer decides.
  RETURN_IF_ERROR(messaging_.CheckMember(room_id, user));
  RETURN_IF_ERROR(CheckRoomAdmin(user, room_id, room->creator));
  return store_.Transaction(
      [&](AccountTx& tx) { return tx.SetPublished(room_id, published, clock_.Now()); });
}

absl::StatusOr<PublicRoomsAnswer> AccountDirectory::PublicRooms(const PublicRoomsQuery& query) {
  const int limit = query.limit <= 0 ? kDefaultLimit : std::min(query.limit, kMaxLimit);
  int64_t offset = 0;
  if (!query.since.empty()) {
    ASSIGN_OR_RETURN(offset, OffsetOf(query.since));
  }
  if (query.search.size() > kMaxSearchBytes) {
    return absl::InvalidArgumentError("the search term is at most 200 bytes");
  }
  ASSIGN_OR_RETURN(PublicRoomsPage page,
                   store_.PublicRooms(offset, limit, absl::AsciiStrToLower(query.search)));
  PublicRoomsAnswer answer;
  answer.total = page.rooms.empty() ? offset : page.total;
  if (offset + static_cast<int64_t>(page.rooms.size()) < page.total) {
    answer.next_batch = Token(offset + static_cast<int64_t>(page.rooms.size()));
  }
  if (offset > 0) answer.prev_batch = Token(std::max<int64_t>(0, offset - limit));
  answer.rooms = std::move(page.rooms);
  return answer;
}

}  // namespace messenger::messaging
