#include "profile-service/src/storage/pg_profile_store.h"

#include "absl/strings/str_join.h"
#include "common/status.h"
#include "profile-service/src/storage/queries.h"

namespace messenger::profile {
namespace {

ProfileRecord RecordAt(const pg::Result& r, int i) {
  return {r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2), r.GetString(i, 3),
          r.GetString(i, 4), r.GetBool(i, 5),   r.GetTime(i, 6),   r.GetInt64(i, 7)};
}

std::vector<ProfileRecord> AllRecords(const pg::Result& r) {
  std::vector<ProfileRecord> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) out.push_back(RecordAt(r, i));
  return out;
}

}  // namespace

absl::StatusOr<std::optional<ProfileRecord>> PgProfileStore::Get(const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kGet, {user_id}));
  if (r.rows() == 0) return std::nullopt;
  return RecordAt(r, 0);
}

absl::StatusOr<std::vector<ProfileRecord>> PgProfileStore::GetMany(
    const std::vector<std::string>& user_ids) {
  if (user_ids.empty()) return std::vector<ProfileRecord>{};
  ASSIGN_OR_RETURN(pg::Result r,
                   pool_.Exec(queries::kGetMany, {"{" + absl::StrJoin(user_ids, ",") + "}"}));
  return AllRecords(r);
}

absl::StatusOr<ProfileRecord> PgProfileStore::Update(const std::string& user_id,
                                                     const ProfileChanges& changes, absl::Time now,
                                                     const UpdatedEventFactory& updated) {
  ProfileRecord record;
  RETURN_IF_ERROR(pool_.Transaction([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kUpdate, {user_id, changes.display_name,
                                                              changes.avatar_url, changes.bio, now}));
    if (r.rows() == 0) return absl::NotFoundError("no such profile");
    record = RecordAt(r, 0);
    ASSIGN_OR_RETURN(bus::Event event, updated(record));
    return outbox_.Enqueue(tx, event);
  }));
  return record;
}

absl::StatusOr<std::vector<ProfileRecord>> PgProfileStore::SearchByUsernamePrefix(
    const std::string& pattern, int limit) {
  ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(queries::kSearch, {pattern, limit}));
  return AllRecords(r);
}

absl::Status PgProfileStore::CreateIfMissing(const std::string& user_id,
                                             const std::string& username, absl::Time created_at) {
  return pool_.Exec(queries::kCreate, {user_id, username, created_at}).status();
}

absl::Status PgProfileStore::CreateFromUser(pg::Tx& tx, const std::string& user_id,
                                            const std::string& username, absl::Time created_at) {
  return tx.Exec(queries::kCreate, {user_id, username, created_at}).status();
}

absl::Status PgProfileStore::MarkEmailVerified(pg::Tx& tx, const std::string& user_id) {
  ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kMarkVerified, {user_id}));
  if (r.affected() == 0) {
    return absl::FailedPreconditionError("profile not created yet; retry after user.created");
  }
  return absl::OkStatus();
}

absl::Status PgProfileStore::Deactivate(pg::Tx& tx, const std::string& user_id, bool erase,
                                        absl::Time now, const UpdatedEventFactory& updated) {
  ASSIGN_OR_RETURN(pg::Result r, tx.Exec(queries::kDeactivate, {user_id, now, erase}));
  if (r.rows() == 0) {
    ASSIGN_OR_RETURN(pg::Result known, tx.Exec(queries::kGet, {user_id}));
    if (known.rows() == 0) {
      return absl::FailedPreconditionError("profile not created yet; retry after user.created");
    }
    return absl::OkStatus();  // deactivated before: a redelivery
  }
  if (!erase) return absl::OkStatus();
  ASSIGN_OR_RETURN(bus::Event event, updated(RecordAt(r, 0)));
  return outbox_.Enqueue(tx, event);
}

}  // namespace messenger::profile
