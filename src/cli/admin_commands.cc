// `klaxon service ...` and `klaxon token ...`: the catalogue of services and API tokens.
#include <string>

#include "cli/handlers.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kServices = "/api/v1/services";
constexpr std::string_view kTokens = "/api/v1/tokens";

// GETs a list and prints it with `render`, or "No <noun>." when empty.
int ListCommand(Context& context, const Invocation& invocation, std::string_view path,
                std::string (*render)(const nlohmann::json&), std::string_view noun) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> response = session->Call("GET", std::string(path));
  if (!response) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*response);
    return kExitOk;
  }
  const nlohmann::json items = response->value("items", nlohmann::json::array());
  if (items.empty()) {
    context.out << "No " << noun << ".\n";
  } else {
    context.out << render(items);
  }
  return kExitOk;
}

}  // namespace

int ServiceListCommand(Context& context, const Invocation& invocation) {
  return ListCommand(context, invocation, kServices, &RenderServiceTable, "services");
}

int ServiceCreateCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  nlohmann::json body = {{"name", invocation.Get("name")}};
  if (invocation.Has("description")) body["description"] = invocation.Get("description");
  if (invocation.Has("owner")) body["owner"] = invocation.Get("owner");
  const std::optional<nlohmann::json> service =
      session->Call("POST", std::string(kServices), &body);
  if (!service) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*service);
    return kExitOk;
  }
  context.out << SanitizeForTerminal("Created service " + FieldText(*service, "name") + " (id " +
                                     FieldText(*service, "id") + ")")
              << "\n";
  return kExitOk;
}

int TokenCreateCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const nlohmann::json body = {{"name", invocation.Get("name")}, {"role", invocation.Get("role")}};
  const std::optional<nlohmann::json> token = session->Call("POST", std::string(kTokens), &body);
  if (!token) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*token);
    return kExitOk;
  }
  // The new token alone on stdout, so `$(klaxon token create ...)` captures just it.
  context.err << SanitizeForTerminal("Created token " + FieldText(*token, "id") + " (" +
                                     FieldText(*token, "name") + ", " + FieldText(*token, "role") +
                                     "); it is shown only this once:")
              << "\n";
  context.out << SanitizeForTerminal(FieldText(*token, "token")) << "\n";
  return kExitOk;
}

int TokenListCommand(Context& context, const Invocation& invocation) {
  return ListCommand(context, invocation, kTokens, &RenderTokenTable, "tokens");
}

int TokenRevokeCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = ParsePositiveInt(invocation.args.at(0));
  if (!id) {
    return ReportUsage(context, invocation,
                       "invalid token id '" + invocation.args.at(0) + "' (expected a number)");
  }
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> response =
      session->Call("DELETE", std::string(kTokens) + "/" + std::to_string(*id));
  if (!response) return kExitError;
  if (session->json_output()) {
    if (!response->is_null()) session->PrintJson(*response);
    return kExitOk;
  }
  context.out << "Revoked token " << *id << "\n";
  return kExitOk;
}

}  // namespace klaxon::cli
