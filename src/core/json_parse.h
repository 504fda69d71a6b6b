// Parsing untrusted JSON into a value or a 400 Status; never throws. Any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/status.h"

namespace klaxon {

// kBadRequest with the byte offset for malformed input (including numbers out of range).
Result<nlohmann::json> ParseJson(std::string_view text);

}  // namespace klaxon
