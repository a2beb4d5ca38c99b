#include "common/wait_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/time/clock.h"

namespace messenger {
namespace {

bool Eventually(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST(WaitHub, NotifyWakesOnlyThatUsersWaiters) {
  WaitHub hub;
  std::atomic<int> alice{0}, bob{0};
  hub.Wait("alice", hub.Version("alice"), absl::Now() + absl::Seconds(30), [&] { ++alice; });
  hub.Wait("bob", hub.Version("bob"), absl::Now() + absl::Seconds(30), [&] { ++bob; });
  EXPECT_EQ(hub.waiting(), 2u);
  hub.Notify({"alice"});
  EXPECT_EQ(alice.load(), 1);
  EXPECT_EQ(bob.load(), 0);
  EXPECT_EQ(hub.waiting(), 1u);
  hub.Notify({"alice"});  // nobody waits for alice any more
  EXPECT_EQ(alice.load(), 1);
}

TEST(WaitHub, DeadlineWakesExactlyOnce) {
  WaitHub hub;
  std::atomic<int> woken{0};
  hub.Wait("carol", hub.Version("carol"), absl::Now() + absl::Milliseconds(20), [&] { ++woken; });
  ASSERT_TRUE(Eventually([&] { return woken.load() == 1; }));
  hub.Notify({"carol"});
  EXPECT_EQ(woken.load(), 1);
  EXPECT_EQ(hub.waiting(), 0u);
}

TEST(WaitHub, ANotificationBetweenLookAndWaitIsNotMissed) {
  WaitHub hub;
  const uint64_t seen = hub.Version("dave");
  hub.Notify({"dave"});  // arrives after the look, before the wait
  std::atomic<int> woken{0};
  hub.Wait("dave", seen, absl::Now() + absl::Seconds(30), [&] { ++woken; });
  EXPECT_EQ(woken.load(), 1);
  EXPECT_EQ(hub.waiting(), 0u);
}

TEST(WaitHub, ThousandsOfWaitersHoldNoThreads) {
  WaitHub hub;
  std::atomic<int> woken{0};
  for (int i = 0; i < 5000; ++i) {
    const std::string user = "u" + std::to_string(i);
    hub.Wait(user, hub.Version(user), absl::Now() + absl::Seconds(30), [&] { ++woken; });
  }
  EXPECT_EQ(hub.waiting(), 5000u);
  std::vector<std::string> all;
  for (int i = 0; i < 5000; ++i) all.push_back("u" + std::to_string(i));
  hub.Notify(all);
  EXPECT_EQ(woken.load(), 5000);
}

TEST(WaitHub, StopWakesEveryone) {
  std::atomic<int> woken{0};
  {
    WaitHub hub;
    hub.Wait("e", 0, absl::Now() + absl::Seconds(30), [&] { ++woken; });
    hub.Stop();
  }
  EXPECT_EQ(woken.load(), 1);
}

}  // namespace
}  // namespace messenger
