// Human-readable views of the server's JSON (docs/api.md): tables for lists, a detail
// block with the timeline for one incident, and the on-call views (who is on call, shifts,
// schedules, overrides, escalation policies, contact methods, notifications).
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

// The member `key` of `object`, or JSON null when `object` is no object or lacks it.
const nlohmann::json& Member(const nlohmann::json& object, std::string_view key);

// "Label:         value\n" for the detail blocks (values start in column 16, or after one
// space when the label is longer), sanitized for the terminal; "" when `value` is empty.
std::string DetailLine(std::string_view label, const std::string& value);

// The field as text: strings as they are, numbers and booleans printed, objects and
// arrays as compact JSON, missing or null as "".
std::string FieldText(const nlohmann::json& object, std::string_view key);

// A person field: a string, or an object with a username (else a name); "" when absent.
std::string PersonName(const nlohmann::json& object, std::string_view key);

// "45s", "12m", "3h", "5d" for the time from `then` to `now` (never negative).
std::string FormatAge(TimeMs then, TimeMs now);

// "2026-11-25T22:45:41.123Z" → "2026-11-25 22:45:41"; other text is returned as it is.
std::string FormatWhen(std::string_view rfc3339);

// "2026-11-25T22:45:41.123Z" → "2026-11-25T22:45:41Z" (UTC, to the second), for one-line
// confirmations that may be pasted back into --at; other text is returned as it is.
std::string FormatInstant(std::string_view rfc3339);

// REF, SEVERITY, STATUS, SERVICE, AGE, TITLE.
std::string RenderIncidentTable(const nlohmann::json& incidents, TimeMs now);

// The incident's fields, then (when the server sends its `playbook`) the severity's
// classification, war room, ack and resolve targets, update cadence, roles and key
// moments, then its timeline when it has one.
std::string RenderIncident(const nlohmann::json& incident, TimeMs now);

// One line per event: time, actor, kind, details.
std::string RenderTimeline(const nlohmann::json& events);

// An event's data as `key=value` pairs (strings with spaces quoted).
std::string DescribeEventData(const nlohmann::json& data);

// ID, NAME, OWNER, DESCRIPTION.
std::string RenderServiceTable(const nlohmann::json& services);

// ID, NAME, ROLE, USER, CREATED, LAST USED, REVOKED.
std::string RenderTokenTable(const nlohmann::json& tokens);

// The list's `items` rendered with `render`, or "No <noun>.\n" when there are none.
std::string RenderItems(const nlohmann::json& list, std::string (*render)(const nlohmann::json&),
                        std::string_view noun);

// SCHEDULE, ON CALL, UNTIL; one row per {schedule, user, until} entry of GET /oncall.
std::string RenderOnCallTable(const nlohmann::json& entries);

// START, END, USER, SOURCE.
std::string RenderShiftTable(const nlohmann::json& shifts);

// ID, NAME, TIME ZONE, ON CALL NOW, DESCRIPTION.
std::string RenderScheduleTable(const nlohmann::json& schedules);

// The schedule's fields, then its layers.
std::string RenderSchedule(const nlohmann::json& schedule);

// ID, USER, START, END, CREATED BY.
std::string RenderOverrideTable(const nlohmann::json& overrides);

// ID, NAME, STEPS, REPEAT, DEFAULT, DESCRIPTION.
std::string RenderPolicyTable(const nlohmann::json& policies);

// The policy's fields, then its steps.
std::string RenderPolicy(const nlohmann::json& policy);

// "policy Default, step 2 of 3, active, next step at 2026-11-25 22:50:41" for an
// incident's escalation (GET /incidents/{id}/escalation); "no escalation policy" for none.
std::string DescribeEscalation(const nlohmann::json& escalation);

// A user's profile (GET /users/{user}): contact methods, then notification rules.
std::string RenderNotificationSetup(const nlohmann::json& profile);

// ID, INCIDENT, USER, KIND, CHANNEL, ADDRESS, STATUS, ATTEMPTS, CREATED, ERROR.
std::string RenderNotificationTable(const nlohmann::json& notifications);

}  // namespace klaxon::cli
