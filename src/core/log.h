// Structured logging: one JSON object per line on stderr.
//
// Thread-safe. Never pass secrets as fields; option values marked secret are redacted by
// the config module before they reach here.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace klaxon {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void SetLogLevel(LogLevel level);
// Whether a line at this level is written: check it before building costly fields.
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view msg,
         const nlohmann::json& fields = nlohmann::json::object());
inline void LogInfo(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Log(LogLevel::kWarn, m, f);
}
inline void LogError(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Log(LogLevel::kError, m, f);
}

}  // namespace klaxon
