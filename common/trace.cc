#include "common/trace.h"

#include <sodium.h>

#include "common/crypto.h"

namespace messenger::trace {
namespace {

thread_local std::string current_trace_id;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return HexEncode(raw);
}

}  // namespace

std::string NewTraceId() { return RandomHex(16); }

std::optional<std::string> ParseTraceparent(std::string_view header) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2)
  if (header.size() < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return std::nullopt;
  }
  std::string_view version = header.substr(0, 2);
  std::string_view trace_id = header.substr(3, 32);
  std::string_view parent = header.substr(36, 16);
  std::string_view flags = header.substr(53, 2);
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace_id) || !IsLowerHex(parent) ||
      !IsLowerHex(flags)) {
    return std::nullopt;
  }
  if (version == "00" && header.size() != 55) return std::nullopt;
  if (trace_id == std::string(32, '0')) return std::nullopt;
  return std::string(trace_id);
}

std::string FormatTraceparent(std::string_view trace_id) {
  return "00-" + std::string(trace_id) + "-" + RandomHex(8) + "-01";
}

const std::string& CurrentTraceId() { return current_trace_id; }

ScopedTrace::ScopedTrace(std::string trace_id) : previous_(std::move(current_trace_id)) {
  current_trace_id = std::move(trace_id);
}

ScopedTrace::~ScopedTrace() { current_trace_id = std::move(previous_); }

}  // namespace messenger::trace
