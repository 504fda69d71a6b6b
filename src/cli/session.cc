#include "cli/session.h"

#include <utility>

#include "cli/errors.h"
#include "cli/table.h"

namespace klaxon::cli {

namespace {

// What to do about a refused token, depending on where it came from.
std::string_view UnauthorizedHint(TokenSource source) {
  switch (source) {
    case TokenSource::kFlag:
      return " (the token given with --token was refused)";
    case TokenSource::kEnvironment:
      return " (the token in KLAXON_TOKEN was refused)";
    case TokenSource::kConfigFile:
      return " (run 'klaxon login' to get a new token)";
    case TokenSource::kNone:
      break;
  }
  return "";
}

}  // namespace

Session::Session(Context& context, Connection connection, ConfigFile config, bool json_output)
    : context_(&context),
      connection_(std::move(connection)),
      config_(std::move(config)),
      json_output_(json_output) {}

std::optional<Session> Session::Open(Context& context, const Invocation& invocation, Auth auth) {
  Result<std::string> path = ResolveConfigPath(invocation, context.env);
  if (!path.ok()) {
    ReportError(context, path.status().message());
    return std::nullopt;
  }
  Result<ConfigFile> config = LoadConfigFile(*path);
  if (!config.ok()) {
    ReportError(context, config.status().message());
    return std::nullopt;
  }
  Result<Connection> connection = ResolveConnection(invocation, context.env, *config);
  if (!connection.ok()) {
    ReportError(context, connection.status().message());
    return std::nullopt;
  }
  if (auth == Auth::kNone) {
    connection->token.clear();
    connection->token_source = TokenSource::kNone;
  } else if (connection->token.empty()) {
    ReportError(context, "not logged in to " + connection->server +
                             "; run 'klaxon login' or pass --token (or set KLAXON_TOKEN)");
    return std::nullopt;
  }
  Session session(context, std::move(connection).value(), std::move(config).value(),
                  invocation.Has("json"));
  session.client_ = context.make_client(session.connection_);
  return session;
}

std::optional<nlohmann::json> Session::Call(std::string_view method, const std::string& path,
                                            const nlohmann::json* body) {
  HttpRequest request{std::string(method), path, std::nullopt};
  if (body != nullptr) request.body = body->dump();
  const HttpResponse response = client_->Send(request);
  if (!response.received()) {
    ReportError(*context_, FormatTransportError(connection_.server, response.error));
    return std::nullopt;
  }
  if (response.status < 200 || response.status > 299) {
    std::string message = FormatApiError(response.status, response.body);
    if (response.status == 401) message += UnauthorizedHint(connection_.token_source);
    ReportError(*context_, message);
    return std::nullopt;
  }
  if (response.body.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json();
  nlohmann::json parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    ReportError(*context_, "unexpected response from " + connection_.server + " (status " +
                               std::to_string(response.status) + "): not JSON");
    return std::nullopt;
  }
  return parsed;
}

void Session::PrintJson(const nlohmann::json& value) const {
  context_->out << JsonText(value) << "\n";
}

int CallAndPrint(Context& context, const Invocation& invocation, std::string_view method,
                 const std::string& path, const nlohmann::json* body,
                 const std::function<std::string(const nlohmann::json&)>& render) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> response = session->Call(method, path, body);
  if (!response) return kExitError;
  if (session->json_output()) {
    if (!response->is_null()) session->PrintJson(*response);
  } else {
    context.out << render(*response);
  }
  return kExitOk;
}

int ReportError(Context& context, std::string_view message) {
  context.err << "klaxon: " << SanitizeForTerminal(message) << "\n";
  return kExitError;
}

int ReportUsage(Context& context, const Invocation& invocation, std::string_view message) {
  context.err << "klaxon: " << SanitizeForTerminal(message) << "\n";
  if (invocation.command != nullptr) {
    context.err << Parser(CommandTable(), OptionTable()).Usage(*invocation.command) << "\n";
  }
  return kExitUsage;
}

std::optional<std::string> RequireNonEmpty(Context& context, const Invocation& invocation,
                                           std::string value, std::string_view what) {
  if (!value.empty()) return value;
  ReportUsage(context, invocation, "empty " + std::string(what));
  return std::nullopt;
}

std::string JsonText(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace klaxon::cli
