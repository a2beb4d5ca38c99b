#include "contact-service/src/domain/friendship.h"

#include <gtest/gtest.h>

namespace messenger::contact {
namespace {

using Code = absl::StatusCode;

PairState S(Link link, bool a_blocks_b = false, bool b_blocks_a = false) {
  return {link, a_blocks_b, b_blocks_a};
}

struct Case {
  const char* name;
  PairState from;
  Action action;
  Code code;        // kOk when allowed
  PairState to;     // when allowed
  Emit emit;        // when allowed
};

// Every action from every reachable state. Reachable: a block never coexists
// with a request or a friendship (blocking clears them).
const Case kCases[] = {
    // None
    {"none/send", S(Link::kNone), Action::kSendRequest, Code::kOk, S(Link::kOutgoing), Emit::kCreated},
    {"none/accept", S(Link::kNone), Action::kAccept, Code::kNotFound, {}, Emit::kNone},
    {"none/decline", S(Link::kNone), Action::kDecline, Code::kNotFound, {}, Emit::kNone},
    {"none/remove", S(Link::kNone), Action::kRemove, Code::kNotFound, {}, Emit::kNone},
    {"none/block", S(Link::kNone), Action::kBlock, Code::kOk, S(Link::kNone, true), Emit::kNone},
    {"none/unblock", S(Link::kNone), Action::kUnblock, Code::kOk, S(Link::kNone), Emit::kNone},
    // Outgoing (A asked B)
    {"out/send", S(Link::kOutgoing), Action::kSendRequest, Code::kOk, S(Link::kOutgoing), Emit::kNone},
    {"out/accept", S(Link::kOutgoing), Action::kAccept, Code::kNotFound, {}, Emit::kNone},
    {"out/decline", S(Link::kOutgoing), Action::kDecline, Code::kNotFound, {}, Emit::kNone},
    {"out/remove", S(Link::kOutgoing), Action::kRemove, Code::kOk, S(Link::kNone), Emit::kNone},
    {"out/block", S(Link::kOutgoing), Action::kBlock, Code::kOk, S(Link::kNone, true), Emit::kNone},
    {"out/unblock", S(Link::kOutgoing), Action::kUnblock, Code::kOk, S(Link::kOutgoing), Emit::kNone},
    // Incoming (B asked A)
    {"in/send", S(Link::kIncoming), Action::kSendRequest, Code::kOk, S(Link::kFriends), Emit::kAccepted},
    {"in/accept", S(Link::kIncoming), Action::kAccept, Code::kOk, S(Link::kFriends), Emit::kAccepted},
    {"in/decline", S(Link::kIncoming), Action::kDecline, Code::kOk, S(Link::kNone), Emit::kNone},
    {"in/remove", S(Link::kIncoming), Action::kRemove, Code::kOk, S(Link::kNone), Emit::kNone},
    {"in/block", S(Link::kIncoming), Action::kBlock, Code::kOk, S(Link::kNone, true), Emit::kNone},
    {"in/unblock", S(Link::kIncoming), Action::kUnblock, Code::kOk, S(Link::kIncoming), Emit::kNone},
    // Friends
    {"friends/send", S(Link::kFriends), Action::kSendRequest, Code::kAlreadyExists, {}, Emit::kNone},
    {"friends/accept", S(Link::kFriends), Action::kAccept, Code::kNotFound, {}, Emit::kNone},
    {"friends/decline", S(Link::kFriends), Action::kDecline, Code::kNotFound, {}, Emit::kNone},
    {"friends/remove", S(Link::kFriends), Action::kRemove, Code::kOk, S(Link::kNone), Emit::kRemoved},
    {"friends/block", S(Link::kFriends), Action::kBlock, Code::kOk, S(Link::kNone, true), Emit::kRemoved},
    {"friends/unblock", S(Link::kFriends), Action::kUnblock, Code::kOk, S(Link::kFriends), Emit::kNone},
    // A blocks B
    {"ablock/send", S(Link::kNone, true), Action::kSendRequest, Code::kPermissionDenied, {}, Emit::kNone},
    {"ablock/accept", S(Link::kNone, true), Action::kAccept, Code::kNotFound, {}, Emit::kNone},
    {"ablock/decline", S(Link::kNone, true), Action::kDecline, Code::kNotFound, {}, Emit::kNone},
    {"ablock/remove", S(Link::kNone, true), Action::kRemove, Code::kNotFound, {}, Emit::kNone},
    {"ablock/block", S(Link::kNone, true), Action::kBlock, Code::kOk, S(Link::kNone, true), Emit::kNone},
    {"ablock/unblock", S(Link::kNone, true), Action::kUnblock, Code::kOk, S(Link::kNone), Emit::kNone},
    // B blocks A
    {"bblock/send", S(Link::kNone, false, true), Action::kSendRequest, Code::kPermissionDenied, {}, Emit::kNone},
    {"bblock/accept", S(Link::kNone, false, true), Action::kAccept, Code::kNotFound, {}, Emit::kNone},
    {"bblock/decline", S(Link::kNone, false, true), Action::kDecline, Code::kNotFound, {}, Emit::kNone},
    {"bblock/remove", S(Link::kNone, false, true), Action::kRemove, Code::kNotFound, {}, Emit::kNone},
    {"bblock/block", S(Link::kNone, false, true), Action::kBlock, Code::kOk, S(Link::kNone, true, true), Emit::kNone},
    {"bblock/unblock", S(Link::kNone, false, true), Action::kUnblock, Code::kOk, S(Link::kNone, false, true), Emit::kNone},
    // Both block
    {"both/send", S(Link::kNone, true, true), Action::kSendRequest, Code::kPermissionDenied, {}, Emit::kNone},
    {"both/accept", S(Link::kNone, true, true), Action::kAccept, Code::kNotFound, {}, Emit::kNone},
    {"both/decline", S(Link::kNone, true, true), Action::kDecline, Code::kNotFound, {}, Emit::kNone},
    {"both/remove", S(Link::kNone, true, true), Action::kRemove, Code::kNotFound, {}, Emit::kNone},
    {"both/block", S(Link::kNone, true, true), Action::kBlock, Code::kOk, S(Link::kNone, true, true), Emit::kNone},
    {"both/unblock", S(Link::kNone, true, true), Action::kUnblock, Code::kOk, S(Link::kNone, false, true), Emit::kNone},
};

TEST(Friendship, EveryActionFromEveryReachableState) {
  for (const Case& c : kCases) {
    auto t = Decide(c.from, c.action);
    EXPECT_EQ(t.status().code(), c.code) << c.name;
    if (c.code == Code::kOk && t.ok()) {
      EXPECT_EQ(t->next, c.to) << c.name;
      EXPECT_EQ(t->emit, c.emit) << c.name;
    }
  }
}

TEST(Friendship, NoTransitionLeavesABlockNextToARequestOrFriendship) {
  const Link links[] = {Link::kNone, Link::kOutgoing, Link::kIncoming, Link::kFriends};
  const Action actions[] = {Action::kSendRequest, Action::kAccept, Action::kDecline,
                            Action::kRemove, Action::kBlock, Action::kUnblock};
  for (Link link : links) {
    for (bool ab : {false, true}) {
      for (bool ba : {false, true}) {
        const PairState from = S(link, ab, ba);
        const bool reachable = link == Link::kNone || (!ab && !ba);
        if (!reachable) continue;
        for (Action action : actions) {
          auto t = Decide(from, action);
          if (!t.ok()) continue;
          if (t->next.a_blocks_b || t->next.b_blocks_a) {
            EXPECT_EQ(t->next.link, Link::kNone);
          }
        }
      }
    }
  }
}

// B's view of the pair is A's view mirrored.
PairState Mirror(const PairState& s) {
  Link link = s.link;
  if (link == Link::kOutgoing) link = Link::kIncoming;
  else if (link == Link::kIncoming) link = Link::kOutgoing;
  return {link, s.b_blocks_a, s.a_blocks_b};
}

TEST(Friendship, CrossingRequestsEndAsFriendsWithOneAcceptance) {
  PairState a_view;  // nothing yet
  auto a_asks = Decide(a_view, Action::kSendRequest);
  ASSERT_TRUE(a_asks.ok());
  EXPECT_EQ(a_asks->emit, Emit::kCreated);
  auto b_asks = Decide(Mirror(a_asks->next), Action::kSendRequest);
  ASSERT_TRUE(b_asks.ok());
  EXPECT_EQ(b_asks->next.link, Link::kFriends);
  EXPECT_EQ(b_asks->emit, Emit::kAccepted);
}

TEST(Friendship, UnblockDoesNotRestoreTheFriendship) {
  auto blocked = Decide(S(Link::kFriends), Action::kBlock);
  ASSERT_TRUE(blocked.ok());
  auto unblocked = Decide(blocked->next, Action::kUnblock);
  ASSERT_TRUE(unblocked.ok());
  EXPECT_EQ(unblocked->next, S(Link::kNone));
  auto again = Decide(unblocked->next, Action::kSendRequest);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->emit, Emit::kCreated);
}

}  // namespace
}  // namespace messenger::contact
