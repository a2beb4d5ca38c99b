#include "contact-service/src/service/contact_manager.h"

#include "common/status.h"
#include "common/text.h"
#include "common/time_util.h"
#include "contact-service/src/events/contact_events.h"
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
  ASSIGN_OR_RETURN(bool exists, store_.UserExists(other));
  if (!exists) return absl::NotFoundError("no such user");
  const absl::Time now = clock_.Now();
  return store_.Apply(
      actor, other, now, [action](const PairState& state) { return Decide(state, action); },
      [&](const Transition& t) { return FriendshipEvent(t, actor, other, now, clock_, rng_); });
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
  return store_.RemoveUser(tx, user, [&](const std::string& friend_id) -> absl::StatusOr<bus::Event> {
    ASSIGN_OR_RETURN(std::optional<bus::Event> removed,
                     FriendshipEvent(removal, user, friend_id, now, clock_, rng_));
    if (!removed) return absl::InternalError("a removal without its event");
    return *std::move(removed);
  });
}

}  // namespace messenger::contact
