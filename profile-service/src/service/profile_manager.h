// Profile use cases, and the effects of the user.* events.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth_account.h"
#include "common/bus/event.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "profile-service/src/storage/profile_store.h"

namespace messenger::profile {

class ProfileManager {
 public:
  ProfileManager(ProfileStore& store, const Clock& clock, Rng& rng)
      : store_(store), clock_(clock), rng_(rng) {}

  absl::StatusOr<ProfileRecord> Get(const std::string& user_id);
  // At most 500 ids; unknown and malformed ids are left out.
  absl::StatusOr<std::vector<ProfileRecord>> GetMany(const std::vector<std::string>& user_ids);
  absl::StatusOr<ProfileRecord> Update(const std::string& user_id, const ProfileChanges& raw);
  absl::StatusOr<std::vector<ProfileRecord>> Search(std::string_view query, int limit);

  // Consumer handlers (run inside the consumer's transaction).
  absl::Status OnUserCreated(const bus::Event& event, pg::Tx& tx);
  absl::Status OnUserDeactivated(const bus::Event& event, pg::Tx& tx);
  absl::Status OnUserEmailVerified(const bus::Event& event, pg::Tx& tx);

  // An account whose user.created this service has not applied yet, by
  // user id. Set once while wiring; without it such an account has no
  // profile until the event comes.
  void SetAccountLookup(AccountLookup lookup) { account_lookup_ = std::move(lookup); }

 private:
  // Makes the profile user.created would make, when auth knows the account:
  // a profile read or set right after register. False: no such account.
  absl::StatusOr<bool> CreateFromAccount(const std::string& user_id);

  ProfileStore& store_;
  const Clock& clock_;
  Rng& rng_;
  AccountLookup account_lookup_;
};

}  // namespace messenger::profile
