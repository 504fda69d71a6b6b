#include "cli/time_args.h"

#include "core/time_format.h"

namespace klaxon::cli {

namespace {

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMaxOffset = 400LL * 86400 * kSecond;  // Over a year: surely a typo.
constexpr size_t kMaxDigits = 6;

// Milliseconds per `unit`, or 0 for an unknown unit.
TimeMs UnitMs(char unit) {
  switch (unit) {
    case 's':
      return kSecond;
    case 'm':
      return 60 * kSecond;
    case 'h':
      return 3600 * kSecond;
    case 'd':
      return 86400 * kSecond;
    case 'w':
      return 7 * 86400 * kSecond;
    default:
      return 0;
  }
}

// "30m", "1h30m" → milliseconds; nullopt for anything else.
std::optional<TimeMs> ParseOffset(std::string_view text) {
  if (text.empty()) return std::nullopt;
  TimeMs total = 0;
  while (!text.empty()) {
    size_t digits = 0;
    TimeMs amount = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      amount = amount * 10 + (text[digits] - '0');
      if (++digits > kMaxDigits) return std::nullopt;
    }
    if (digits == 0 || digits == text.size()) return std::nullopt;
    const TimeMs unit = UnitMs(text[digits]);
    if (unit == 0) return std::nullopt;
    total += amount * unit;
    if (total > kMaxOffset) return std::nullopt;
    text.remove_prefix(digits + 1);
  }
  return total;
}

}  // namespace

std::optional<TimeMs> ParseTimeArg(std::string_view text, TimeMs now) {
  if (text == "now") return now;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    const std::optional<TimeMs> offset = ParseOffset(text.substr(1));
    if (!offset) return std::nullopt;
    return text.front() == '+' ? now + *offset : now - *offset;
  }
  return ParseTime(text);
}

}  // namespace klaxon::cli
