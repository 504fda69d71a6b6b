// `klaxon login` and `klaxon logout`: getting an API token with a password and keeping it
// in the config file.
#include <string>

#include "cli/handlers.h"
#include "cli/session.h"
#include "cli/table.h"

namespace klaxon::cli {

namespace {

// The option's value, else the environment variable, else the user's answer.
std::optional<std::string> OptionOrAsk(Context& context, const Invocation& invocation,
                                       std::string_view option, std::string_view variable,
                                       std::string_view prompt, bool secret) {
  if (invocation.Has(option)) return invocation.Get(option);
  if (!variable.empty()) {
    if (auto value = context.env.Get(variable)) return value;
  }
  return context.prompter.Ask(prompt, secret);
}

}  // namespace

int LoginCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kNone);
  if (!session) return kExitError;
  const std::optional<std::string> username =
      OptionOrAsk(context, invocation, "username", "", "Username: ", false);
  if (!username || username->empty()) return ReportUsage(context, invocation, "no username given");
  const std::optional<std::string> password =
      OptionOrAsk(context, invocation, "password", "KLAXON_PASSWORD", "Password: ", true);
  if (!password) {
    return ReportUsage(context, invocation,
                       "no password given (use --password, KLAXON_PASSWORD or a terminal)");
  }

  const std::string host = context.hostname.empty() ? "unknown" : context.hostname;
  const nlohmann::json body = {
      {"username", *username}, {"password", *password}, {"token_name", "cli@" + host}};
  std::optional<nlohmann::json> response = session->Call("POST", "/api/v1/auth/login", &body);
  if (!response) return kExitError;
  const auto token = response->find("token");
  if (!response->is_object() || token == response->end() || !token->is_string() ||
      token->get<std::string>().empty()) {
    return ReportError(context, "unexpected response from " + session->connection().server +
                                    ": the login did not return a token");
  }

  ConfigFile& config = session->config();
  config.data["server"] = session->connection().server;
  config.data["token"] = *token;
  const Status saved = SaveConfigFile(config);
  if (!saved.ok()) return ReportError(context, saved.message());

  if (session->json_output()) {
    response->erase("token");  // The token goes to the config file, never to the screen.
    session->PrintJson(*response);
    return kExitOk;
  }
  const nlohmann::json& user = response->value("user", nlohmann::json::object());
  std::string name = user.is_object() ? user.value("username", *username) : *username;
  std::string role = user.is_object() ? user.value("role", "") : "";
  context.out << SanitizeForTerminal("Logged in to " + session->connection().server + " as " +
                                     name + (role.empty() ? "" : " (" + role + ")"))
              << "\n";
  return kExitOk;
}

int LogoutCommand(Context& context, const Invocation& invocation) {
  Result<std::string> path = ResolveConfigPath(invocation, context.env);
  if (!path.ok()) return ReportError(context, path.status().message());
  Result<ConfigFile> config = LoadConfigFile(*path);
  if (!config.ok()) return ReportError(context, config.status().message());
  if (config->token().empty() && !config->data.contains("token")) {
    context.out << "Not logged in (no token in " << *path << ")\n";
  } else {
    config->data.erase("token");
    const Status saved = SaveConfigFile(*config);
    if (!saved.ok()) return ReportError(context, saved.message());
    const std::string server = config->server();
    context.out << SanitizeForTerminal("Logged out" + (server.empty() ? "" : " of " + server) +
                                       "; removed the token from " + *path)
                << "\n";
  }
  if (context.env.Get("KLAXON_TOKEN")) {
    context.err << "klaxon: note: KLAXON_TOKEN is still set in the environment\n";
  }
  return kExitOk;
}

}  // namespace klaxon::cli
