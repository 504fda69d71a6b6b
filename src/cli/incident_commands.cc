// `klaxon incident ...`: listing, showing, declaring and acting on incidents.
#include <string>
#include <utility>
#include <vector>

#include "cli/handlers.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kIncidents = "/api/v1/incidents";
constexpr int kMaxPageSize = 200;
constexpr int kMaxPages = 1000;  // --all stops here even if the server keeps sending cursors.

// Adds the options present in `invocation` to `body` under the same names.
void CopyOptions(const Invocation& invocation, std::initializer_list<std::string_view> names,
                 nlohmann::json& body) {
  for (std::string_view name : names) {
    if (invocation.Has(name)) body[std::string(name)] = invocation.Get(name);
  }
}

// The incident number from the first argument, or nullopt after a usage error.
std::optional<std::string> IncidentNumber(Context& context, const Invocation& invocation,
                                          int& exit_code) {
  std::optional<std::string> number = NormalizeIncidentId(invocation.args.at(0));
  if (!number) {
    exit_code = ReportUsage(context, invocation,
                            "invalid incident id '" + invocation.args.at(0) +
                                "' (expected a number like 42 or a reference like INC-42)");
  }
  return number;
}

// POSTs `body` to the incident's `action` and prints `done(ref)` (or the JSON).
template <typename Done>
int IncidentAction(Context& context, const Invocation& invocation, std::string_view action,
                   const nlohmann::json& body, Done done) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::string path = std::string(kIncidents) + "/" + *number + "/" + std::string(action);
  const std::optional<nlohmann::json> response = session->Call("POST", path, &body);
  if (!response) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*response);
    return kExitOk;
  }
  std::string ref = FieldText(*response, "ref");
  if (ref.empty()) ref = IncidentRef(*number);
  context.out << SanitizeForTerminal(done(ref, *response)) << "\n";
  return kExitOk;
}

// The first page of the list as the server sent it or, with --all, every page's items
// gathered into one list whose next_cursor is null. Nullopt after a reported error.
std::optional<nlohmann::json> FetchIncidents(Context& context, Session& session,
                                             const Invocation& invocation,
                                             const std::string& limit) {
  nlohmann::json items = nlohmann::json::array();
  std::string cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    const std::string path =
        WithQuery(std::string(kIncidents), {{"status", invocation.Get("status")},
                                            {"severity", invocation.Get("severity")},
                                            {"service", invocation.Get("service")},
                                            {"q", invocation.Get("query")},
                                            {"limit", limit},
                                            {"cursor", cursor}});
    std::optional<nlohmann::json> response = session.Call("GET", path);
    if (!response || !invocation.Has("all")) return response;
    const auto page_items = response->find("items");
    if (page_items != response->end() && page_items->is_array()) {
      items.insert(items.end(), page_items->begin(), page_items->end());
    }
    cursor = FieldText(*response, "next_cursor");
    if (cursor.empty()) return nlohmann::json{{"items", items}, {"next_cursor", nullptr}};
  }
  context.err << "klaxon: stopped after " << kMaxPages << " pages\n";
  return nlohmann::json{{"items", items}, {"next_cursor", nullptr}};
}

}  // namespace

int IncidentListCommand(Context& context, const Invocation& invocation) {
  const bool all = invocation.Has("all");
  std::string limit = invocation.Get("limit");
  if (invocation.Has("limit") && !ParsePositiveInt(limit)) {
    return ReportUsage(context, invocation, "invalid --limit '" + limit + "' (expected 1..200)");
  }
  if (limit.empty() && all) limit = std::to_string(kMaxPageSize);
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> list = FetchIncidents(context, *session, invocation, limit);
  if (!list) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*list);
    return kExitOk;
  }
  const nlohmann::json items = list->value("items", nlohmann::json::array());
  if (items.empty()) {
    context.out << "No incidents.\n";
  } else {
    context.out << RenderIncidentTable(items, context.clock.Now());
  }
  if (!FieldText(*list, "next_cursor").empty()) {
    context.err << "(more incidents: use --all, or a larger --limit)\n";
  }
  return kExitOk;
}

int IncidentShowCommand(Context& context, const Invocation& invocation) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> incident =
      session->Call("GET", std::string(kIncidents) + "/" + *number);
  if (!incident) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*incident);
  } else {
    context.out << RenderIncident(*incident, context.clock.Now());
  }
  return kExitOk;
}

int IncidentDeclareCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  nlohmann::json body = nlohmann::json::object();
  CopyOptions(invocation, {"title", "severity", "service", "description", "impact"}, body);
  const std::optional<nlohmann::json> incident =
      session->Call("POST", std::string(kIncidents), &body);
  if (!incident) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*incident);
    return kExitOk;
  }
  std::string ref = FieldText(*incident, "ref");
  if (ref.empty()) ref = IncidentRef(FieldText(*incident, "id"));
  context.out << SanitizeForTerminal(ref) << "\n";
  return kExitOk;
}

int IncidentAckCommand(Context& context, const Invocation& invocation) {
  return IncidentAction(
      context, invocation, "acknowledge", nlohmann::json::object(),
      [](const std::string& ref, const nlohmann::json&) { return "Acknowledged " + ref; });
}

int IncidentStatusCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = {{"status", invocation.args.at(1)}};
  CopyOptions(invocation, {"message"}, body);
  return IncidentAction(context, invocation, "status", body,
                        [](const std::string& ref, const nlohmann::json& incident) {
                          return ref + " is now " + FieldText(incident, "status");
                        });
}

int IncidentSeverityCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = {{"severity", invocation.args.at(1)}};
  CopyOptions(invocation, {"reason"}, body);
  return IncidentAction(context, invocation, "severity", body,
                        [](const std::string& ref, const nlohmann::json& incident) {
                          return ref + " is now " + FieldText(incident, "severity");
                        });
}

int IncidentNoteCommand(Context& context, const Invocation& invocation) {
  const nlohmann::json body = {{"text", invocation.args.at(1)}};
  return IncidentAction(
      context, invocation, "notes", body,
      [](const std::string& ref, const nlohmann::json&) { return "Added a note to " + ref; });
}

int IncidentResolveCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = nlohmann::json::object();
  CopyOptions(invocation, {"summary"}, body);
  return IncidentAction(
      context, invocation, "resolve", body,
      [](const std::string& ref, const nlohmann::json&) { return "Resolved " + ref; });
}

int IncidentReopenCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = nlohmann::json::object();
  CopyOptions(invocation, {"reason"}, body);
  return IncidentAction(context, invocation, "reopen", body,
                        [](const std::string& ref, const nlohmann::json& incident) {
                          const std::string status = FieldText(incident, "status");
                          return "Reopened " + ref + (status.empty() ? "" : " (" + status + ")");
                        });
}

int IncidentEscalateCommand(Context& context, const Invocation& invocation) {
  return IncidentAction(context, invocation, "escalate", nlohmann::json::object(),
                        [](const std::string& ref, const nlohmann::json& escalation) {
                          return "Escalated " + ref + ": " + DescribeEscalation(escalation);
                        });
}

int IncidentRepageCommand(Context& context, const Invocation& invocation) {
  return IncidentAction(context, invocation, "repage", nlohmann::json::object(),
                        [](const std::string& ref, const nlohmann::json& escalation) {
                          return "Paged " + ref + " again: " + DescribeEscalation(escalation);
                        });
}

}  // namespace klaxon::cli
