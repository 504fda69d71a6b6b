// Request-body validation against the same JSON Schema subset the OpenAPI document
// publishes, so what is documented is what is enforced.
//
// Supported: type (object, string, integer, boolean, number), properties, required,
// additionalProperties:false (the default here: unknown fields are errors), minLength,
// maxLength, minimum, maximum, enum. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace klaxon::api {

// Every violation, each with its JSON pointer; InvalidArgument (422) when any.
Status ValidateBody(const nlohmann::json& schema, const nlohmann::json& value);

// Parses a request body: empty → {} (when allow_empty), malformed → 400 with the position.
Result<nlohmann::json> ParseJsonBody(const std::string& body, bool allow_empty);

}  // namespace klaxon::api
