#include "common/wait_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

// Threads of this process, from the kernel's count.
int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(WaitHub, ThousandsOfWaitersHoldNoThreads) {
  std::atomic<int> woken{0};  // before the hub, whose destructor answers its waiters
  WaitHub hub;
  const int threads_before = ThreadCount();
  ASSERT_GT(threads_before, 0);
  for (int i = 0; i < 5000; ++i) {
    const std::string user = "u" + std::to_string(i);
    hub.Wait(user, hub.Version(user), absl::Now() + absl::Seconds(30), [&] { ++woken; });
  }
  // Parked: every Wait returned, nobody was answered, and no thread was
  // started (or is still blocked) for any of them.
  EXPECT_EQ(hub.waiting(), 5000u);
  EXPECT_EQ(woken.load(), 0);
  EXPECT_EQ(ThreadCount(), threads_before);
  std::vector<std::string> all;
  for (int i = 0; i < 5000; ++i) all.push_back("u" + std::to_string(i));
  hub.Notify(all);
  EXPECT_EQ(woken.load(), 5000);
  EXPECT_EQ(hub.waiting(), 0u);
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

TEST(WaitHub, PastTheCapTheOldestWaiterOfAUserIsPushedOut) {
  // Before the hub: its destructor answers the waiters still parked ("g").
  std::vector<std::string> events;
  std::mutex mutex;
  WaitHub hub(WaitHub::Options{.max_waiters_per_user = 2});
  auto record = [&](std::string what) {
    return [&, what] {
      std::lock_guard lock(mutex);
      events.push_back(what);
    };
  };
  const absl::Time later = absl::Now() + absl::Seconds(30);
  hub.Wait("f", hub.Version("f"), later, record("woken 1"), record("evicted 1"));
  hub.Wait("f", hub.Version("f"), later, record("woken 2"), record("evicted 2"));
  hub.Wait("g", hub.Version("g"), later, record("woken g"), record("evicted g"));
  EXPECT_TRUE(events.empty());
  hub.Wait("f", hub.Version("f"), later, record("woken 3"), record("evicted 3"));
  EXPECT_EQ(events, std::vector<std::string>{"evicted 1"});
  EXPECT_EQ(hub.waiting(), 3u);
  hub.Notify({"f"});
  EXPECT_EQ(events, (std::vector<std::string>{"evicted 1", "woken 2", "woken 3"}));
}

TEST(WaitHub, UsersNobodyWaitsForAreForgotten) {
  std::atomic<int> woken{0};  // before the hub, whose destructor answers u0's waiter
  WaitHub hub;
  std::vector<std::string> users;
  for (int i = 0; i < 1000; ++i) users.push_back("u" + std::to_string(i));
  hub.Notify(users);
  hub.Wait("u0", hub.Version("u0"), absl::Now() + absl::Seconds(30), [&] { ++woken; });
  EXPECT_EQ(hub.tracked_users(), 1000u);
  hub.Sweep();
  EXPECT_EQ(hub.tracked_users(), 1u);  // u0 still has a waiter

  // A version read before the sweep still tells a later Notify apart...
  const uint64_t before = hub.Version("u5");
  hub.Sweep();
  hub.Notify({"u5"});
  std::atomic<int> late{0};
  hub.Wait("u5", before, absl::Now() + absl::Seconds(30), [&] { ++late; });
  EXPECT_EQ(late.load(), 1);
  // ...and with nothing new a waiter waits.
  hub.Sweep();
  std::atomic<int> quiet{0};
  hub.Wait("u6", hub.Version("u6"), absl::Now() + absl::Seconds(30), [&] { ++quiet; });
  EXPECT_EQ(quiet.load(), 0);
  hub.Notify({"u6"});
  EXPECT_EQ(quiet.load(), 1);
}

TEST(WaitHub, TheTimerSweeps) {
  WaitHub hub(WaitHub::Options{.sweep_interval = absl::Milliseconds(20)});
  hub.Notify({"a", "b", "c"});
  EXPECT_TRUE(Eventually([&] { return hub.tracked_users() == 0; }));
}

}  // namespace
}  // namespace messenger
