// Helpers the command handlers share: reading options that need more than a lookup (times)
// and request bodies from files.
//
// Internal to src/cli. Each reports what is wrong itself, as a usage error (exit 2) or an
// error (exit 1), and signals it with an empty optional; the handler then returns
// kExitUsage or kExitError.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/clock.h"

namespace klaxon::cli {

// The time the option `name` gives (time_args.h; relative forms count from `now`); nullopt
// after a usage error. An absent option reads as "" and is therefore a usage error too.
std::optional<TimeMs> TimeOption(Context& context, const Invocation& invocation,
                                 std::string_view name, TimeMs now);

// The time option `name` as RFC 3339 UTC, as the API takes it, or "" when the option is
// absent; nullopt after a usage error.
std::optional<std::string> TimeOptionText(Context& context, const Invocation& invocation,
                                          std::string_view name, TimeMs now);

// The JSON object in the file `path` (at most 1 MiB, the server's default --max-body), for
// a request body; nullopt after printing why not (exit 1).
std::optional<nlohmann::json> ReadBodyFile(Context& context, const std::string& path);

}  // namespace klaxon::cli
