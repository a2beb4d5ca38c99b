// Contact use cases over the friendship state machine, and the user.created
// consumer effect.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "contact-service/src/storage/contact_store.h"

namespace messenger::contact {

class ContactManager {
 public:
  ContactManager(ContactStore& store, const Clock& clock, Rng& rng)
      : store_(store), clock_(clock), rng_(rng) {}

  // Performs `action` of `actor` towards `other`: INVALID_ARGUMENT for
  // oneself, NOT_FOUND for an unknown user, and Decide()'s refusals.
  absl::StatusOr<Transition> Act(const std::string& actor, const std::string& other,
                                 Action action);
  absl::StatusOr<std::vector<Contact>> ListFriends(const std::string& user_id);
  absl::StatusOr<PendingRequests> ListRequests(const std::string& user_id);
  absl::StatusOr<bool> IsFriend(const std::string& a, const std::string& b);
  // IsFriend of each pair in one query; INVALID_ARGUMENT for a bad id or
  // more than kMaxFriendPairs pairs.
  static constexpr size_t kMaxFriendPairs = 1000;
  absl::StatusOr<std::vector<bool>> AreFriends(
      const std::vector<std::pair<std::string, std::string>>& pairs);

  absl::Status OnUserCreated(const bus::Event& event, pg::Tx& tx);
  // user.deactivated: the user's relations go, each friendship with a
  // friendship.removed whose remover is the user.
  absl::Status OnUserDeactivated(const bus::Event& event, pg::Tx& tx);

 private:
  ContactStore& store_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace messenger::contact
