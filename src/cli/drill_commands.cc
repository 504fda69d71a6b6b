// `klaxon drills` and `klaxon drill ...` (drill_commands.h): scenarios are named by id or
// name, runs by their number. Every command prints the server's JSON with -o json or the
// global --json; `drill report --markdown` prints the server's Markdown as it is.
#include "cli/drill_commands.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "cli/command_helpers.h"
#include "cli/errors.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kScenarios = "/api/v1/drills/scenarios";
constexpr std::string_view kRuns = "/api/v1/drills/runs";
constexpr size_t kMaxNameWidth = 40;
constexpr size_t kMaxNoteWidth = 40;

constexpr std::string_view kRunStatuses[] = {"scheduled", "running", "finished", "cancelled",
                                             "failed"};

std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

// ---- Arguments ----------------------------------------------------------------------------

// "/api/v1/drills/scenarios/checkout%20spike" for the first argument, followed by `suffix`;
// nullopt after a usage error.
std::optional<std::string> ScenarioPath(Context& context, const Invocation& invocation,
                                        std::string_view suffix = "") {
  const std::optional<std::string> name =
      RequireNonEmpty(context, invocation, invocation.args.at(0), "NAME");
  if (!name) return std::nullopt;
  return std::string(kScenarios) + "/" + PathSegment(*name) + std::string(suffix);
}

// "/api/v1/drills/runs/3" for the first argument, followed by `suffix`; nullopt after a
// usage error.
std::optional<std::string> RunPath(Context& context, const Invocation& invocation,
                                   std::string_view suffix = "") {
  const std::optional<std::string> id = NormalizeDrillRunId(invocation.args.at(0));
  if (!id) {
    ReportUsage(context, invocation,
                "invalid drill run id '" + invocation.args.at(0) +
                    "' (expected a number like 3; 'klaxon drill runs' lists them)");
    return std::nullopt;
  }
  return std::string(kRuns) + "/" + *id + std::string(suffix);
}

// The scenario in the --file, or nullopt after printing why not (exit 1). The CLI reads
// no YAML, so a YAML file gets a hint instead of a JSON parse error alone.
std::optional<nlohmann::json> ScenarioFile(Context& context, const Invocation& invocation) {
  const std::string path = invocation.Get("file");
  if (path.ends_with(".yaml") || path.ends_with(".yml")) {
    ReportError(context, path + ": drill scenarios are read as JSON (the body of POST " +
                             std::string(kScenarios) + "); YAML is not supported");
    return std::nullopt;
  }
  return ReadBodyFile(context, path);
}

// ---- Requests -----------------------------------------------------------------------------

// Opens a session, sends the request and prints the response: its JSON when `json` (nothing
// for an empty body), else render(response). Returns the exit code.
int CallAndShow(Context& context, const Invocation& invocation, bool json, std::string_view method,
                const std::string& path, const nlohmann::json* body,
                const std::function<std::string(const nlohmann::json&)>& render) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> response = session->Call(method, path, body);
  if (!response) return kExitError;
  if (json) {
    if (!response->is_null()) session->PrintJson(*response);
  } else {
    context.out << render(*response);
  }
  return kExitOk;
}

// ---- Views --------------------------------------------------------------------------------

std::string When(const nlohmann::json& object, std::string_view key) {
  return FormatWhen(FieldText(object, key));
}

// "finished (time_limit)", "cancelled", "failed (silenced)".
std::string RunState(const nlohmann::json& run) {
  const std::string status = FieldText(run, "status");
  const std::string outcome = FieldText(run, "outcome");
  return outcome.empty() || outcome == status ? status : status + " (" + outcome + ")";
}

// The name of a run's scenario: {"id","name"}, or a plain name.
std::string ScenarioName(const nlohmann::json& run) {
  const nlohmann::json& scenario = Member(run, "scenario");
  return scenario.is_object() ? FieldText(scenario, "name") : FieldText(run, "scenario");
}

// "passed: 10 met, 0 missed, 0 pending"; "" without a summary.
std::string DescribeSummary(const nlohmann::json& summary) {
  if (!summary.is_object()) return "";
  return FieldText(summary, "result") + ": " + OrDash(FieldText(summary, "met")) + " met, " +
         OrDash(FieldText(summary, "missed")) + " missed, " +
         OrDash(FieldText(summary, "pending")) + " pending";
}

// "met", "MISSED", "pending".
std::string StateText(const nlohmann::json& item) {
  const std::string state = FieldText(item, "state");
  return state == "missed" ? "MISSED" : state;
}

// The "#3 finished (time_limit)" of a scenario's last run; "-" for none.
std::string LastRun(const nlohmann::json& scenario) {
  const nlohmann::json& last = Member(scenario, "last_run");
  if (!last.is_object()) return "-";
  return "#" + FieldText(last, "id") + " " + RunState(last);
}

// "alertname=CheckoutErrorRate env=prod" for a label map.
std::string Labels(const nlohmann::json& labels) {
  return labels.is_object() && !labels.empty() ? DescribeEventData(labels) : "-";
}

std::string AlertTable(const nlohmann::json& alerts) {
  Table table({"#", "LABELS", "ANNOTATIONS"});
  size_t n = 0;
  for (const auto& alert : alerts.is_array() ? alerts : nlohmann::json::array()) {
    table.AddRow({std::to_string(++n), Labels(Member(alert, "labels")),
                  Labels(Member(alert, "annotations"))});
  }
  return table.Render();
}

// Strings ("acknowledge") or {action, within}, as the server sends or a file has them.
std::string ExpectedTable(const nlohmann::json& actions) {
  Table table({"ACTION", "WITHIN"});
  for (const auto& action : actions.is_array() ? actions : nlohmann::json::array()) {
    if (action.is_string()) {
      table.AddRow({action.get<std::string>(), "-"});
    } else {
      table.AddRow({FieldText(action, "action"), OrDash(FieldText(action, "within"))});
    }
  }
  return table.Render();
}

std::string TargetTable(const nlohmann::json& targets) {
  Table table({"TARGET", "GOAL", "DUE", "TOOK", "BY", "STATE", "NOTE"});
  table.SetMaxWidth(6, kMaxNoteWidth);
  for (const auto& target : targets.is_array() ? targets : nlohmann::json::array()) {
    std::string goal = FieldText(target, "expected");
    if (goal.empty()) goal = FieldText(target, "target");
    std::string note;
    const std::string actual = FieldText(target, "actual");
    if (!actual.empty()) note = "actual " + actual;
    const std::string detail = FieldText(target, "detail");
    if (!detail.empty()) note += (note.empty() ? "" : ", ") + detail;
    table.AddRow({FieldText(target, "name"), OrDash(goal), OrDash(When(target, "due_at")),
                  OrDash(FieldText(target, "took")), OrDash(FieldText(target, "by")),
                  StateText(target), note});
  }
  return table.Render();
}

std::string ActionTable(const nlohmann::json& actions) {
  Table table({"ACTION", "WITHIN", "DUE", "TOOK", "BY", "STATE"});
  for (const auto& action : actions.is_array() ? actions : nlohmann::json::array()) {
    table.AddRow({FieldText(action, "action"), OrDash(FieldText(action, "within")),
                  OrDash(When(action, "due_at")), OrDash(FieldText(action, "took")),
                  OrDash(FieldText(action, "by")), StateText(action)});
  }
  return table.Render();
}

// "INC-12 Checkout error rate above 10% (SEV-1, resolved)"; the ref alone when that is all.
std::string DescribeIncident(const nlohmann::json& incident) {
  if (!incident.is_object()) return "";
  std::string text = FieldText(incident, "ref");
  const std::string title = FieldText(incident, "title");
  if (!title.empty()) text += " " + title;
  std::string facts = FieldText(incident, "severity");
  const std::string status = FieldText(incident, "status");
  if (!status.empty()) facts += (facts.empty() ? "" : ", ") + status;
  return facts.empty() ? text : text + " (" + facts + ")";
}

// "Created drill scenario checkout-error-spike (id 1, version 1)".
std::string Done(std::string_view verb, const nlohmann::json& scenario) {
  return SanitizeForTerminal(std::string(verb) + " drill scenario " + FieldText(scenario, "name") +
                             " (id " + FieldText(scenario, "id") + ", version " +
                             FieldText(scenario, "version") + ")") +
         "\n";
}

// POSTs (or PUTs) the --file scenario to `path` and prints `verb` and the scenario.
int SendScenarioFile(Context& context, const Invocation& invocation, std::string_view method,
                     const std::string& path, std::string_view verb) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const std::optional<nlohmann::json> body = ScenarioFile(context, invocation);
  if (!body) return kExitError;
  return CallAndShow(context, invocation, *json, method, path, &*body,
                     [verb](const nlohmann::json& scenario) { return Done(verb, scenario); });
}

}  // namespace

std::optional<std::string> NormalizeDrillRunId(std::string_view text) {
  if (text.size() > 1 && text[0] == '#') text.remove_prefix(1);
  const std::optional<int64_t> number = ParsePositiveInt(text);
  if (!number) return std::nullopt;
  return std::to_string(*number);
}

std::string RenderDrillScenarioTable(const nlohmann::json& scenarios) {
  Table table({"NAME", "SERVICE", "SEVERITY", "TIME LIMIT", "RUNS", "LAST RUN"});
  table.SetMaxWidth(0, kMaxNameWidth);
  for (const auto& s : scenarios.is_array() ? scenarios : nlohmann::json::array()) {
    table.AddRow({FieldText(s, "name"), OrDash(FieldText(s, "service")),
                  OrDash(FieldText(s, "severity")), OrDash(FieldText(s, "time_limit")),
                  OrDash(FieldText(s, "runs")), LastRun(s)});
  }
  return table.Render();
}

std::string RenderDrillScenario(const nlohmann::json& scenario) {
  std::string created = When(scenario, "created_at");
  const std::string creator = FieldText(scenario, "created_by");
  if (!created.empty() && !creator.empty()) created += " by " + creator;
  const nlohmann::json& allow_public = Member(scenario, "allow_public");
  std::string runs = FieldText(scenario, "runs");
  if (Member(scenario, "last_run").is_object()) runs += ", last " + LastRun(scenario);
  std::string out = DetailLine("Scenario:", FieldText(scenario, "name")) +
                    DetailLine("Id:", FieldText(scenario, "id")) +
                    DetailLine("Service:", FieldText(scenario, "service")) +
                    DetailLine("Severity:", FieldText(scenario, "severity")) +
                    DetailLine("Time limit:", FieldText(scenario, "time_limit")) +
                    DetailLine("Public:", allow_public.is_boolean() && allow_public.get<bool>()
                                              ? "yes (may reach the status page and customers)"
                                              : "no (never on the status page or to customers)") +
                    DetailLine("Runs:", runs) + DetailLine("Created:", created) +
                    DetailLine("Updated:", When(scenario, "updated_at")) +
                    DetailLine("Version:", FieldText(scenario, "version")) +
                    DetailLine("Description:", FieldText(scenario, "description"));
  out += "\nAlerts\n" + AlertTable(Member(scenario, "alerts"));
  const nlohmann::json& expected = Member(scenario, "expected_actions");
  out += "\nExpected actions\n";
  out += expected.is_array() && !expected.empty() ? ExpectedTable(expected) : "(none)\n";
  return out;
}

std::string RenderDrillRun(const nlohmann::json& run) {
  return DetailLine("Run:", FieldText(run, "id")) + DetailLine("Scenario:", ScenarioName(run)) +
         DetailLine("Status:", RunState(run)) +
         DetailLine("Incident:", DescribeIncident(Member(run, "incident"))) +
         DetailLine("Scheduled:", When(run, "scheduled_at")) +
         DetailLine("Started:", When(run, "started_at")) +
         DetailLine(Member(run, "finished_at").is_string() ? "Was to end:" : "Ends:",
                    When(run, "ends_at")) +
         DetailLine("Finished:", When(run, "finished_at")) +
         DetailLine("Result:", DescribeSummary(Member(run, "summary"))) +
         DetailLine("Note:", FieldText(run, "note"));
}

std::string RenderDrillRunTable(const nlohmann::json& runs) {
  Table table({"ID", "SCENARIO", "STATUS", "INCIDENT", "START", "END", "RESULT"});
  table.SetMaxWidth(1, kMaxNameWidth);
  for (const auto& run : runs.is_array() ? runs : nlohmann::json::array()) {
    std::string start = When(run, "started_at");
    if (start.empty()) start = When(run, "scheduled_at");
    std::string end = When(run, "finished_at");
    if (end.empty()) end = When(run, "ends_at");
    table.AddRow({FieldText(run, "id"), ScenarioName(run), RunState(run),
                  OrDash(FieldText(Member(run, "incident"), "ref")), OrDash(start), OrDash(end),
                  OrDash(DescribeSummary(Member(run, "summary")))});
  }
  return table.Render();
}

std::string RenderDrillReport(const nlohmann::json& report) {
  const nlohmann::json& run = Member(report, "run");
  std::string summary = DescribeSummary(Member(report, "summary"));
  std::string out = SanitizeForTerminal("Drill run " + FieldText(run, "id") + " (" +
                                        ScenarioName(run) + "): " + OrDash(summary)) +
                    "\n";
  out += DetailLine("Status:", RunState(run)) +
         DetailLine("Incident:", DescribeIncident(Member(report, "incident"))) +
         DetailLine("Scheduled:", When(run, "scheduled_at")) +
         DetailLine("Started:", When(run, "started_at")) +
         DetailLine(Member(run, "finished_at").is_string() ? "Was to end:" : "Ends:",
                    When(run, "ends_at")) +
         DetailLine("Finished:", When(run, "finished_at")) +
         DetailLine("Time limit:", FieldText(run, "time_limit"));
  const nlohmann::json& targets = Member(report, "targets");
  if (targets.is_array() && !targets.empty()) out += "\nTargets\n" + TargetTable(targets);
  const nlohmann::json& actions = Member(report, "expected_actions");
  if (actions.is_array() && !actions.empty()) {
    out += "\nExpected actions\n" + ActionTable(actions);
  }
  const nlohmann::json& paging = Member(report, "paging");
  if (paging.is_object()) {
    out += "\nPaging\n" + DetailLine("First page:", OrDash(When(paging, "first_page_at"))) +
           DetailLine("Escalation:", OrDash(FieldText(paging, "escalation_steps")) +
                                         " step(s) fired, " +
                                         OrDash(FieldText(paging, "escalation_steps_before_ack")) +
                                         " before the acknowledgement") +
           DetailLine("Notifications:",
                      OrDash(FieldText(paging, "notifications_delivered")) + " delivered, " +
                          OrDash(FieldText(paging, "notifications_failed")) + " failed");
  }
  return out;
}

int DrillListCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  return CallAndShow(context, invocation, *json, "GET", std::string(kScenarios), nullptr,
                     [](const nlohmann::json& list) {
                       return RenderItems(list, &RenderDrillScenarioTable, "drill scenarios");
                     });
}

int DrillShowCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const std::optional<std::string> path = ScenarioPath(context, invocation);
  if (!path) return kExitUsage;
  return CallAndShow(context, invocation, *json, "GET", *path, nullptr, &RenderDrillScenario);
}

int DrillCreateCommand(Context& context, const Invocation& invocation) {
  return SendScenarioFile(context, invocation, "POST", std::string(kScenarios), "Created");
}

int DrillUpdateCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> path = ScenarioPath(context, invocation);
  if (!path) return kExitUsage;
  return SendScenarioFile(context, invocation, "PUT", *path, "Updated");
}

int DrillDeleteCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> path = ScenarioPath(context, invocation);
  if (!path) return kExitUsage;
  const std::string name = invocation.args.at(0);
  return CallAndShow(context, invocation, invocation.Has("json"), "DELETE", *path, nullptr,
                     [&name](const nlohmann::json&) {
                       return SanitizeForTerminal("Deleted drill scenario " + name) + "\n";
                     });
}

int DrillRunCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const std::optional<std::string> path = ScenarioPath(context, invocation, "/runs");
  if (!path) return kExitUsage;
  const std::optional<std::string> at =
      TimeOptionText(context, invocation, "at", context.clock.Now());
  if (!at) return kExitUsage;
  nlohmann::json body = nlohmann::json::object();
  if (!at->empty()) body["at"] = *at;
  return CallAndShow(context, invocation, *json, "POST", *path, &body, &RenderDrillRun);
}

int DrillRunsCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  std::string status;
  if (invocation.Has("status")) {
    const std::optional<std::string> given =
        ChoiceOption(context, invocation, "status", kRunStatuses);
    if (!given) return kExitUsage;
    status = *given;
  }
  std::string scenario;
  if (invocation.Has("scenario")) {
    const std::optional<std::string> given =
        RequireNonEmpty(context, invocation, invocation.Get("scenario"), "--scenario");
    if (!given) return kExitUsage;
    scenario = *given;
  }
  std::string limit;
  if (invocation.Has("limit")) {
    const std::optional<int64_t> n = ParsePositiveInt(invocation.Get("limit"));
    if (!n || *n > 200) {
      return ReportUsage(context, invocation,
                         "invalid --limit '" + invocation.Get("limit") + "' (expected 1..200)");
    }
    limit = std::to_string(*n);
  }
  const std::string path =
      WithQuery(std::string(kRuns), {{"scenario", scenario}, {"status", status}, {"limit", limit}});
  return CallAndShow(context, invocation, *json, "GET", path, nullptr,
                     [](const nlohmann::json& list) {
                       return RenderItems(list, &RenderDrillRunTable, "drill runs");
                     });
}

int DrillCancelCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const std::optional<std::string> path = RunPath(context, invocation, "/cancel");
  if (!path) return kExitUsage;
  return CallAndShow(context, invocation, *json, "POST", *path, nullptr,
                     [](const nlohmann::json& run) {
                       std::string line = "Cancelled drill run " + FieldText(run, "id") + " (" +
                                          ScenarioName(run) + "): " + RunState(run);
                       const std::string incident = FieldText(Member(run, "incident"), "ref");
                       if (!incident.empty()) line += "; its incident " + incident + " is resolved";
                       return SanitizeForTerminal(line) + "\n";
                     });
}

int DrillReportCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const bool markdown = invocation.Has("markdown");
  if (markdown && *json) {
    return ReportUsage(context, invocation, "give --markdown or JSON output, not both");
  }
  const std::optional<std::string> path = RunPath(context, invocation, "/report");
  if (!path) return kExitUsage;
  if (!markdown) {
    return CallAndShow(context, invocation, *json, "GET", *path, nullptr, &RenderDrillReport);
  }
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<HttpResponse> response =
      SendRequest(context, *session, "GET", WithQuery(*path, {{"format", "markdown"}}));
  if (!response) return kExitError;
  if (response->status < 200 || response->status > 299) {
    return ReportError(context, FormatApiError(response->status, response->body));
  }
  context.out << response->body;
  return kExitOk;
}

}  // namespace klaxon::cli
