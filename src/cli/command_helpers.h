// Helpers the command handlers share: reading options that need more than a lookup (times)
// and request bodies from files.
//
// Internal to src/cli. Each reports what is wrong itself, as a usage error (exit 2) or an
// error (exit 1), and signals it with an empty optional; the handler then returns
// kExitUsage or kExitError.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/session.h"
#include "core/clock.h"

namespace klaxon::cli {

// "a, b or c" for `choices`.
std::string ChoiceList(std::span<const std::string_view> choices);

// The option `name` lowercased with '-' read as '_' ("in-progress" → "in_progress"), one of
// `choices`; nullopt after a usage error.
std::optional<std::string> ChoiceOption(Context& context, const Invocation& invocation,
                                        std::string_view name,
                                        std::span<const std::string_view> choices);

// Whether to print JSON: `-o json` (or table) or the global --json; nullopt after a usage
// error.
std::optional<bool> JsonOutput(Context& context, const Invocation& invocation);

// Sends the request on its own client; the response whatever its status, or nullopt after
// printing why none arrived.
std::optional<HttpResponse> SendRequest(Context& context, const Session& session,
                                        std::string method, std::string path,
                                        std::optional<std::string> body = std::nullopt);

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
