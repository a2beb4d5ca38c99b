#include "auth-service/src/service/hash_queue.h"

#include <gtest/gtest.h>

#include <future>
#include <latch>

#include "common/status_mapping.h"

namespace messenger::auth {
namespace {

HashQueue::Resume Inline() {
  return [](std::function<void()> next) {
    next();
    return true;
  };
}

TEST(HashQueue, RefusesAtOnceWhenRunningAndWaitingPlacesAreTaken) {
  HashQueue queue(/*workers=*/1, /*max_waiting=*/1, Inline());
  std::latch release(1);
  std::promise<void> first_done, second_done;
  auto a = queue.Admit();
  auto b = queue.Admit();
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = queue.Admit();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(RetryAfter(c.status()).has_value());
  EXPECT_GE(*RetryAfter(c.status()), absl::Seconds(1));

  queue.Run(
      std::move(*a), [&] { release.wait(); },
      [&](absl::Status s) {
        EXPECT_TRUE(s.ok());
        first_done.set_value();
      });
  queue.Run(
      std::move(*b), [] {}, [&](absl::Status) { second_done.set_value(); });
  EXPECT_FALSE(queue.Admit().ok());  // one running, one waiting
  release.count_down();
  first_done.get_future().wait();
  second_done.get_future().wait();
  EXPECT_EQ(queue.admitted(), 0);
  EXPECT_TRUE(queue.Admit().ok());
}

TEST(HashQueue, AnUnusedTicketGivesItsPlaceBack) {
  HashQueue queue(1, 0, Inline());
  {
    auto a = queue.Admit();
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(queue.Admit().ok());
  }
  EXPECT_TRUE(queue.Admit().ok());
}

TEST(HashQueue, ARefusedResumeAnswersWithAnError) {
  HashQueue queue(1, 0, [](std::function<void()>) { return false; });
  std::promise<absl::Status> answer;
  queue.Run(
      *queue.Admit(), [] {}, [&](absl::Status s) { answer.set_value(s); });
  EXPECT_EQ(answer.get_future().get().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace messenger::auth
