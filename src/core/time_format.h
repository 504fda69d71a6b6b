// RFC 3339 formatting and parsing of UTC millisecond times.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace klaxon {

// "2026-11-25T22:45:41.123Z"
std::string FormatTime(TimeMs t);
// Accepts any UTC offset and 0-9 fractional digits; nullopt when malformed.
std::optional<TimeMs> ParseTime(std::string_view s);
// For people: "2026-11-25 22:45 UTC" (to the minute).
std::string HumanTime(TimeMs t);
// For people, to the minute: "7m", "2h 5m", "1d 0h 30m"; negative counts as 0.
std::string HumanDuration(int64_t ms);

}  // namespace klaxon
