// Parsing the ids users type on the command line.
//
// Incidents are addressed as `42`, `INC-42` (any case) or `#42`; the CLI always sends the
// bare number. Tokens and services are plain positive numbers. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace klaxon::cli {

// "42", "INC-42", "inc-42", "#42" → "42" (leading zeros dropped); nullopt for anything else.
std::optional<std::string> NormalizeIncidentId(std::string_view text);

// A decimal integer in 1..2^53 (what JSON numbers carry exactly); nullopt otherwise.
std::optional<int64_t> ParsePositiveInt(std::string_view text);

// "INC-42" for 42.
std::string IncidentRef(std::string_view number);

}  // namespace klaxon::cli
