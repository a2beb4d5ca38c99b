// Structured logging: one JSON object per line on stderr, with the thread's
// trace id. Never log passwords, tokens or message text.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace messenger::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug" | "info" | "warn" | "error"; unknown names leave the level unchanged.
void SetLevel(std::string_view level);
void SetService(std::string_view service);
bool Enabled(Level level);

// `fields` must be a JSON object (or null); its members are added to the line.
void Write(Level level, std::string_view message, const nlohmann::json& fields = nullptr);

inline void Debug(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kError, m, f); }

}  // namespace messenger::log
