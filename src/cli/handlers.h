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

// admin_commands.cc
int ServiceListCommand(Context& context, const Invocation& invocation);
int ServiceCreateCommand(Context& context, const Invocation& invocation);
int TokenCreateCommand(Context& context, const Invocation& invocation);
int TokenListCommand(Context& context, const Invocation& invocation);
int TokenRevokeCommand(Context& context, const Invocation& invocation);

}  // namespace klaxon::cli
