#include "common/app/process.h"

#include <malloc.h>
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "absl/debugging/symbolize.h"

#if defined(__SANITIZE_ADDRESS__)
#define MESSENGER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MESSENGER_ASAN 1
#endif
#endif

namespace messenger {
namespace {

constexpr int kFatalSignals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};

void WriteText(const char* text) { (void)!write(STDERR_FILENO, text, strlen(text)); }

// Async-signal-safe: glibc's unwinder (it needs no frame pointers, it was
// primed outside the handler) and absl's symbolizer, which reads the ELF
// symbol table without allocating.
void ReportFatalSignal(int signal) {
  WriteText("*** fatal signal ");
  WriteText(sigabbrev_np(signal) != nullptr ? sigabbrev_np(signal) : "?");
  WriteText(", stack:\n");
  void* frames[64];
  const int depth = backtrace(frames, 64);
  for (int i = 0; i < depth; ++i) {
    char name[512];
    WriteText("    ");
    // The return address points past the call: look up the call itself.
    void* pc = static_cast<char*>(frames[i]) - 1;
    WriteText(absl::Symbolize(pc, name, sizeof(name)) ? name : "(unknown)");
    WriteText("\n");
  }
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigaction(signal, &fallback, nullptr);
  raise(signal);  // the default action: the exit status still names the signal
}

}  // namespace

bool CrashReportCoversSignals() {
#ifdef MESSENGER_ASAN
  return false;
#else
  return true;
#endif
}

void InstallCrashReport() {
  if (CrashReportCoversSignals()) {
    absl::InitializeSymbolizer("/proc/self/exe");
    void* prime[1];
    backtrace(prime, 1);  // loads the unwinder now, not inside a handler
    struct sigaction action {};
    action.sa_handler = ReportFatalSignal;
    sigemptyset(&action.sa_mask);
    for (int signal : kFatalSignals) sigaction(signal, &action, nullptr);
  }
  std::set_terminate([] {
    if (std::exception_ptr current = std::current_exception()) {
      try {
        std::rethrow_exception(current);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "terminate: uncaught exception: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "terminate: uncaught exception of unknown type\n");
      }
    } else {
      std::fprintf(stderr, "terminate: called without an exception\n");
    }
    std::fflush(stderr);
    std::abort();  // the signal handler adds the stack
  });
}

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
