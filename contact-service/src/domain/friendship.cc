#include "contact-service/src/domain/friendship.h"

namespace messenger::contact {

absl::StatusOr<Transition> Decide(const PairState& state, Action action) {
  Transition t{state, Emit::kNone};
  switch (action) {
    case Action::kSendRequest:
      if (state.a_blocks_b || state.b_blocks_a) {
        return absl::PermissionDeniedError("requests between these users are blocked");
      }
      switch (state.link) {
        case Link::kNone:
          t.next.link = Link::kOutgoing;
          t.emit = Emit::kCreated;
          return t;
        case Link::kOutgoing:
          return t;  // asked already: same answer, nothing new
        case Link::kIncoming:
          // They asked first: asking back accepts.
          t.next.link = Link::kFriends;
          t.emit = Emit::kAccepted;
          return t;
        case Link::kFriends:
          return absl::AlreadyExistsError("already friends");
      }
      break;
    case Action::kAccept:
      if (state.link != Link::kIncoming) return absl::NotFoundError("no request from this user");
      t.next.link = Link::kFriends;
      t.emit = Emit::kAccepted;
      return t;
    case Action::kDecline:
      if (state.link != Link::kIncoming) return absl::NotFoundError("no request from this user");
      t.next.link = Link::kNone;
      return t;
    case Action::kRemove:
      switch (state.link) {
        case Link::kNone:
          return absl::NotFoundError("not a contact");
        case Link::kFriends:
          t.next.link = Link::kNone;
          t.emit = Emit::kRemoved;
          return t;
        case Link::kOutgoing:  // withdraws the request
        case Link::kIncoming:  // same as declining
          t.next.link = Link::kNone;
          return t;
      }
      break;
    case Action::kBlock:
      t.next.a_blocks_b = true;
      t.next.link = Link::kNone;
      if (state.link == Link::kFriends) t.emit = Emit::kRemoved;
      return t;
    case Action::kUnblock:
      t.next.a_blocks_b = false;
      return t;
  }
  return absl::InternalError("unhandled contact action");
}

}  // namespace messenger::contact
