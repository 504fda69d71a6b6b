// Parsing the times users type on the command line (--at, --from, --to, --start, --end).
//
// A time is RFC 3339 with a zone (`2026-11-25T09:00:00Z`, `2026-11-25T10:00:00+01:00`),
// `now`, or an offset from now: a sign and one or more amounts with a unit, `+30m`, `-2h`,
// `+1d`, `+1w`, `+1h30m` (units s, m, h, d, w; a day is 24 hours). The CLI sends the
// result to the server as RFC 3339 UTC. Pure functions; `now` is passed in.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace klaxon::cli {

// What ParseTimeArg accepts, for help text and error messages.
inline constexpr std::string_view kTimeArgForms =
    "RFC 3339 like 2026-11-25T09:00:00Z, or now, +30m, -2h, +1d, +1w";

// The time `text` names, or nullopt when it is none of the accepted forms.
std::optional<TimeMs> ParseTimeArg(std::string_view text, TimeMs now);

}  // namespace klaxon::cli
