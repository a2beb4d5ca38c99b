// Storage of contact relations (interface). Transitions of one pair are
// serialized; each runs in one transaction with its event.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/event.h"
#include "common/pg/pg.h"
#include "contact-service/src/domain/friendship.h"

namespace messenger::contact {

struct Contact {
  std::string user_id;
  absl::Time since;
  std::string matrix_id;  // a user of another server: "@local:server"; else empty
};

struct StoredUser {
  std::string matrix_id;  // empty for a local user
};

struct PendingRequests {
  std::vector<Contact> incoming;  // since = when asked
  std::vector<Contact> outgoing;
};

// Builds the event of a transition (nullopt when it emits none).
using TransitionEventFactory =
    std::function<absl::StatusOr<std::optional<bus::Event>>(const Transition& transition)>;

class ContactStore {
 public:
  virtual ~ContactStore() = default;

  // nullopt for an unknown user.
  virtual absl::StatusOr<std::optional<StoredUser>> FindUser(const std::string& user_id) = 0;
  // The local user (not a remote one) with this username.
  virtual absl::StatusOr<std::optional<std::string>> LocalUserId(const std::string& username) = 0;
  // The row of a user of another server (kept if there).
  virtual absl::Status AddRemoteUser(const std::string& user_id, const std::string& matrix_id,
                                     absl::Time now) = 0;
  // Loads the pair (actor, other) under a lock, lets `decide` judge it, saves
  // the new state and enqueues the event. Returns the transition.
  virtual absl::StatusOr<Transition> Apply(
      const std::string& actor, const std::string& other, absl::Time now,
      const std::function<absl::StatusOr<Transition>(const PairState&)>& decide,
      const TransitionEventFactory& event) = 0;
  virtual absl::StatusOr<std::vector<Contact>> ListFriends(const std::string& user_id) = 0;
  virtual absl::StatusOr<PendingRequests> ListRequests(const std::string& user_id) = 0;
  virtual absl::StatusOr<bool> AreFriends(const std::string& a, const std::string& b) = 0;
  // AreFriends of each pair, in one query.
  virtual absl::StatusOr<std::vector<bool>> AreFriends(
      const std::vector<std::pair<std::string, std::string>>& pairs) = 0;

  // The row user.created makes, when none is there yet (its own statement:
  // an account met before its event, ContactManager).
  virtual absl::Status AddUserIfMissing(const std::string& user_id, const std::string& username,
                                        absl::Time created_at) = 0;
  // Consumer effect of user.created.
  virtual absl::Status AddUser(pg::Tx& tx, const std::string& user_id, const std::string& username,
                               absl::Time created_at) = 0;
  // Consumer effect of user.deactivated: the user's relations (friendships
  // and pending requests) and blocks go, the row stays marked closed (a
  // user.created applied later does not reopen it); `removed(other)` is the event,
  // enqueued in `tx`, of each friendship that ended and of each pending
  // request with a user of another server (who hears of it only so).
  virtual absl::Status RemoveUser(
      pg::Tx& tx, const std::string& user_id,
      const std::function<absl::StatusOr<bus::Event>(const Contact& other)>& removed) = 0;
};

}  // namespace messenger::contact
