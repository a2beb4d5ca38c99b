#include <stdexcept>
#include <thread>

#include "common/app/process.h"
#include "gtest/gtest.h"

namespace messenger {
namespace {

// A process that dies must say why in its log: the exception's message for
// std::terminate, the signal and a stack for a fatal signal.
TEST(CrashReportDeathTest, AnUncaughtExceptionInAThreadNamesItsMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        InstallCrashReport();
        std::thread([] { throw std::runtime_error("the lease connection vanished"); }).join();
      },
      "uncaught exception: the lease connection vanished");
}

TEST(CrashReportDeathTest, AnAbortNamesTheSignalAndTheStack) {
  if (!CrashReportCoversSignals()) GTEST_SKIP() << "AddressSanitizer reports fatal signals";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        InstallCrashReport();
        std::abort();
      },
      "fatal signal ABRT.*AnAbortNamesTheSignalAndTheStack");
}

}  // namespace
}  // namespace messenger
