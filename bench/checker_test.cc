#include "bench/checker.h"

#include <gtest/gtest.h>

namespace messenger::bench {
namespace {

TEST(DeliveryCheckerTest, EachRecipientOnceIsOk) {
  DeliveryChecker checker;
  checker.Expect("m1", {"a", "b"});
  checker.Acknowledged("m1", "$1");
  EXPECT_FALSE(checker.Complete());
  checker.Observe("a", "m1", "$1");
  checker.Observe("b", "m1", "$1");
  EXPECT_TRUE(checker.Complete());
  const CheckResult r = checker.Finish();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.delivered, 2);
}

TEST(DeliveryCheckerTest, FlagThatDropsOneDeliveryFailsTheRun) {
  DeliveryChecker checker(/*drop_observations=*/1);
  checker.Expect("m1", {"a"});
  checker.Acknowledged("m1", "$1");
  checker.Observe("a", "m1", "$1");
  const CheckResult r = checker.Finish();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.lost, 1);
}

TEST(DeliveryCheckerTest, DuplicateUnexpectedAndWrongIdFail) {
  DeliveryChecker checker;
  checker.Expect("m1", {"a", "b"});
  checker.Acknowledged("m1", "$1");
  checker.Observe("a", "m1", "$1");
  checker.Observe("a", "m1", "$1");     // twice
  checker.Observe("b", "m1", "$2");     // not the id the send returned
  checker.Observe("c", "m1", "$1");     // not a recipient
  checker.Observe("a", "other", "$9");  // not a message of this run
  const CheckResult r = checker.Finish();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.duplicated, 1);
  EXPECT_EQ(r.wrong_id, 1);
  EXPECT_EQ(r.unexpected, 2);
  EXPECT_EQ(r.lost, 0);
}

TEST(DeliveryCheckerTest, SendAndPollErrorsFail) {
  DeliveryChecker checker;
  checker.Expect("m1", {"a"});
  checker.SendFailed("m1", "status 500");
  checker.PollFailed("a", "status 0");
  const CheckResult r = checker.Finish();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.send_errors, 1);
  EXPECT_EQ(r.poll_errors, 1);
  EXPECT_EQ(r.lost, 0);  // never acknowledged: no delivery owed
}

}  // namespace
}  // namespace messenger::bench
