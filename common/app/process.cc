#include "common/app/process.h"

#include <malloc.h>
#include <signal.h>

namespace messenger {

void BlockTerminationSignals() {
  // A handler replaces SIG_IGN (set for background jobs of non-interactive
  // shells), so sigwait sees the signals.
  struct sigaction action {};
  action.sa_handler = [](int) {};
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

MemoryTrimmer::MemoryTrimmer(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, absl::ToChronoNanoseconds(interval), [&] { return stopping_; })) {
      // Trimming holds the allocator's locks: only worth it after a burst left
      // much free heap behind, not every second in steady state.
      if (mallinfo2().fordblks > (16u << 20)) malloc_trim(0);
    }
  });
}

MemoryTrimmer::~MemoryTrimmer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace messenger
