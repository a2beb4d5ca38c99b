// Trace ids: W3C trace-context ids carried through HTTP, gRPC metadata, NATS
// headers and log lines. The current id is per thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace messenger::trace {

// 32 lowercase hex digits, random.
std::string NewTraceId();

// The trace id of a W3C `traceparent` header ("00-<32 hex>-<16 hex>-<2 hex>"),
// or nullopt when the header is malformed or the id is all zeros.
std::optional<std::string> ParseTraceparent(std::string_view header);

// A `traceparent` header value for the trace id with a fresh span id.
std::string FormatTraceparent(std::string_view trace_id);

// The trace id of the running thread ("" when none).
const std::string& CurrentTraceId();

// Sets the thread's trace id for its lifetime and restores the previous one.
class ScopedTrace {
 public:
  explicit ScopedTrace(std::string trace_id);
  ~ScopedTrace();
  ScopedTrace(const ScopedTrace&) = delete;
  ScopedTrace& operator=(const ScopedTrace&) = delete;

 private:
  std::string previous_;
};

}  // namespace messenger::trace
