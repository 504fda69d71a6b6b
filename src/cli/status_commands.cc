// `klaxon status ...`: the public status page from the command line. `status show` reads
// what the public sees (GET /api/v2/summary.json, no login needed); `status component ...`,
// `status incident ...` and `status maintenance ...` use the admin API under /api/v1/status
// (docs/api.md "Status page"); each of their actions is a command of its own
// (`status component set Shop major`).
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/command_helpers.h"
#include "cli/handlers.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"
#include "cli/time_args.h"
#include "core/numbers.h"
#include "core/time_format.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kSummary = "/api/v2/summary.json";
constexpr std::string_view kComponents = "/api/v1/status/components";
constexpr std::string_view kIncidents = "/api/v1/status/incidents";
constexpr std::string_view kMaintenances = "/api/v1/status/maintenances";
constexpr std::string_view kServices = "/api/v1/services";
constexpr std::string_view kPagePath = "/status";
constexpr size_t kMaxNameWidth = 60;
constexpr size_t kMaxMessageWidth = 100;
constexpr int64_t kMaxPosition = 100000;
constexpr std::string_view kBlanks = " \t";

// A component status as the API names it, and its short form.
struct StatusForm {
  std::string_view name;
  std::string_view short_name;
};
constexpr StatusForm kComponentStatuses[] = {
    {"operational", "operational"},       {"degraded_performance", "degraded"},
    {"partial_outage", "partial"},        {"major_outage", "major"},
    {"under_maintenance", "maintenance"},
};
constexpr std::string_view kComponentStatusForms =
    "operational, degraded, partial, major or maintenance; or degraded_performance, "
    "partial_outage, major_outage, under_maintenance";
constexpr std::string_view kImpacts[] = {"none", "minor", "major", "critical"};
constexpr std::string_view kPublishStatuses[] = {"investigating", "identified", "monitoring",
                                                 "resolved"};
// Incidents' and maintenances' statuses: which applies depends on what ID names.
constexpr std::string_view kUpdateStatuses[] = {
    "investigating", "identified",  "monitoring", "resolved",  "postmortem",
    "scheduled",     "in_progress", "verifying",  "completed",
};

// Row id → name, to show names where the server sends ids.
using Names = std::map<int64_t, std::string>;

std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

std::string_view Trim(std::string_view text) {
  const size_t start = text.find_first_not_of(kBlanks);
  if (start == std::string_view::npos) return "";
  return text.substr(start, text.find_last_not_of(kBlanks) - start + 1);
}

const nlohmann::json& Items(const nlohmann::json& list) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return list.is_array() ? list : kEmpty;
}

bool IsTrue(const nlohmann::json& value) { return value.is_boolean() && value.get<bool>(); }

// "a, b, c" for `choices`.
template <size_t N>
std::string Choices(const std::string_view (&choices)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

// ---- Arguments ----------------------------------------------------------------------------

// The option `name` as given, not empty; nullopt after a usage error.
std::optional<std::string> TextOption(Context& context, const Invocation& invocation,
                                      std::string_view name) {
  return RequireNonEmpty(context, invocation, invocation.Get(name), "--" + std::string(name));
}

// The option `name`, one of `choices`; nullopt after a usage error.
template <size_t N>
std::optional<std::string> ChoiceOption(Context& context, const Invocation& invocation,
                                        std::string_view name,
                                        const std::string_view (&choices)[N]) {
  const std::string text = invocation.Get(name);
  if (std::find(std::begin(choices), std::end(choices), text) == std::end(choices)) {
    ReportUsage(
        context, invocation,
        "invalid --" + std::string(name) + " '" + text + "' (expected " + Choices(choices) + ")");
    return std::nullopt;
  }
  return text;
}

// Every --component COMPONENT=STATUS as the API's {component: status}; nullopt after a usage
// error.
std::optional<nlohmann::json> ComponentStatuses(Context& context, const Invocation& invocation) {
  nlohmann::json components = nlohmann::json::object();
  for (const std::string& text : invocation.GetAll("component")) {
    const size_t equals = text.rfind('=');
    const auto fail = [&](const std::string& why) {
      ReportUsage(context, invocation,
                  "invalid --component '" + text + "'" + why +
                      " (expected COMPONENT=STATUS, like Shop=partial)");
      return std::nullopt;
    };
    if (equals == std::string::npos) return fail("");
    const std::string name(Trim(std::string_view(text).substr(0, equals)));
    const std::string given(Trim(std::string_view(text).substr(equals + 1)));
    if (name.empty()) return fail(": no component");
    const std::optional<std::string> status = ParseComponentStatusArg(given);
    if (!status) {
      ReportUsage(context, invocation,
                  "invalid --component '" + text + "': unknown status '" + given + "' (expected " +
                      std::string(kComponentStatusForms) + ")");
      return std::nullopt;
    }
    if (components.contains(name)) {
      ReportUsage(context, invocation, "--component '" + name + "' given twice");
      return std::nullopt;
    }
    components[name] = *status;
  }
  return components;
}

// ---- Names for ids ------------------------------------------------------------------------

// Whether the response (an item or a list of them) has ids under `key` to name.
bool HasIds(const nlohmann::json& response, std::string_view key) {
  if (!Items(Member(response, key)).empty()) return true;
  for (const auto& item : Items(Member(response, "items"))) {
    if (!Items(Member(item, key)).empty()) return true;
  }
  return false;
}

// The names of `collection`'s items by id, asked quietly: when the list cannot be had, the
// ids are shown instead and nothing fails.
Names FetchNames(Context& context, const Connection& connection, std::string_view collection) {
  Names names;
  const std::unique_ptr<HttpClient> client = context.make_client(connection);
  const HttpResponse response = client->Send({"GET", std::string(collection), std::nullopt});
  if (response.status != 200) return names;
  const nlohmann::json list = nlohmann::json::parse(response.body, nullptr, false);
  for (const auto& item : Items(Member(list, "items"))) {
    const nlohmann::json& id = Member(item, "id");
    const nlohmann::json& name = Member(item, "name");
    if (id.is_number_integer() && name.is_string()) names[id.get<int64_t>()] = name;
  }
  return names;
}

// "Shop, Search" for an array of ids (unknown ones as numbers); "" for none.
std::string NameList(const nlohmann::json& ids, const Names& names) {
  std::string out;
  for (const auto& id : Items(ids)) {
    if (!out.empty()) out += ", ";
    const auto it = id.is_number_integer() ? names.find(id.get<int64_t>()) : names.end();
    out += it != names.end() ? it->second : id.is_string() ? id.get<std::string>() : id.dump();
  }
  return out;
}

using Renderer = std::function<std::string(const nlohmann::json&, const Names&)>;

// CallAndPrint for answers that hold ids under `key`: the table shows the names that
// `collection` lists.
int CallAndShow(Context& context, const Invocation& invocation, std::string_view method,
                const std::string& path, const nlohmann::json* body, std::string_view key,
                std::string_view collection, const Renderer& render) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> response = session->Call(method, path, body);
  if (!response) return kExitError;
  if (session->json_output()) {
    if (!response->is_null()) session->PrintJson(*response);
    return kExitOk;
  }
  Names names;
  if (HasIds(*response, key)) names = FetchNames(context, session->connection(), collection);
  context.out << render(*response, names);
  return kExitOk;
}

// ---- Rendering ----------------------------------------------------------------------------

// The public page (GET /api/v2/summary.json): status, URL, components, open incidents and
// maintenance. `server` is where the page is when the summary names no URL.
std::string RenderSummary(const nlohmann::json& summary, const std::string& server) {
  const nlohmann::json& page = Member(summary, "page");
  const nlohmann::json& status = Member(summary, "status");
  std::string url = FieldText(page, "url");
  if (url.empty()) url = server;
  while (url.ends_with('/')) url.pop_back();
  std::string out = SanitizeForTerminal(FieldText(page, "name") + " (status page)") + "\n";
  out += DetailLine("Status:",
                    FieldText(status, "description") + " (" + FieldText(status, "indicator") + ")");
  out += DetailLine("Page:", url + std::string(kPagePath));
  out += DetailLine("Updated:", FormatWhen(FieldText(page, "updated_at")));
  const nlohmann::json& components = Items(Member(summary, "components"));
  if (components.empty()) {
    out += "\nNo components.\n";
  } else {
    // Page order: each group is followed by its components, shown indented.
    Table table({"COMPONENT", "STATUS"});
    for (const auto& component : components) {
      const bool child = !FieldText(component, "group_id").empty();
      const bool group = IsTrue(Member(component, "group"));
      table.AddRow({(child ? "  " : "") + FieldText(component, "name"),
                    group ? "" : FieldText(component, "status")});
    }
    out += "\n" + table.Render();
  }
  const nlohmann::json& incidents = Items(Member(summary, "incidents"));
  if (!incidents.empty()) {
    Table table({"ID", "STATUS", "IMPACT", "STARTED", "NAME"});
    table.SetMaxWidth(4, kMaxNameWidth);
    for (const auto& incident : incidents) {
      table.AddRow({FieldText(incident, "id"), FieldText(incident, "status"),
                    FieldText(incident, "impact"), FormatWhen(FieldText(incident, "started_at")),
                    FieldText(incident, "name")});
    }
    out += "\nUnresolved incidents:\n" + table.Render();
  }
  const nlohmann::json& maintenances = Items(Member(summary, "scheduled_maintenances"));
  if (!maintenances.empty()) {
    Table table({"ID", "STATUS", "FROM", "UNTIL", "NAME"});
    table.SetMaxWidth(4, kMaxNameWidth);
    for (const auto& maintenance : maintenances) {
      table.AddRow({FieldText(maintenance, "id"), FieldText(maintenance, "status"),
                    FormatWhen(FieldText(maintenance, "scheduled_for")),
                    FormatWhen(FieldText(maintenance, "scheduled_until")),
                    FieldText(maintenance, "name")});
    }
    out += "\nMaintenance:\n" + table.Render();
  }
  return out;
}

// ID, NAME, KIND, GROUP, STATUS, POSITION, SERVICES, PUBLIC ID.
std::string RenderComponentTable(const nlohmann::json& components, const Names& services) {
  Table table({"ID", "NAME", "KIND", "GROUP", "STATUS", "POSITION", "SERVICES", "PUBLIC ID"});
  table.SetMaxWidth(1, kMaxNameWidth);
  for (const auto& component : Items(components)) {
    const bool group = IsTrue(Member(component, "is_group"));
    table.AddRow({FieldText(component, "id"), FieldText(component, "name"),
                  group ? "group" : "component",
                  OrDash(FieldText(Member(component, "group"), "name")),
                  group ? "-" : FieldText(component, "status"), FieldText(component, "position"),
                  OrDash(NameList(Member(component, "services"), services)),
                  FieldText(component, "public_id")});
  }
  return table.Render();
}

// "Created component Shop (id 2) in group Website" or "Created group Website (id 1)".
std::string DescribeCreated(const nlohmann::json& component) {
  std::string text =
      std::string(IsTrue(Member(component, "is_group")) ? "Created group " : "Created component ") +
      FieldText(component, "name") + " (id " + FieldText(component, "id") + ")";
  const std::string group = FieldText(Member(component, "group"), "name");
  if (!group.empty()) text += " in group " + group;
  return SanitizeForTerminal(text) + "\n";
}

// "INC-42" for the internal incident a status incident comes from; "" for none.
std::string InternalIncident(const nlohmann::json& incident) {
  const std::string number = FieldText(incident, "incident");
  return number.empty() ? "" : IncidentRef(number);
}

bool IsMaintenance(const nlohmann::json& incident) {
  return FieldText(incident, "kind") == "maintenance";
}

// ID, STATUS, IMPACT, STARTED, RESOLVED, INCIDENT, COMPONENTS, NAME (or, for maintenances,
// ID, STATUS, FROM, UNTIL, AUTO, COMPONENTS, NAME).
std::string RenderIncidentList(const nlohmann::json& list, const Names& components,
                               bool maintenances) {
  const nlohmann::json& items = Items(Member(list, "items"));
  if (items.empty()) {
    return maintenances ? "No status page maintenances.\n" : "No status page incidents.\n";
  }
  if (maintenances) {
    Table table({"ID", "STATUS", "FROM", "UNTIL", "AUTO", "COMPONENTS", "NAME"});
    table.SetMaxWidth(6, kMaxNameWidth);
    for (const auto& item : items) {
      table.AddRow({FieldText(item, "id"), FieldText(item, "status"),
                    FormatWhen(FieldText(item, "scheduled_for")),
                    FormatWhen(FieldText(item, "scheduled_until")),
                    IsTrue(Member(item, "auto_transition")) ? "yes" : "no",
                    OrDash(NameList(Member(item, "components"), components)),
                    FieldText(item, "name")});
    }
    return table.Render();
  }
  Table table({"ID", "STATUS", "IMPACT", "STARTED", "RESOLVED", "INCIDENT", "COMPONENTS", "NAME"});
  table.SetMaxWidth(7, kMaxNameWidth);
  for (const auto& item : items) {
    table.AddRow(
        {FieldText(item, "id"), FieldText(item, "status"), FieldText(item, "impact"),
         FormatWhen(FieldText(item, "started_at")),
         OrDash(FormatWhen(FieldText(item, "resolved_at"))), OrDash(InternalIncident(item)),
         OrDash(NameList(Member(item, "components"), components)), FieldText(item, "name")});
  }
  return table.Render();
}

// "Shop: partial_outage (was operational)" for an update's affected components.
std::string DescribeAffected(const nlohmann::json& affected) {
  std::string out;
  for (const auto& change : Items(affected)) {
    if (!out.empty()) out += "; ";
    out += FieldText(change, "name") + ": " + FieldText(change, "new_status");
    const std::string old_status = FieldText(change, "old_status");
    if (!old_status.empty() && old_status != FieldText(change, "new_status")) {
      out += " (was " + old_status + ")";
    }
  }
  return out;
}

// The incident's or maintenance's fields, then its updates, newest first.
std::string RenderStatusIncident(const nlohmann::json& incident, const Names& components) {
  const bool maintenance = IsMaintenance(incident);
  std::string out = SanitizeForTerminal(FieldText(incident, "name") + " (" +
                                        (maintenance ? "maintenance " : "status incident ") +
                                        FieldText(incident, "id") + ")") +
                    "\n";
  out += DetailLine("Status:", FieldText(incident, "status"));
  if (maintenance) {
    out += DetailLine("Scheduled:", FormatWhen(FieldText(incident, "scheduled_for")) + " to " +
                                        FormatWhen(FieldText(incident, "scheduled_until")));
    out += DetailLine("Moves on time:", IsTrue(Member(incident, "auto_transition"))
                                            ? "yes, starts and completes by itself"
                                            : "no, by hand ('klaxon status incident update')");
  } else {
    out += DetailLine("Impact:", FieldText(incident, "impact"));
    out += DetailLine("Incident:", InternalIncident(incident));
    out += DetailLine("Started:", FormatWhen(FieldText(incident, "started_at")));
    out += DetailLine("Monitoring:", FormatWhen(FieldText(incident, "monitoring_at")));
    out += DetailLine("Resolved:", FormatWhen(FieldText(incident, "resolved_at")));
  }
  out += DetailLine("Components:", OrDash(NameList(Member(incident, "components"), components)));
  out += DetailLine("Public id:", FieldText(incident, "public_id"));
  out += DetailLine("URL:", FieldText(incident, "url"));
  out += DetailLine("Postmortem:", FieldText(incident, "postmortem"));
  const nlohmann::json& updates = Items(Member(incident, "updates"));
  if (updates.empty()) return out;
  Table table({"TIME", "STATUS", "MESSAGE", "COMPONENTS"});
  table.SetMaxWidth(2, kMaxMessageWidth);
  for (const auto& update : updates) {
    table.AddRow({FormatWhen(FieldText(update, "created_at")), FieldText(update, "status"),
                  FieldText(update, "body"),
                  OrDash(DescribeAffected(Member(update, "affected_components")))});
  }
  return out + "\nUpdates, newest first:\n" + table.Render();
}

// "Published status incident 3 (investigating, impact major): URL".
std::string DescribeChange(std::string_view verb, const nlohmann::json& incident) {
  std::string text = std::string(verb) + " " +
                     (IsMaintenance(incident) ? "maintenance " : "status incident ") +
                     FieldText(incident, "id") + " (" + FieldText(incident, "status");
  if (!IsMaintenance(incident)) text += ", impact " + FieldText(incident, "impact");
  text += ")";
  const std::string url = FieldText(incident, "url");
  if (!url.empty()) text += ": " + url;
  return SanitizeForTerminal(text) + "\n";
}

std::string IncidentPath(const std::string& id, std::string_view suffix = "") {
  return std::string(kIncidents) + "/" + PathSegment(id) + std::string(suffix);
}

}  // namespace

std::optional<std::string> ParseComponentStatusArg(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const StatusForm& form : kComponentStatuses) {
    if (lower == form.name || lower == form.short_name) return std::string(form.name);
  }
  return std::nullopt;
}

int StatusShowCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kNone);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> summary = session->Call("GET", std::string(kSummary));
  if (!summary) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*summary);
  } else {
    context.out << RenderSummary(*summary, session->connection().server);
  }
  return kExitOk;
}

int StatusComponentListCommand(Context& context, const Invocation& invocation) {
  return CallAndShow(context, invocation, "GET", std::string(kComponents), nullptr, "services",
                     kServices, [](const nlohmann::json& list, const Names& services) {
                       const nlohmann::json& items = Items(Member(list, "items"));
                       if (items.empty()) return std::string("No status page components.\n");
                       return RenderComponentTable(items, services);
                     });
}

int StatusComponentAddCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> name = TextOption(context, invocation, "name");
  if (!name) return kExitUsage;
  nlohmann::json body = {{"name", *name}};
  if (invocation.Has("group") && invocation.Has("group-component")) {
    return ReportUsage(context, invocation,
                       "--group-component makes a group, and groups do not go in groups: give "
                       "--group or --group-component, not both");
  }
  if (invocation.Has("group")) {
    const std::optional<std::string> group = TextOption(context, invocation, "group");
    if (!group) return kExitUsage;
    body["group"] = *group;
  }
  if (invocation.Has("group-component")) body["is_group"] = true;
  if (invocation.Has("description")) body["description"] = invocation.Get("description");
  if (invocation.Has("service")) {
    nlohmann::json services = nlohmann::json::array();
    for (const std::string& service : invocation.GetAll("service")) {
      if (!RequireNonEmpty(context, invocation, service, "--service")) return kExitUsage;
      services.push_back(service);
    }
    body["services"] = services;
  }
  if (invocation.Has("position")) {
    const std::string text = invocation.Get("position");
    const std::optional<int64_t> position = ParseInt64(text, 0);
    if (!position || *position > kMaxPosition) {
      return ReportUsage(context, invocation,
                         "invalid --position '" + text + "' (expected a whole number 0..100000)");
    }
    body["position"] = *position;
  }
  return CallAndPrint(context, invocation, "POST", std::string(kComponents), &body,
                      &DescribeCreated);
}

int StatusComponentSetCommand(Context& context, const Invocation& invocation) {
  const std::string& component = invocation.args.at(0);
  const std::string& given = invocation.args.at(1);
  const std::optional<std::string> status = ParseComponentStatusArg(given);
  if (!status) {
    return ReportUsage(
        context, invocation,
        "invalid STATUS '" + given + "' (expected " + std::string(kComponentStatusForms) + ")");
  }
  const nlohmann::json body = {{"status", *status}};
  return CallAndPrint(context, invocation, "PATCH",
                      std::string(kComponents) + "/" + PathSegment(component), &body,
                      [](const nlohmann::json& changed) {
                        return SanitizeForTerminal("Set component " + FieldText(changed, "name") +
                                                   " to " + FieldText(changed, "status")) +
                               "\n";
                      });
}

int StatusComponentDeleteCommand(Context& context, const Invocation& invocation) {
  const std::string& component = invocation.args.at(0);
  return CallAndPrint(context, invocation, "DELETE",
                      std::string(kComponents) + "/" + PathSegment(component), nullptr,
                      [&component](const nlohmann::json&) {
                        return SanitizeForTerminal("Deleted component " + component) + "\n";
                      });
}

int StatusIncidentListCommand(Context& context, const Invocation& invocation) {
  const bool maintenances = invocation.Has("maintenances");
  return CallAndShow(
      context, invocation, "GET",
      WithQuery(std::string(kIncidents), {{"kind", maintenances ? "maintenance" : "incident"}}),
      nullptr, "components", kComponents,
      [maintenances](const nlohmann::json& list, const Names& components) {
        return RenderIncidentList(list, components, maintenances);
      });
}

int StatusIncidentPublishCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> name = TextOption(context, invocation, "name");
  if (!name) return kExitUsage;
  const std::optional<std::string> message = TextOption(context, invocation, "message");
  if (!message) return kExitUsage;
  nlohmann::json body = {{"name", *name}, {"body", *message}};
  if (invocation.Has("impact")) {
    const std::optional<std::string> impact = ChoiceOption(context, invocation, "impact", kImpacts);
    if (!impact) return kExitUsage;
    body["impact"] = *impact;
  }
  if (invocation.Has("status")) {
    const std::optional<std::string> status =
        ChoiceOption(context, invocation, "status", kPublishStatuses);
    if (!status) return kExitUsage;
    body["status"] = *status;
  }
  if (invocation.Has("incident")) {
    const std::string text = invocation.Get("incident");
    const std::optional<std::string> number = NormalizeIncidentId(text);
    const std::optional<int64_t> id = number ? ParsePositiveInt(*number) : std::nullopt;
    if (!id) {
      return ReportUsage(context, invocation,
                         "invalid --incident '" + text + "' (expected 42 or INC-42)");
    }
    body["incident"] = *id;
  }
  const std::optional<nlohmann::json> components = ComponentStatuses(context, invocation);
  if (!components) return kExitUsage;
  if (!components->empty()) body["components"] = *components;
  return CallAndPrint(
      context, invocation, "POST", std::string(kIncidents), &body,
      [](const nlohmann::json& incident) { return DescribeChange("Published", incident); });
}

int StatusIncidentUpdateCommand(Context& context, const Invocation& invocation) {
  const std::string& id = invocation.args.at(0);
  const std::optional<std::string> status =
      ChoiceOption(context, invocation, "status", kUpdateStatuses);
  if (!status) return kExitUsage;
  const std::optional<std::string> message = TextOption(context, invocation, "message");
  if (!message) return kExitUsage;
  nlohmann::json body = {{"status", *status}, {"body", *message}};
  if (invocation.Has("impact")) {
    const std::optional<std::string> impact = ChoiceOption(context, invocation, "impact", kImpacts);
    if (!impact) return kExitUsage;
    body["impact"] = *impact;
  }
  const std::optional<nlohmann::json> components = ComponentStatuses(context, invocation);
  if (!components) return kExitUsage;
  if (!components->empty()) body["components"] = *components;
  return CallAndPrint(
      context, invocation, "POST", IncidentPath(id, "/updates"), &body,
      [](const nlohmann::json& incident) { return DescribeChange("Updated", incident); });
}

int StatusIncidentShowCommand(Context& context, const Invocation& invocation) {
  return CallAndShow(context, invocation, "GET", IncidentPath(invocation.args.at(0)), nullptr,
                     "components", kComponents, &RenderStatusIncident);
}

int StatusMaintenanceScheduleCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> name = TextOption(context, invocation, "name");
  if (!name) return kExitUsage;
  if (invocation.Has("end") == invocation.Has("duration")) {
    return ReportUsage(context, invocation,
                       invocation.Has("end") ? "give --end or --duration, not both"
                                             : "missing --end TIME (or --duration DURATION)");
  }
  const TimeMs now = context.clock.Now();
  const std::optional<TimeMs> start = TimeOption(context, invocation, "start", now);
  if (!start) return kExitUsage;
  std::optional<TimeMs> end;
  if (invocation.Has("end")) {
    end = TimeOption(context, invocation, "end", now);
    if (!end) return kExitUsage;
    if (*end <= *start) {
      return ReportUsage(
          context, invocation,
          "--end " + invocation.Get("end") + " is not after --start " + invocation.Get("start"));
    }
  } else {
    const std::string text = invocation.Get("duration");
    const std::optional<int64_t> ms = ParseDurationArg(text);
    if (!ms) {
      return ReportUsage(
          context, invocation,
          "invalid --duration '" + text + "' (expected a duration like 90m, 2h, 1d, 1h30m)");
    }
    end = *start + *ms;
  }
  nlohmann::json body = {{"name", *name},
                         {"scheduled_for", FormatTime(*start)},
                         {"scheduled_until", FormatTime(*end)}};
  if (invocation.Has("message")) body["body"] = invocation.Get("message");
  if (invocation.Has("component")) {
    nlohmann::json components = nlohmann::json::array();
    for (const std::string& component : invocation.GetAll("component")) {
      if (!RequireNonEmpty(context, invocation, component, "--component")) return kExitUsage;
      const size_t equals = component.rfind('=');
      if (equals != std::string::npos &&
          ParseComponentStatusArg(Trim(std::string_view(component).substr(equals + 1)))) {
        return ReportUsage(context, invocation,
                           "invalid --component '" + component +
                               "': a maintenance's components are under_maintenance while it "
                               "runs; give the component alone");
      }
      components.push_back(component);
    }
    body["components"] = components;
  }
  if (invocation.Has("manual")) body["auto_transition"] = false;
  return CallAndPrint(
      context, invocation, "POST", std::string(kMaintenances), &body,
      [](const nlohmann::json& maintenance) {
        return SanitizeForTerminal("Scheduled maintenance " + FieldText(maintenance, "id") +
                                   " from " + FormatWhen(FieldText(maintenance, "scheduled_for")) +
                                   " to " + FormatWhen(FieldText(maintenance, "scheduled_until")) +
                                   (IsTrue(Member(maintenance, "auto_transition"))
                                        ? " (starts and completes by itself)"
                                        : " (moved by hand)") +
                                   ": " + FieldText(maintenance, "url")) +
               "\n";
      });
}

}  // namespace klaxon::cli
