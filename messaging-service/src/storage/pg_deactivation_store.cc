#include "common/status.h"
#include "messaging-service/src/storage/deactivation_store.h"

namespace messenger::messaging {
namespace {

constexpr pg::Query kRoomsToLeave{
    "deact_rooms_to_leave",
    "SELECT room_id FROM memberships WHERE user_id = $1 AND membership IN ('join', 'invite') "
    "AND room_id > $2 ORDER BY room_id LIMIT $3"};

// Each statement takes the user id as $1.
constexpr pg::Query kDeletes[] = {
    {"deact_delete_account_data", "DELETE FROM account_data WHERE user_id = $1"},
    {"deact_delete_push_rules", "DELETE FROM push_rules WHERE user_id = $1"},
    {"deact_delete_filters", "DELETE FROM matrix_filters WHERE user_id = $1"},
    {"deact_delete_profile_jobs", "DELETE FROM profile_member_updates WHERE user_id = $1"},
};

}  // namespace

absl::StatusOr<std::vector<std::string>> PgDeactivationStore::RoomsToLeave(
    const std::string& user_id, const std::string& after, int limit) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(kRoomsToLeave, {user_id, after, limit}));
  std::vector<std::string> rooms;
  for (int i = 0; i < r.rows(); ++i) rooms.push_back(r.GetString(i, 0));
  return rooms;
}

absl::Status PgDeactivationStore::DeleteAccountData(pg::Tx& tx, const std::string& user_id) {
  for (const pg::Query& query : kDeletes) RETURN_IF_ERROR(tx.Exec(query, {user_id}).status());
  return absl::OkStatus();
}

}  // namespace messenger::messaging
