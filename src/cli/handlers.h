// The handlers named in the command table (commands.cc), one per subcommand.
//
// Internal to src/cli. Each takes the invocation the parser built (arguments already
// counted, options already checked against the command's list) and returns the exit code.
#pragma once

#include "cli/args.h"

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

}  // namespace klaxon::cli
