// Process-wide plumbing of the server binaries: termination signals and
// giving freed heap back to the system.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace messenger {

// On a crash (a fatal signal, or std::terminate with its exception's
// message) writes the reason and a symbolized stack to stderr before dying,
// so the log of a process that aborted says why.
void InstallCrashReport();
// False under AddressSanitizer: its own report covers the fatal signals.
bool CrashReportCoversSignals();

// Blocks SIGINT and SIGTERM for every thread created afterwards; call first in main().
void BlockTerminationSignals();
// Waits for SIGINT or SIGTERM; returns its number.
int WaitForTerminationSignal();

// Gives freed heap back to the system every `interval` (glibc keeps it
// otherwise: a burst of 10,000 requests left ~15 KiB per idle connection).
class MemoryTrimmer {
 public:
  explicit MemoryTrimmer(absl::Duration interval);
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace messenger
