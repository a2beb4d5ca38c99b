#include "profile-service/src/service/profile_manager.h"

#include "common/status.h"
#include "common/time_util.h"
#include "messenger/events/v1/events.pb.h"
#include "profile-service/src/domain/profile_rules.h"
#include "profile-service/src/events/profile_events.h"

namespace messenger::profile {

absl::StatusOr<ProfileRecord> ProfileManager::Get(const std::string& user_id) {
  if (!IsUuid(user_id)) return absl::NotFoundError("no such user");
  ASSIGN_OR_RETURN(std::optional<ProfileRecord> record, store_.Get(user_id));
  if (!record) {
    ASSIGN_OR_RETURN(const bool made, CreateFromAccount(user_id));
    if (made) {
      ASSIGN_OR_RETURN(record, store_.Get(user_id));
    }
  }
  if (!record) return absl::NotFoundError("no such user");
  return *record;
}

absl::StatusOr<bool> ProfileManager::CreateFromAccount(const std::string& user_id) {
  if (!account_lookup_) return false;
  ASSIGN_OR_RETURN(std::optional<AuthAccount> account, account_lookup_(user_id));
  // A closed account gets no new profile (its events leave it out of search).
  if (!account.has_value() || account->deactivated) return false;
  // As OnUserCreated does; the event, when it comes, finds the row there.
  RETURN_IF_ERROR(store_.CreateIfMissing(user_id, account->username, account->created_at));
  return true;
}

absl::StatusOr<std::vector<ProfileRecord>> ProfileManager::GetMany(
    const std::vector<std::string>& user_ids) {
  if (user_ids.size() > 500) return absl::InvalidArgumentError("at most 500 user ids at once");
  std::vector<std::string> valid;
  for (const auto& id : user_ids) {
    if (IsUuid(id)) valid.push_back(id);
  }
  return store_.GetMany(valid);
}

absl::StatusOr<ProfileRecord> ProfileManager::Update(const std::string& user_id,
                                                     const ProfileChanges& raw) {
  if (!IsUuid(user_id)) return absl::NotFoundError("no such user");
  ProfileChanges changes;
  if (raw.display_name) {
    ASSIGN_OR_RETURN(changes.display_name, NormalizeDisplayName(*raw.display_name));
  }
  if (raw.avatar_url) {
    ASSIGN_OR_RETURN(changes.avatar_url, NormalizeAvatarUrl(*raw.avatar_url));
  }
  if (raw.bio) {
    ASSIGN_OR_RETURN(changes.bio, NormalizeBio(*raw.bio));
  }
  auto event = [&](const ProfileRecord& updated) { return ProfileUpdatedEvent(updated, clock_, rng_); };
  absl::StatusOr<ProfileRecord> updated = store_.Update(user_id, changes, clock_.Now(), event);
  if (!absl::IsNotFound(updated.status())) return updated;
  ASSIGN_OR_RETURN(const bool made, CreateFromAccount(user_id));
  if (!made) return updated;
  return store_.Update(user_id, changes, clock_.Now(), event);
}

absl::StatusOr<std::vector<ProfileRecord>> ProfileManager::Search(std::string_view query,
                                                                  int limit) {
  ASSIGN_OR_RETURN(std::string pattern, UsernamePrefixPattern(query));
  return store_.SearchByUsernamePrefix(pattern, ClampSearchLimit(limit));
}

absl::Status ProfileManager::OnUserCreated(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserCreated data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id()) || data.username().empty()) {
    return absl::InvalidArgumentError("user.created without user_id or username");
  }
  return store_.CreateFromUser(tx, data.user_id(), data.username(), FromProto(data.created_at()));
}

absl::Status ProfileManager::OnUserEmailVerified(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserEmailVerified data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id())) return absl::InvalidArgumentError("user.email_verified without user_id");
  return store_.MarkEmailVerified(tx, data.user_id());
}

absl::Status ProfileManager::OnUserDeactivated(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserDeactivated data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id())) return absl::InvalidArgumentError("user.deactivated without user_id");
  auto updated = [&](const ProfileRecord& record) {
    return ProfileUpdatedEvent(record, clock_, rng_);
  };
  return store_.Deactivate(tx, data.user_id(), data.erase(), clock_.Now(), updated);
}

}  // namespace messenger::profile
