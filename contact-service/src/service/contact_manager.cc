#include "contact-service/src/service/contact_manager.h"

#include "common/matrix_ids.h"
#include "common/matrix_user_uuid.h"
#include "common/status.h"
#include "common/text.h"
#include "common/time_util.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::contact {
namespace {

// Lowercase UUID: pairs are ordered and locked by their text.
absl::StatusOr<std::string> UserId(const std::string& raw, absl::StatusCode code) {
  if (!IsUuid(raw)) return absl::Status(code, "user_id must be a UUID");
  return text::ToLowerAscii(raw);
}

}  // namespace

absl::StatusOr<Transition> ContactManager::Act(const std::string& actor_raw,
                                               const std::string& other_raw, Action action) {
  ASSIGN_OR_RETURN(std::string actor, UserId(actor_raw, absl::StatusCode::kInvalidArgument));
  ASSIGN_OR_RETURN(std::string other, UserId(other_raw, absl::StatusCode::kNotFound));
  if (actor == other) return absl::InvalidArgumentError("that is yourself");
  ASSIGN_OR_RETURN(std::optional<StoredUser> found, store_.FindUser(other));
  if (!found) {
    ASSIGN_OR_RETURN(std::optional<std::string> local, UserFromAuth(account_by_id_, other));
    if (!local) return absl::NotFoundError("no such user");
    found = StoredUser{};  // a local user: no Matrix id of another server
  }
  return Run({actor, other, found->matrix_id, actor}, action);
}

absl::StatusOr<std::optional<std::string>> ContactManager::UserFromAuth(
    const AccountLookup& lookup, const std::string& key) {
  if (!lookup) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<AuthAccount> account, lookup(key));
  // A closed account stays closed (user.deactivated marks its row).
  if (!account.has_value() || account->deactivated || !IsUuid(account->user_id)) {
    return std::nullopt;
  }
  const std::string user_id = text::ToLowerAscii(account->user_id);
  RETURN_IF_ERROR(store_.AddUserIfMissing(user_id, account->username, account->created_at));
  return user_id;
}

absl::StatusOr<Transition> ContactManager::Run(FriendshipParties parties, Action action) {
  const absl::Time now = clock_.Now();
  const bool across = !parties.remote_matrix_id.empty();
  auto decide = [&](const PairState& state) -> absl::StatusOr<Transition> {
    ASSIGN_OR_RETURN(Transition t, Decide(state, action));
    // The other server hears of a request that ended (declined, withdrawn)
    // only through an event.
    if (across && t.emit == Emit::kNone && state.link != Link::kNone &&
        state.link != Link::kFriends && t.next.link == Link::kNone) {
      t.emit = Emit::kRemoved;
    }
    return t;
  };
  return store_.Apply(parties.actor, parties.other, now, decide, [&](const Transition& t) {
    return FriendshipEvent(t, parties, now, clock_, rng_);
  });
}

absl::StatusOr<std::string> ContactManager::ResolveTarget(const std::string& raw) {
  if (raw.empty() || raw[0] != '@') return raw;  // a UUID, judged by Act()
  if (!matrix::IsValidUserId(raw)) {
    return absl::InvalidArgumentError("user_id must be a UUID or a Matrix user id");
  }
  ASSIGN_OR_RETURN(std::string server, matrix::ServerNameOf(raw));
  if (server == server_name_) {
    const std::string username = raw.substr(1, raw.size() - server.size() - 2);
    ASSIGN_OR_RETURN(std::optional<std::string> local, store_.LocalUserId(username));
    if (!local) {
      ASSIGN_OR_RETURN(local, UserFromAuth(account_by_username_, username));
    }
    if (!local) return absl::NotFoundError("no such user");
    return *local;
  }
  std::string id = RemoteUserUuid(raw);
  RETURN_IF_ERROR(store_.AddRemoteUser(id, raw, clock_.Now()));
  return id;
}

absl::Status ContactManager::ApplyRemote(const std::string& local_matrix_id,
                                         const std::string& remote_matrix_id,
                                         RemoteAction remote_action) {
  if (!matrix::IsValidUserId(local_matrix_id) || !matrix::IsValidUserId(remote_matrix_id)) {
    return absl::InvalidArgumentError("malformed Matrix user id");
  }
  ASSIGN_OR_RETURN(std::string local_server, matrix::ServerNameOf(local_matrix_id));
  ASSIGN_OR_RETURN(std::string remote_server, matrix::ServerNameOf(remote_matrix_id));
  if (local_server != server_name_ || remote_server == server_name_) {
    return absl::InvalidArgumentError("the users must be of this server and of another");
  }
  ASSIGN_OR_RETURN(std::string local, ResolveTarget(local_matrix_id));
  ASSIGN_OR_RETURN(std::string remote, ResolveTarget(remote_matrix_id));
  Action action = Action::kRemove;
  std::string accepted_by = remote;
  switch (remote_action) {
    case RemoteAction::kRequest:
      action = Action::kSendRequest;
      // Meeting the local user's own request: they accepted, so their
      // server answers with an accept.
      accepted_by = local;
      break;
    case RemoteAction::kAccept:
      action = Action::kAccept;  // only an outgoing request of the local user
      break;
    case RemoteAction::kRemove:
      break;
  }
  absl::Status status = Run({remote, local, remote_matrix_id, accepted_by}, action).status();
  // A server cannot force a friendship, nor learn of a block.
  if (absl::IsPermissionDenied(status) || absl::IsNotFound(status) ||
      absl::IsAlreadyExists(status)) {
    return absl::OkStatus();
  }
  return status;
}

absl::StatusOr<std::vector<Contact>> ContactManager::ListFriends(const std::string& user_id) {
  ASSIGN_OR_RETURN(std::string id, UserId(user_id, absl::StatusCode::kInvalidArgument));
  return store_.ListFriends(id);
}

absl::StatusOr<PendingRequests> ContactManager::ListRequests(const std::string& user_id) {
  ASSIGN_OR_RETURN(std::string id, UserId(user_id, absl::StatusCode::kInvalidArgument));
  return store_.ListRequests(id);
}

absl::StatusOr<bool> ContactManager::IsFriend(const std::string& a_raw, const std::string& b_raw) {
  ASSIGN_OR_RETURN(std::string a, UserId(a_raw, absl::StatusCode::kInvalidArgument));
  ASSIGN_OR_RETURN(std::string b, UserId(b_raw, absl::StatusCode::kInvalidArgument));
  if (a == b) return false;
  return store_.AreFriends(a, b);
}

absl::StatusOr<std::vector<bool>> ContactManager::AreFriends(
    const std::vector<std::pair<std::string, std::string>>& raw_pairs) {
  if (raw_pairs.size() > kMaxFriendPairs) return absl::InvalidArgumentError("too many pairs");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [a_raw, b_raw] : raw_pairs) {
    ASSIGN_OR_RETURN(std::string a, UserId(a_raw, absl::StatusCode::kInvalidArgument));
    ASSIGN_OR_RETURN(std::string b, UserId(b_raw, absl::StatusCode::kInvalidArgument));
    pairs.emplace_back(std::move(a), std::move(b));
  }
  // Oneself is never a friend; the pair order needs no such row.
  return store_.AreFriends(pairs);
}

absl::Status ContactManager::OnUserCreated(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserCreated data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id())) return absl::InvalidArgumentError("user.created without user_id");
  return store_.AddUser(tx, text::ToLowerAscii(data.user_id()), data.username(),
                        FromProto(data.created_at()));
}

absl::Status ContactManager::OnUserDeactivated(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserDeactivated data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id())) return absl::InvalidArgumentError("user.deactivated without user_id");
  const std::string user = text::ToLowerAscii(data.user_id());
  const absl::Time now = clock_.Now();
  Transition removal;
  removal.emit = Emit::kRemoved;
  // Like an unfriend by the user: a remote party's server hears of it.
  return store_.RemoveUser(tx, user, [&](const Contact& other) -> absl::StatusOr<bus::Event> {
    ASSIGN_OR_RETURN(
        std::optional<bus::Event> removed,
        FriendshipEvent(removal, {user, other.user_id, other.matrix_id, ""}, now, clock_, rng_));
    if (!removed) return absl::InternalError("a removal without its event");
    return *std::move(removed);
  });
}

}  // namespace messenger::contact
