#include "messaging-service/src/domain/typing_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace messenger::messaging {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
const std::vector<std::string> kBobCarol = {"bob", "carol"};

std::vector<std::string> TypersFor(TypingState& state, const std::string& reader, uint64_t* cursor,
                                   absl::Time now, const std::string& room = "!r:hs") {
  TypingView view = state.For(reader, *cursor, now);
  *cursor = view.cursor;
  for (const TypingEvent& e : view.events) {
    if (e.room_id == room) return e.user_ids;
  }
  return {"<no event>"};
}

TEST(TypingState, StartIsSeenOnceByTheOtherMembersAndStopsAfterTheTimeout) {
  TypingState state;
  uint64_t cursor = state.Cursor();
  auto change = state.Set("!r:hs", "ann", true, absl::Seconds(5), kBobCarol, kT0);
  ASSERT_TRUE(change.ok() && change->has_value());
  EXPECT_TRUE((*change)->wake);
  EXPECT_EQ(TypersFor(state, "bob", &cursor, kT0), std::vector<std::string>{"ann"});
  // Seen: the same cursor shows nothing new.
  EXPECT_TRUE(state.For("bob", cursor, kT0 + absl::Seconds(1)).events.empty());
  // The typer itself is not told.
  EXPECT_TRUE(state.For("ann", 0, kT0).events.empty());
  // Past the timeout the room's members learn it stopped, and are woken.
  std::vector<TypingState::Expired> expired = state.Expire(kT0 + absl::Seconds(5));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].readers, kBobCarol);
  EXPECT_TRUE(expired[0].local);
  EXPECT_EQ(TypersFor(state, "bob", &cursor, kT0 + absl::Seconds(5)), std::vector<std::string>{});
  EXPECT_EQ(state.typing_count(), 0u);
}

TEST(TypingState, StopEndsTypingAndStoppingTwiceChangesNothing) {
  TypingState state;
  uint64_t cursor = state.Cursor();
  ASSERT_TRUE(state.Set("!r:hs", "ann", true, absl::Seconds(5), kBobCarol, kT0).ok());
  EXPECT_EQ(TypersFor(state, "carol", &cursor, kT0), std::vector<std::string>{"ann"});
  auto stop = state.Set("!r:hs", "ann", false, absl::ZeroDuration(), kBobCarol, kT0);
  ASSERT_TRUE(stop.ok() && stop->has_value());
  EXPECT_EQ(TypersFor(state, "carol", &cursor, kT0), std::vector<std::string>{});
  auto again = state.Set("!r:hs", "ann", false, absl::ZeroDuration(), kBobCarol, kT0);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_TRUE(state.Expire(kT0 + absl::Minutes(1)).empty());
}

TEST(TypingState, ARefreshMovesTheExpiryAndWakesNobody) {
  TypingState state;
  ASSERT_TRUE(state.Set("!r:hs", "ann", true, absl::Seconds(5), kBobCarol, kT0).ok());
  auto refresh =
      state.Set("!r:hs", "ann", true, absl::Seconds(5), kBobCarol, kT0 + absl::Seconds(4));
  ASSERT_TRUE(refresh.ok() && refresh->has_value());
  EXPECT_FALSE((*refresh)->wake);
  EXPECT_TRUE(state.Expire(kT0 + absl::Seconds(6)).empty());
  EXPECT_EQ(state.typing_count(), 1u);
  EXPECT_EQ(state.Expire(kT0 + absl::Seconds(9)).size(), 1u);
}

TEST(TypingState, TimeoutOutOfRangeIsRefused) {
  TypingState state;
  for (absl::Duration bad : {absl::ZeroDuration(), absl::Seconds(31), -absl::Seconds(1)}) {
    auto r = state.Set("!r:hs", "ann", true, bad, kBobCarol, kT0);
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << bad;
  }
}

TEST(TypingState, EveryLimitAnswersResourceExhausted) {
  TypingState state({.per_room = 2, .total = 3, .rooms = 3});
  ASSERT_TRUE(state.Set("!a:hs", "u1", true, absl::Seconds(5), {}, kT0).ok());
  ASSERT_TRUE(state.Set("!a:hs", "u2", true, absl::Seconds(5), {}, kT0).ok());
  auto per_room = state.Set("!a:hs", "u3", true, absl::Seconds(5), {}, kT0);
  EXPECT_TRUE(absl::IsResourceExhausted(per_room.status())) << per_room.status();
  ASSERT_TRUE(state.Set("!b:hs", "u3", true, absl::Seconds(5), {}, kT0).ok());
  auto total = state.Set("!c:hs", "u4", true, absl::Seconds(5), {}, kT0);
  EXPECT_TRUE(absl::IsResourceExhausted(total.status())) << total.status();
  EXPECT_EQ(state.typing_count(), 3u);
  // A typer already counted may refresh at the limit.
  EXPECT_TRUE(state.Set("!a:hs", "u1", true, absl::Seconds(5), {}, kT0).ok());
  // Rooms: a fourth room is refused while the others are fresh, accepted
  // once an idle one is past its retention.
  ASSERT_TRUE(state.Set("!a:hs", "u1", false, absl::ZeroDuration(), {}, kT0).ok());
  ASSERT_TRUE(state.Set("!c:hs", "u1", true, absl::Seconds(5), {}, kT0).ok());
  auto rooms = state.Set("!d:hs", "u5", true, absl::Seconds(5), {}, kT0);
  EXPECT_TRUE(absl::IsResourceExhausted(rooms.status())) << rooms.status();
  ASSERT_TRUE(state.Set("!b:hs", "u3", false, absl::ZeroDuration(), {}, kT0).ok());
  EXPECT_TRUE(state.Set("!d:hs", "u5", true, absl::Seconds(5), {}, kT0 + absl::Minutes(3)).ok());
}

TEST(TypingState, ChangesHeardFromAnotherReplicaAreShownAndExpire) {
  TypingState here, there;
  uint64_t cursor = here.Cursor();
  auto change = there.Set("!r:hs", "ann", true, absl::Seconds(5), kBobCarol, kT0);
  ASSERT_TRUE(change.ok() && change->has_value());
  EXPECT_TRUE(here.Apply(**change, kT0));
  EXPECT_FALSE(here.Apply(**change, kT0));  // heard twice: no new change
  EXPECT_EQ(TypersFor(here, "bob", &cursor, kT0), std::vector<std::string>{"ann"});
  std::vector<TypingState::Expired> expired = here.Expire(kT0 + absl::Seconds(5));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_FALSE(expired[0].local);  // the replica that took it wakes the gateways
  EXPECT_EQ(TypersFor(here, "bob", &cursor, kT0 + absl::Seconds(5)), std::vector<std::string>{});
}

TEST(TypingState, StampsMovePastWhatWasHeardAndTheReadersCursor) {
  TypingState a, b;
  // b's clock is behind a's: its next change is still stamped after a's.
  auto first = a.Set("!r:hs", "ann", true, absl::Seconds(5), kBobCarol, kT0);
  ASSERT_TRUE(first.ok() && first->has_value());
  b.Apply(**first, kT0);
  auto second =
      b.Set("!r:hs", "carol", true, absl::Seconds(5), {"ann", "bob"}, kT0 - absl::Seconds(1));
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_GT((*second)->stamp, (*first)->stamp);
  // A reader whose cursor came from elsewhere pushes this replica's clock.
  TypingState c;
  c.For("bob", (*second)->stamp + 100, kT0);
  EXPECT_GE(c.Cursor(), (*second)->stamp + 100);
}

TEST(TypingState, ATokenWithoutACursorSeesOnlyWhoTypesNow) {
  TypingState state;
  ASSERT_TRUE(state.Set("!a:hs", "ann", true, absl::Seconds(5), {"bob"}, kT0).ok());
  ASSERT_TRUE(state.Set("!b:hs", "carol", true, absl::Seconds(5), {"bob"}, kT0).ok());
  ASSERT_TRUE(state.Set("!b:hs", "carol", false, absl::ZeroDuration(), {"bob"}, kT0).ok());
  TypingView view = state.For("bob", 0, kT0);
  ASSERT_EQ(view.events.size(), 1u);
  EXPECT_EQ(view.events[0].room_id, "!a:hs");
  EXPECT_GT(view.cursor, 0u);
}

TEST(TypingState, EachReaderKeepsItsNewestRoomsOnly) {
  TypingState state({.rooms_per_reader = 2});
  uint64_t cursor = state.Cursor();
  for (const char* room : {"!a:hs", "!b:hs", "!c:hs"}) {
    ASSERT_TRUE(state.Set(room, "ann", true, absl::Seconds(5), {"bob"}, kT0).ok());
  }
  TypingView view = state.For("bob", cursor, kT0);
  ASSERT_EQ(view.events.size(), 2u);
  EXPECT_EQ(view.events[0].room_id, "!b:hs");
  EXPECT_EQ(view.events[1].room_id, "!c:hs");
}

}  // namespace
}  // namespace messenger::messaging
