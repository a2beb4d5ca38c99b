// The contact policy's memory (a remembered "yes" per pair, confirmed with
// the contact service once per commit batch) and the event consumers.
#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/text.h"
#include "messaging-service/src/domain/conversation_rules.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {

absl::StatusOr<bool> MessagingManager::AreFriends(const std::string& a, const std::string& b) {
  if (KnownFriends(a, b)) return true;
  const std::string key = DirectKey(a, b);
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(bool friends, friends_.AreFriends(a, b));
  if (friends) {
    // friendship.removed evicts it at once; the bound covers a lost event.
    friends_until_.Put(key, now + absl::Minutes(5));
  }
  return friends;
}

std::vector<absl::Status> MessagingManager::ConfirmFriendships(
    const std::vector<const FastMessage*>& messages) {
  static metrics::Counter& refused = metrics::Registry::Default().GetCounter(
      "messaging_direct_sends_refused_total",
      "Direct messages refused at commit: the friendship had ended", {});
  std::vector<absl::Status> verdicts(messages.size());
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<size_t> direct;  // indexes of the messages behind `pairs`
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!messages[i]->direct_key) continue;
    pairs.push_back(DirectPair(*messages[i]->direct_key));
    direct.push_back(i);
  }
  if (pairs.empty()) return verdicts;
  absl::StatusOr<std::vector<bool>> friends = friends_.AreFriendsMany(pairs);
  if (friends.ok() && friends->size() != pairs.size()) {
    friends = absl::UnavailableError("cannot check the friendship now");
  }
  for (size_t j = 0; j < direct.size(); ++j) {
    const size_t i = direct[j];
    if (!friends.ok()) {
      verdicts[i] = friends.status();
    } else if (!(*friends)[j]) {
      refused.Inc();
      friends_until_.Erase(*messages[i]->direct_key);
      verdicts[i] = CheckDirectSend(false);
    }
  }
  return verdicts;
}

std::optional<bool> MessagingManager::KnownFriends(const std::string& a, const std::string& b) {
  std::optional<absl::Time> until = friends_until_.Get(DirectKey(a, b));
  if (until && clock_.Now() < *until) return true;
  return std::nullopt;
}

std::string MessagingManager::KnownRoomOf(const SendInput& in) {
  if (in.conversation_id) return *in.conversation_id;
  if (!in.to_user_id || !IsUuid(in.sender_id) || !IsUuid(*in.to_user_id)) return "";
  std::optional<RoomRow> room = CachedDirectRoom(
      DirectKey(text::ToLowerAscii(in.sender_id), text::ToLowerAscii(*in.to_user_id)));
  return room ? room->room_id : "";
}

absl::Status MessagingManager::OnFriendshipHeard(const bus::Event& event) {
  if (event.type != "friendship.removed") return absl::OkStatus();
  events::v1::FriendshipRemoved data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_a()) || !IsUuid(data.user_b())) {
    return absl::InvalidArgumentError("friendship event without users");
  }
  friends_until_.Erase(DirectKey(data.user_a(), data.user_b()));
  return absl::OkStatus();
}

absl::Status MessagingManager::OnUserCreated(const bus::Event& event, pg::Tx& tx) {
  events::v1::UserCreated data;
  RETURN_IF_ERROR(event.DataTo(data));
  if (!IsUuid(data.user_id()) || data.username().empty()) {
    return absl::InvalidArgumentError("user.created without user_id or username");
  }
  return store_.Within(tx)->AddUser(text::ToLowerAscii(data.user_id()), data.username());
}

absl::Status MessagingManager::OnFriendshipEvent(const bus::Event& event, pg::Tx& tx) {
  auto mtx = store_.Within(tx);
  std::vector<std::string> notify;
  // User ids as stored and as sync asks for them (the wake log's readers).
  auto notice = [&](const std::string& raw_user, const std::string& kind,
                    const std::string& other) {
    const std::string user = text::ToLowerAscii(raw_user);
    notify.push_back(user);
    return mtx->InsertNotice(user, kind, std::nullopt, other);
  };
  if (event.type == "friendship.created") {
    events::v1::FriendshipCreated data;
    RETURN_IF_ERROR(event.DataTo(data));
    RETURN_IF_ERROR(notice(data.addressee_id(), "contact_request", data.requester_id()));
  } else if (event.type == "friendship.accepted" || event.type == "friendship.removed") {
    const bool accepted = event.type == "friendship.accepted";
    std::string a, b;
    if (accepted) {
      events::v1::FriendshipAccepted data;
      RETURN_IF_ERROR(event.DataTo(data));
      a = data.user_a();
      b = data.user_b();
    } else {
      events::v1::FriendshipRemoved data;
      RETURN_IF_ERROR(event.DataTo(data));
      a = data.user_a();
      b = data.user_b();
    }
    if (!IsUuid(a) || !IsUuid(b))
      return absl::InvalidArgumentError("friendship event without users");
    if (!accepted) {
      friends_until_.Erase(DirectKey(a, b));
    }
    // Removing the friendship makes the pair's direct room read-only; a new
    // friendship opens the same room again (history kept).
    RETURN_IF_ERROR(mtx->SetDirectReadOnly(DirectKey(a, b), !accepted));
    const std::string kind = accepted ? "contact_accepted" : "contact_removed";
    RETURN_IF_ERROR(notice(a, kind, b));
    RETURN_IF_ERROR(notice(b, kind, a));
  } else {
    return absl::OkStatus();
  }
  announcer_.OnCommit(tx, std::move(notify));
  return absl::OkStatus();
}

}  // namespace messenger::messaging
