#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

#include "absl/time/clock.h"
#include "common/log_sink.h"
#include "common/time_util.h"
#include "common/trace.h"

namespace messenger::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
std::mutex service_mutex;
std::string service_name = "messenger";
std::mutex sink_mutex;
std::function<void(std::string_view)> sink;
std::atomic<bool> has_sink{false};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void SetLevel(std::string_view level) {
  if (level == "debug") min_level = static_cast<int>(Level::kDebug);
  if (level == "info") min_level = static_cast<int>(Level::kInfo);
  if (level == "warn") min_level = static_cast<int>(Level::kWarn);
  if (level == "error") min_level = static_cast<int>(Level::kError);
}

void SetSink(std::function<void(std::string_view line)> new_sink) {
  std::lock_guard lock(sink_mutex);
  has_sink = new_sink != nullptr;
  sink = std::move(new_sink);
}

void SetService(std::string_view service) {
  std::lock_guard lock(service_mutex);
  service_name = std::string(service);
}

bool Enabled(Level level) { return static_cast<int>(level) >= min_level.load(); }

void Write(Level level, std::string_view message, const nlohmann::json& fields) {
  if (!Enabled(level)) return;
  nlohmann::json line;
  line["ts"] = FormatRfc3339Millis(absl::Now());
  line["level"] = LevelName(level);
  {
    std::lock_guard lock(service_mutex);
    line["service"] = service_name;
  }
  line["msg"] = message;
  if (!trace::CurrentTraceId().empty()) line["trace_id"] = trace::CurrentTraceId();
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  if (has_sink.load()) {
    std::lock_guard lock(sink_mutex);
    if (sink) return sink(text);
  }
  // One fwrite per line keeps lines whole across threads.
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace messenger::log
