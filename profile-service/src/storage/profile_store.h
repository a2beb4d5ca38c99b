// Storage of profiles (interface). Every method is one transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/pg/pg.h"

namespace messenger::profile {

struct ProfileRecord {
  std::string user_id;
  std::string username;
  std::string display_name;
  std::string avatar_url;
  std::string bio;
  bool email_verified = false;
  absl::Time updated_at;
  int64_t version = 0;
};

// The fields an update sets (absent ones stay).
struct ProfileChanges {
  std::optional<std::string> display_name;
  std::optional<std::string> avatar_url;
  std::optional<std::string> bio;
};

using UpdatedEventFactory = std::function<absl::StatusOr<bus::Event>(const ProfileRecord&)>;

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;

  virtual absl::StatusOr<std::optional<ProfileRecord>> Get(const std::string& user_id) = 0;
  // Profiles of the known ids among `user_ids`.
  virtual absl::StatusOr<std::vector<ProfileRecord>> GetMany(
      const std::vector<std::string>& user_ids) = 0;
  // NOT_FOUND when there is no profile. Enqueues the event of the new state.
  virtual absl::StatusOr<ProfileRecord> Update(const std::string& user_id,
                                               const ProfileChanges& changes, absl::Time now,
                                               const UpdatedEventFactory& updated) = 0;
  // `pattern` from UsernamePrefixPattern.
  virtual absl::StatusOr<std::vector<ProfileRecord>> SearchByUsernamePrefix(
      const std::string& pattern, int limit) = 0;

  // The profile user.created makes, when none is there yet (its own
  // statement: an account met before its event, ProfileManager).
  virtual absl::Status CreateIfMissing(const std::string& user_id, const std::string& username,
                                       absl::Time created_at) = 0;

  // Consumer effects, inside the consumer's transaction.
  virtual absl::Status CreateFromUser(pg::Tx& tx, const std::string& user_id,
                                      const std::string& username, absl::Time created_at) = 0;
  // FAILED_PRECONDITION when the profile does not exist yet (retried later).
  virtual absl::Status MarkEmailVerified(pg::Tx& tx, const std::string& user_id) = 0;
  // user.deactivated: the profile leaves search and, with `erase`, loses its
  // display name, avatar and bio (enqueueing `updated`'s event). Once only;
  // FAILED_PRECONDITION when the profile does not exist yet (retried later).
  virtual absl::Status Deactivate(pg::Tx& tx, const std::string& user_id, bool erase,
                                  absl::Time now, const UpdatedEventFactory& updated) = 0;
};

}  // namespace messenger::profile
