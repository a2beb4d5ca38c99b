// Contact use cases over the friendship state machine, and the user.created
// consumer effect.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/auth_account.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "contact-service/src/events/contact_events.h"
#include "contact-service/src/storage/contact_store.h"

namespace messenger::contact {

// What another server says one of its users did towards a local user
// (the io.messenger.contact EDU, issue 16).
enum class RemoteAction { kRequest, kAccept, kRemove };

class ContactManager {
 public:
  // `server_name`: this server's Matrix name, to tell local Matrix ids from
  // remote ones.
  ContactManager(ContactStore& store, const Clock& clock, Rng& rng,
                 std::string server_name = "localhost")
      : store_(store), clock_(clock), rng_(rng), server_name_(std::move(server_name)) {}

  // Performs `action` of `actor` towards `other`: INVALID_ARGUMENT for
  // oneself, NOT_FOUND for an unknown user, and Decide()'s refusals.
  absl::StatusOr<Transition> Act(const std::string& actor, const std::string& other,
                                 Action action);
  // The UUID a request's target names: a UUID as is; a Matrix id of this
  // server is that local user (NOT_FOUND if none); one of another server is
  // the remote user's RemoteUserUuid, whose row is added. A malformed
  // Matrix id is INVALID_ARGUMENT.
  absl::StatusOr<std::string> ResolveTarget(const std::string& raw);
  // Applies what the remote user `remote_matrix_id` did towards the local
  // user `local_matrix_id`, idempotently: INVALID_ARGUMENT for ids that are
  // malformed or of the wrong server, NOT_FOUND for an unknown local user.
  // What the state refuses (a block, an accept without a request, nothing
  // to remove) is ignored: OK, nothing changes.
  absl::Status ApplyRemote(const std::string& local_matrix_id,
                           const std::string& remote_matrix_id, RemoteAction action);
  absl::StatusOr<std::vector<Contact>> ListFriends(const std::string& user_id);
  absl::StatusOr<PendingRequests> ListRequests(const std::string& user_id);
  absl::StatusOr<bool> IsFriend(const std::string& a, const std::string& b);
  // IsFriend of each pair in one query; INVALID_ARGUMENT for a bad id or
  // more than kMaxFriendPairs pairs.
  static constexpr size_t kMaxFriendPairs = 1000;
  absl::StatusOr<std::vector<bool>> AreFriends(
      const std::vector<std::pair<std::string, std::string>>& pairs);

  // Accounts whose user.created this service has not applied yet, by user
  // id and by username. Set once while wiring; without them such an account
  // is NOT_FOUND until its event comes.
  void SetAccountLookups(AccountLookup by_id, AccountLookup by_username) {
    account_by_id_ = std::move(by_id);
    account_by_username_ = std::move(by_username);
  }

  absl::Status OnUserCreated(const bus::Event& event, pg::Tx& tx);
  // user.deactivated: the user's relations go, each friendship with a
  // friendship.removed whose remover is the user.
  absl::Status OnUserDeactivated(const bus::Event& event, pg::Tx& tx);

 private:
  // The local user's id after adding the row user.created would add, when
  // `lookup` finds an open account under `key`; nullopt otherwise.
  absl::StatusOr<std::optional<std::string>> UserFromAuth(const AccountLookup& lookup,
                                                          const std::string& key);
  // Act() once both users are known and `parties` filled.
  absl::StatusOr<Transition> Run(FriendshipParties parties, Action action);

  ContactStore& store_;
  const Clock& clock_;
  Rng& rng_;
  std::string server_name_;
  AccountLookup account_by_id_;
  AccountLookup account_by_username_;
};

}  // namespace messenger::contact
