// The friendship state machine between two users, free of IO. Every contact
// action is a transition judged here; storage only loads and saves the pair.
#pragma once

#include "absl/status/statusor.h"

namespace messenger::contact {

// The pair as seen by the acting user A, with B the other user.
enum class Link {
  kNone,
  kOutgoing,  // A asked B
  kIncoming,  // B asked A
  kFriends,
};

struct PairState {
  Link link = Link::kNone;
  bool a_blocks_b = false;
  bool b_blocks_a = false;
  bool operator==(const PairState&) const = default;
};

enum class Action { kSendRequest, kAccept, kDecline, kRemove, kBlock, kUnblock };

// The event a transition publishes.
enum class Emit { kNone, kCreated, kAccepted, kRemoved };

struct Transition {
  PairState next;
  Emit emit = Emit::kNone;
};

// The next state, or why the action is refused: PERMISSION_DENIED (a block),
// NOT_FOUND (no such request / nothing to remove), ALREADY_EXISTS (already
// friends). Sending a request twice is not an error and emits nothing.
absl::StatusOr<Transition> Decide(const PairState& state, Action action);

}  // namespace messenger::contact
