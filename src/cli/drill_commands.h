// `klaxon drills` and `klaxon drill ...`: drill (game day) scenarios, their runs and the
// report of a run (docs/api.md "Drills", drills/drills.h and drills/scenario.h for the JSON).
//
// Internal to src/cli. The handlers are named in the command table (commands.cc); the
// views are pure functions over the server's JSON, exposed for the tests, and never throw
// on an unexpected shape (a missing field shows as "-" or not at all). Times are in UTC.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/args.h"

namespace klaxon::cli {

int DrillListCommand(Context& context, const Invocation& invocation);
int DrillShowCommand(Context& context, const Invocation& invocation);
int DrillCreateCommand(Context& context, const Invocation& invocation);
int DrillUpdateCommand(Context& context, const Invocation& invocation);
int DrillDeleteCommand(Context& context, const Invocation& invocation);
int DrillRunCommand(Context& context, const Invocation& invocation);
int DrillRunsCommand(Context& context, const Invocation& invocation);
int DrillCancelCommand(Context& context, const Invocation& invocation);
int DrillReportCommand(Context& context, const Invocation& invocation);

// "3", "#3", "003" → "3"; nullopt for anything else.
std::optional<std::string> NormalizeDrillRunId(std::string_view text);

// NAME, SERVICE, SEVERITY, TIME LIMIT, RUNS, LAST RUN ("#3 finished (time_limit)").
std::string RenderDrillScenarioTable(const nlohmann::json& scenarios);

// One scenario's fields, then its alerts and its expected actions.
std::string RenderDrillScenario(const nlohmann::json& scenario);

// One run's fields: id, scenario, status, incident, times, result so far.
std::string RenderDrillRun(const nlohmann::json& run);

// ID, SCENARIO, STATUS, INCIDENT, START, END, RESULT.
std::string RenderDrillRunTable(const nlohmann::json& runs);

// A header line with the result and the counts, the run's fields, a table of the targets
// and one of the expected actions (a missed one reads MISSED), then the paging facts.
std::string RenderDrillReport(const nlohmann::json& report);

}  // namespace klaxon::cli
