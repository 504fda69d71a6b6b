// The handlers named in the command table (commands.cc), one per subcommand.
//
// Internal to src/cli. Each takes the invocation the parser built (arguments already
// counted, options already checked against the command's list) and returns the exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "core/clock.h"

namespace klaxon::cli {

// login_commands.cc
int LoginCommand(Context& context, const Invocation& invocation);
int LogoutCommand(Context& context, const Invocation& invocation);

// incident_commands.cc
int IncidentListCommand(Context& context, const Invocation& invocation);
int IncidentShowCommand(Context& context, const Invocation& invocation);
int IncidentDeclareCommand(Context& context, const Invocation& invocation);
int IncidentAckCommand(Context& context, const Invocation& invocation);
int IncidentStatusCommand(Context& context, const Invocation& invocation);
int IncidentSeverityCommand(Context& context, const Invocation& invocation);
int IncidentNoteCommand(Context& context, const Invocation& invocation);
int IncidentResolveCommand(Context& context, const Invocation& invocation);
int IncidentReopenCommand(Context& context, const Invocation& invocation);
int IncidentEscalateCommand(Context& context, const Invocation& invocation);
int IncidentRepageCommand(Context& context, const Invocation& invocation);
int IncidentRoleCommand(Context& context, const Invocation& invocation);
int IncidentMarkCommand(Context& context, const Invocation& invocation);
int IncidentUpdateCommand(Context& context, const Invocation& invocation);
int IncidentRunActionCommand(Context& context, const Invocation& invocation);

// admin_commands.cc
int ServiceListCommand(Context& context, const Invocation& invocation);
int ServiceCreateCommand(Context& context, const Invocation& invocation);
int TokenCreateCommand(Context& context, const Invocation& invocation);
int TokenListCommand(Context& context, const Invocation& invocation);
int TokenRevokeCommand(Context& context, const Invocation& invocation);

// oncall_commands.cc
int OnCallNowCommand(Context& context, const Invocation& invocation);
int OnCallShiftsCommand(Context& context, const Invocation& invocation);
int ScheduleListCommand(Context& context, const Invocation& invocation);
int ScheduleShowCommand(Context& context, const Invocation& invocation);
int ScheduleCreateCommand(Context& context, const Invocation& invocation);
int ScheduleReplaceCommand(Context& context, const Invocation& invocation);
int ScheduleDeleteCommand(Context& context, const Invocation& invocation);
int OverrideListCommand(Context& context, const Invocation& invocation);
int OverrideCreateCommand(Context& context, const Invocation& invocation);
int OverrideDeleteCommand(Context& context, const Invocation& invocation);
int PolicyListCommand(Context& context, const Invocation& invocation);
int PolicyShowCommand(Context& context, const Invocation& invocation);

// notify_commands.cc
int NotifyMethodsCommand(Context& context, const Invocation& invocation);
int NotifyAddMethodCommand(Context& context, const Invocation& invocation);
int NotifyAddRuleCommand(Context& context, const Invocation& invocation);
int NotifyTestCommand(Context& context, const Invocation& invocation);
int NotifyVerifyCommand(Context& context, const Invocation& invocation);
int NotifyListCommand(Context& context, const Invocation& invocation);

// intake_commands.cc
int IntegrationListCommand(Context& context, const Invocation& invocation);
int IntegrationShowCommand(Context& context, const Invocation& invocation);
int IntegrationCreateCommand(Context& context, const Invocation& invocation);
int IntegrationUpdateCommand(Context& context, const Invocation& invocation);
int IntegrationRotateKeyCommand(Context& context, const Invocation& invocation);
int IntegrationDeleteCommand(Context& context, const Invocation& invocation);
int IntegrationRequestsCommand(Context& context, const Invocation& invocation);
int SilenceListCommand(Context& context, const Invocation& invocation);
int SilenceCreateCommand(Context& context, const Invocation& invocation);
int SilenceExpireCommand(Context& context, const Invocation& invocation);
int MaintenanceListCommand(Context& context, const Invocation& invocation);
int MaintenanceCreateCommand(Context& context, const Invocation& invocation);
int MaintenanceDeleteCommand(Context& context, const Invocation& invocation);

// status_commands.cc
int StatusShowCommand(Context& context, const Invocation& invocation);
int StatusComponentListCommand(Context& context, const Invocation& invocation);
int StatusComponentAddCommand(Context& context, const Invocation& invocation);
int StatusComponentSetCommand(Context& context, const Invocation& invocation);
int StatusComponentDeleteCommand(Context& context, const Invocation& invocation);
int StatusIncidentListCommand(Context& context, const Invocation& invocation);
int StatusIncidentPublishCommand(Context& context, const Invocation& invocation);
int StatusIncidentUpdateCommand(Context& context, const Invocation& invocation);
int StatusIncidentShowCommand(Context& context, const Invocation& invocation);
int StatusMaintenanceScheduleCommand(Context& context, const Invocation& invocation);

// A component status as the API names it ("partial_outage") from its name or short form
// (operational, degraded, partial, major, maintenance; any case); nullopt for anything else.
std::optional<std::string> ParseComponentStatusArg(std::string_view text);

// The argument parsers of intake_commands.cc, exposed for its tests.

// A label matcher as the API takes it ({"name","op","value"}).
struct MatcherArg {
  std::string name;
  std::string op;  // "=", "!=", "=~" or "!~".
  std::string value;
};

// An Alertmanager-style matcher: `name=value`, `name!=value`, `name=~regex`, `name!~regex`;
// blanks around the name, the operator and an unquoted value are ignored; the value may be
// double-quoted (`name="a b"`, with \" and \\ escapes). A regex must compile (ECMAScript,
// as the server does). Nullopt when malformed, with the reason in `why` when it is given.
std::optional<MatcherArg> ParseMatcherArg(std::string_view text, std::string* why = nullptr);

// A duration such as `90m`, `2h`, `1d`, `1h30m`, `45s` (units s, m, h, d, w) in
// milliseconds; nullopt for anything else, zero included.
std::optional<int64_t> ParseDurationArg(std::string_view text);

// apply_commands.cc: the playbook as configuration.
int ApplyCommand(Context& context, const Invocation& invocation);
int ExportCommand(Context& context, const Invocation& invocation);

// followup_commands.cc: action items and the response report.
int ActionItemListCommand(Context& context, const Invocation& invocation);
int ActionItemCreateCommand(Context& context, const Invocation& invocation);
int ActionItemUpdateCommand(Context& context, const Invocation& invocation);
int ActionItemShowCommand(Context& context, const Invocation& invocation);
int ReportCommand(Context& context, const Invocation& invocation);

// The parsers and views of followup_commands.cc, exposed for its tests.

// "7", "AI-7", "ai-7", "#7" → "7" (leading zeros dropped); nullopt for anything else.
std::optional<std::string> NormalizeActionItemId(std::string_view text);

// "2026-12-20 23:59 CET": `t` in the local time zone (the process's TZ), to the minute.
std::string FormatLocalTime(TimeMs t);

// A due time as the API takes it (RFC 3339 UTC): a date "2026-12-20" is the end of that day
// (23:59:59.999) in the local time zone; otherwise the forms of time_args.h. Nullopt for
// anything else, 2026-02-30 included.
std::optional<std::string> ParseDueArg(std::string_view text, TimeMs now);

// REF, TITLE, INCIDENT, SERVICE, OWNER, PRIORITY, DUE (local time, "(overdue)"), STATUS.
std::string RenderActionItemTable(const nlohmann::json& items);

// One action item's fields (GET /action-items/{id}), times in local time.
std::string RenderActionItem(const nlohmann::json& item);

// The headline numbers of GET /analytics, then short tables by severity, by service and of
// the on-call load.
std::string RenderReport(const nlohmann::json& report);

}  // namespace klaxon::cli
