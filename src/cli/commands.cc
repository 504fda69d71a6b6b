#include "cli/commands.h"

#include "cli/handlers.h"
#include "cli/session.h"

namespace klaxon::cli {

namespace {

// Every option, once. Commands list the non-global ones they take.
constexpr OptionSpec kOptions[] = {
    {"server", "URL", "server (env KLAXON_SERVER; default http://127.0.0.1:8080)", true},
    {"token", "TOKEN", "API token (env KLAXON_TOKEN; default: the one login saved)", true},
    {"config", "FILE", "config file (env KLAXON_CLI_CONFIG; default ~/.config/klaxon/cli.json)",
     true},
    {"json", "", "print the server's JSON instead of a table", true},
    {"help", "", "show help", true},
    {"username", "USER", "user name (asked when missing)"},
    {"password", "PASSWORD", "password (env KLAXON_PASSWORD; asked without echo when missing)"},
    {"title", "TITLE", "short title, 1..200 characters"},
    {"severity", "LEVEL", "severity level, e.g. SEV-1 (most severe) .. SEV-4"},
    {"status", "STATUS", "incident status"},
    {"service", "SERVICE", "service id or name"},
    {"description", "TEXT", "longer description"},
    {"impact", "TEXT", "customer impact"},
    {"query", "TEXT", "only incidents with TEXT in the title or description"},
    {"limit", "N", "at most N items per page (1..200, default 50)"},
    {"all", "", "fetch every page, not just the first"},
    {"message", "TEXT", "note to add to the timeline"},
    {"reason", "TEXT", "why, for the timeline"},
    {"summary", "TEXT", "resolution summary"},
    {"name", "NAME", "name"},
    {"owner", "OWNER", "owning team"},
    {"role", "ROLE", "viewer, responder or admin"},
};

constexpr CommandSpec kCommands[] = {
    {"login",
     "",
     {{"username"}, {"password"}},
     "Log in with a password and save an API token in the config file",
     &LoginCommand},
    {"logout", "", {}, "Forget the token saved in the config file", &LogoutCommand},
    {"incident list",
     "",
     {{"status", false, "only this status, or 'open' for all unresolved"},
      {"severity", false, "only this severity level"},
      {"service", false, "only this service (id or name)"},
      {"query"},
      {"limit"},
      {"all"}},
     "List incidents, newest first",
     &IncidentListCommand},
    {"incident show",
     "ID",
     {},
     "Show an incident (42 or INC-42) and its timeline",
     &IncidentShowCommand},
    {"incident declare",
     "",
     {{"title", true},
      {"severity", false, "severity level (default: the least severe)"},
      {"service", false, "affected service (id or name)"},
      {"description"},
      {"impact"}},
     "Declare a new incident and print its reference",
     &IncidentDeclareCommand},
    {"incident ack", "ID", {}, "Acknowledge a triggered incident", &IncidentAckCommand},
    {"incident status",
     "ID STATUS",
     {{"message"}},
     "Move an incident to another status (investigating, monitoring, ...)",
     &IncidentStatusCommand},
    {"incident severity",
     "ID LEVEL",
     {{"reason"}},
     "Change an incident's severity",
     &IncidentSeverityCommand},
    {"incident note",
     "ID TEXT...",
     {},
     "Add a note to an incident's timeline",
     &IncidentNoteCommand},
    {"incident resolve", "ID", {{"summary"}}, "Resolve an incident", &IncidentResolveCommand},
    {"incident reopen", "ID", {{"reason"}}, "Reopen a resolved incident", &IncidentReopenCommand},
    {"service list", "", {}, "List services", &ServiceListCommand},
    {"service create",
     "",
     {{"name", true, "service name"}, {"description"}, {"owner"}},
     "Create a service (admin)",
     &ServiceCreateCommand},
    {"token create",
     "",
     {{"name", true, "token name"}, {"role", true}},
     "Create an API token and print it (shown only once; admin)",
     &TokenCreateCommand},
    {"token list", "", {}, "List API tokens (admin)", &TokenListCommand},
    {"token revoke", "ID", {}, "Revoke an API token (admin)", &TokenRevokeCommand},
};

}  // namespace

std::span<const CommandSpec> CommandTable() { return kCommands; }
std::span<const OptionSpec> OptionTable() { return kOptions; }

int Execute(Context& context, const std::vector<std::string>& args) {
  const Parser parser(CommandTable(), OptionTable());
  const ParseResult parsed = parser.Parse(args);
  if (!parsed.ok()) {
    context.err << "klaxon: " << parsed.error << "\n" << parsed.usage << "\n";
    return kExitUsage;
  }
  const Invocation& invocation = parsed.invocation;
  if (invocation.help) {
    context.out << parser.Help(invocation.help_topic).value_or("");
    return kExitOk;
  }
  try {
    return invocation.command->handler(context, invocation);
  } catch (const nlohmann::json::exception& error) {
    return ReportError(context, std::string("unexpected response from server: ") + error.what());
  }
}

}  // namespace klaxon::cli
