// Human-readable views of the server's JSON (docs/api.md): tables for lists and a detail
// block with the timeline for one incident.
//
// Rendering never throws on an unexpected shape: a missing or mistyped field shows as
// empty (or "-"), so a newer server cannot crash an older CLI. Times are shown in UTC;
// ages are relative to the `now` passed in. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace klaxon::cli {

// The field as text: strings as they are, numbers and booleans printed, objects and
// arrays as compact JSON, missing or null as "".
std::string FieldText(const nlohmann::json& object, std::string_view key);

// "45s", "12m", "3h", "5d" for the time from `then` to `now` (never negative).
std::string FormatAge(TimeMs then, TimeMs now);

// "2026-11-25T22:45:41.123Z" → "2026-11-25 22:45:41"; other text is returned as it is.
std::string FormatWhen(std::string_view rfc3339);

// REF, SEVERITY, STATUS, SERVICE, AGE, TITLE.
std::string RenderIncidentTable(const nlohmann::json& incidents, TimeMs now);

// The incident's fields, then its timeline when it has one.
std::string RenderIncident(const nlohmann::json& incident, TimeMs now);

// One line per event: time, actor, kind, details.
std::string RenderTimeline(const nlohmann::json& events);

// An event's data as `key=value` pairs (strings with spaces quoted).
std::string DescribeEventData(const nlohmann::json& data);

// ID, NAME, OWNER, DESCRIPTION.
std::string RenderServiceTable(const nlohmann::json& services);

// ID, NAME, ROLE, USER, CREATED, LAST USED, REVOKED.
std::string RenderTokenTable(const nlohmann::json& tokens);

}  // namespace klaxon::cli
