// A Report as JSON (for the API and the console) and as CSV (one row per incident, for
// spreadsheets).
//
// JSON: every duration twice, "<name>_ms" (integer milliseconds) and "<name>" (humanised,
// HumanDuration: "4m 30s"); every instant as RFC 3339 UTC with milliseconds
// ("2026-11-25T14:00:00.000Z"); null where there is no value (a Summary with n = 0, an
// open incident's resolution, an unset filter). Top-level keys: period, filters,
// incidents, mtta, time_to_mitigate, mttr, targets, updates, action_items, reviews,
// oncall, by_week (+ by_week_truncated), by_severity, by_service, by_team,
// repeat_offenders, slowest_acks, missed_targets, noise, rows. Strings are passed through
// as given: dump with nlohmann::json::error_handler_t::replace when they may not be UTF-8.
//
// CSV (RFC 4180): a header line, then one line per Report::rows, CRLF line ends. A cell
// containing a comma, a double quote, CR or LF is quoted, quotes doubled. Text that could
// be read as a formula by a spreadsheet — a cell starting with = + - @, tab or CR — gets
// a leading single quote (the OWASP CSV-injection guard); numbers never start with one
// of them here (durations are >= 0).
//
// Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "analytics/analytics.h"

namespace klaxon::analytics {

nlohmann::json ToJson(const Report& report);

// Columns: id, ref, title, severity, service, team, created_at, resolved_at, status
// (open/resolved), drill, noise, reopened, time_to_ack_ms, time_to_mitigate_ms,
// time_to_restore_ms, time_to_resolve_ms, ack_target, resolve_target, rto (met, missed,
// pending or empty without a target), updates_kept, updates_missed, review_late,
// action_items_open, action_items_overdue, action_items_done, alertnames (space-separated).
std::string ToCsv(const Report& report);

// One CSV cell of user text: guarded against formula injection, then quoted when needed.
std::string CsvCell(std::string_view text);

}  // namespace klaxon::analytics
