// `klaxon action-items`, `klaxon action-item ...` and `klaxon report`: the follow-up work
// incidents leave behind (docs/api.md "Action items", followup/action_items.h) and the
// response report of a period (GET /api/v1/analytics, GET /api/v1/reports/quarterly;
// analytics/export.h for the JSON).
//
// Times of action items are shown in the local time zone (TZ), and a due date typed as a
// date alone means the end of that day there. The report's period is the server's business:
// its dates are days in the organization's time zone.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/command_helpers.h"
#include "cli/errors.h"
#include "cli/handlers.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"
#include "cli/time_args.h"
#include "core/time_format.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kItems = "/api/v1/action-items";
constexpr std::string_view kIncidents = "/api/v1/incidents";
constexpr std::string_view kAnalytics = "/api/v1/analytics";
constexpr std::string_view kQuarterly = "/api/v1/reports/quarterly";
constexpr size_t kMaxTitleWidth = 60;
constexpr size_t kMaxReportRows = 10;  // Per breakdown table of `report`.
constexpr size_t kReportLabelWidth = 19;

constexpr std::string_view kListStatuses[] = {"active",      "all",  "open",
                                              "in_progress", "done", "wont_do"};
constexpr std::string_view kStatuses[] = {"open", "in_progress", "done", "wont_do"};
constexpr std::string_view kPriorities[] = {"urgent", "high", "medium", "low"};
constexpr std::string_view kReportFormats[] = {"table", "json", "csv", "markdown", "html"};
constexpr std::string_view kDueForms =
    "a date like 2026-12-20 (the end of that day, local time), RFC 3339 like "
    "2026-12-20T17:00:00Z, or +3d, +1w";

std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

bool IsTrue(const nlohmann::json& value) { return value.is_boolean() && value.get<bool>(); }

template <size_t N>
bool OneOf(std::string_view text, const std::string_view (&choices)[N]) {
  for (std::string_view choice : choices) {
    if (choice == text) return true;
  }
  return false;
}

// ---- Arguments ----------------------------------------------------------------------------

// A date "YYYY-MM-DD" as the year, month and day of a std::tm (the rest zero), not yet
// checked against the calendar (2026-02-30 passes); nullopt for any other text.
std::optional<std::tm> DateFields(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const auto number = [&](size_t at, size_t length) {
    int value = 0;
    for (size_t i = at; i < at + length; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  std::tm fields{};
  fields.tm_year = number(0, 4) - 1900;
  fields.tm_mon = number(5, 2) - 1;
  fields.tm_mday = number(8, 2);
  if (fields.tm_mon < 0 || fields.tm_mon > 11 || fields.tm_mday < 1 || fields.tm_mday > 31) {
    return std::nullopt;
  }
  return fields;
}

// Whether the option `name` is a date or a time the server reads ("2026-10-01", RFC 3339,
// or a relative form sent as RFC 3339); the text to send, or nullopt after a usage error.
std::optional<std::string> DateOrTimeOption(Context& context, const Invocation& invocation,
                                            std::string_view name) {
  const std::string text = invocation.Get(name);
  if (std::optional<std::tm> date = DateFields(text)) {
    const int month = date->tm_mon;
    date->tm_hour = 12;  // Noon: no time zone moves it to another day.
    const std::time_t t = timegm(&*date);
    if (t != -1 && date->tm_mon == month) return text;
  } else if (std::optional<TimeMs> time = ParseTimeArg(text, context.clock.Now())) {
    return FormatTime(*time);
  }
  ReportUsage(context, invocation,
              "invalid --" + std::string(name) + " '" + text +
                  "' (expected a date like 2026-10-01, or " + std::string(kTimeArgForms) + ")");
  return std::nullopt;
}

// The item's number from the first argument, or nullopt after a usage error.
std::optional<std::string> ItemNumber(Context& context, const Invocation& invocation) {
  std::optional<std::string> number = NormalizeActionItemId(invocation.args.at(0));
  if (!number) {
    ReportUsage(context, invocation,
                "invalid action item id '" + invocation.args.at(0) +
                    "' (expected a number like 7 or a reference like AI-7)");
  }
  return number;
}

// The fields of `action-item create` and `update` from their options, as the API names
// them; nullopt after a usage error.
std::optional<nlohmann::json> ItemFields(Context& context, const Invocation& invocation,
                                         bool update) {
  nlohmann::json body = nlohmann::json::object();
  for (const std::string_view name : {"title", "owner", "description"}) {
    if (!invocation.Has(name)) continue;
    std::string value = invocation.Get(name);
    if (value.empty() && name != "description") {
      ReportUsage(context, invocation, "empty --" + std::string(name));
      return std::nullopt;
    }
    if (update && name == "owner" && value == "none") value.clear();  // Unassigns it.
    body[std::string(name)] = value;
  }
  if (invocation.Has("priority")) {
    const std::optional<std::string> priority =
        ChoiceOption(context, invocation, "priority", kPriorities);
    if (!priority) return std::nullopt;
    body["priority"] = *priority;
  }
  if (update && invocation.Has("status")) {
    const std::optional<std::string> status =
        ChoiceOption(context, invocation, "status", kStatuses);
    if (!status) return std::nullopt;
    body["status"] = *status;
  }
  if (invocation.Has("tracker")) {
    const std::string url = invocation.Get("tracker");
    const bool cleared = update && (url.empty() || url == "none");
    if (!cleared && !url.starts_with("https://") && !url.starts_with("http://")) {
      ReportUsage(context, invocation,
                  "invalid --tracker '" + url + "' (expected an http:// or https:// URL" +
                      (update ? ", or none to remove it)" : ")"));
      return std::nullopt;
    }
    body["tracker_url"] = cleared ? "" : url;
  }
  if (invocation.Has("due")) {
    const std::string text = invocation.Get("due");
    if (update && text == "none") {
      body["due_at"] = "";
    } else if (std::optional<std::string> due = ParseDueArg(text, context.clock.Now())) {
      body["due_at"] = *due;
    } else {
      ReportUsage(context, invocation,
                  "invalid --due '" + text + "' (expected " + std::string(kDueForms) +
                      (update ? "; or none to clear it)" : ")"));
      return std::nullopt;
    }
  }
  return body;
}

// ---- Views --------------------------------------------------------------------------------

// The item's due time in local time, "(overdue)" after it when the server says so; "-".
std::string DueText(const nlohmann::json& item) {
  const std::optional<TimeMs> due = ParseTime(FieldText(item, "due_at"));
  if (!due) return "-";
  return FormatLocalTime(*due) + (IsTrue(Member(item, "overdue")) ? " (overdue)" : "");
}

// A time field in local time; "" when absent.
std::string LocalField(const nlohmann::json& object, std::string_view key) {
  const std::string text = FieldText(object, key);
  const std::optional<TimeMs> time = ParseTime(text);
  return time ? FormatLocalTime(*time) : text;
}

std::string Ref(const nlohmann::json& item) {
  std::string ref = FieldText(item, "ref");
  return ref.empty() ? "AI-" + FieldText(item, "id") : ref;
}

// "AI-7 for INC-42: Write the runbook (owner ada, high, due 2026-12-20 23:59 UTC)", and
// ", overdue" at the end when it is.
std::string DescribeItem(const nlohmann::json& item) {
  std::string facts;
  const std::string owner = PersonName(item, "owner");
  if (!owner.empty()) facts += "owner " + owner + ", ";
  facts += FieldText(item, "priority");
  if (const std::optional<TimeMs> due = ParseTime(FieldText(item, "due_at"))) {
    facts += ", due " + FormatLocalTime(*due);
  }
  if (IsTrue(Member(item, "overdue"))) facts += ", overdue";
  return Ref(item) + " for " + FieldText(item, "incident_ref") + ": " + FieldText(item, "title") +
         " (" + facts + ")";
}

// "status done, due none" for the fields an update sent, with the values the server kept.
std::string DescribeChanges(const nlohmann::json& sent, const nlohmann::json& item) {
  std::string out;
  const auto add = [&](const std::string& text) { out += (out.empty() ? "" : ", ") + text; };
  if (sent.contains("title")) add("title \"" + FieldText(item, "title") + "\"");
  if (sent.contains("description")) add("description");
  if (sent.contains("status")) add("status " + FieldText(item, "status"));
  if (sent.contains("owner")) add("owner " + OrDash(PersonName(item, "owner")));
  if (sent.contains("priority")) add("priority " + FieldText(item, "priority"));
  if (sent.contains("due_at")) add("due " + (sent["due_at"] == "" ? "none" : DueText(item)));
  if (sent.contains("tracker_url")) add("tracker " + OrDash(FieldText(item, "tracker_url")));
  return out;
}

// "mean 4m 30s, median 3m, p90 9m (n 11)" for an analytics Summary; "-" when it has none.
std::string DescribeSummary(const nlohmann::json& summary) {
  const std::string n = FieldText(summary, "n");
  if (n.empty() || n == "0") return "-";
  return "mean " + FieldText(summary, "mean") + ", median " + FieldText(summary, "median") +
         ", p90 " + FieldText(summary, "p90") + " (of " + n + ")";
}

// "10 met, 1 missed, 2 pending" for a target tally.
std::string DescribeTally(const nlohmann::json& tally) {
  std::string out = FieldText(tally, "met") + " met, " + FieldText(tally, "missed") + " missed";
  const std::string pending = FieldText(tally, "pending");
  if (!pending.empty() && pending != "0") out += ", " + pending + " pending";
  return out;
}

// "label:   value\n" with values in one column.
std::string ReportLine(std::string_view label, const std::string& value) {
  std::string line(label);
  line.append(kReportLabelWidth > label.size() ? kReportLabelWidth - label.size() : 1, ' ');
  return line + SanitizeForTerminal(value) + "\n";
}

// "2026-Q4 (Europe/Berlin)", or the instants when the period is no quarter.
std::string DescribePeriod(const nlohmann::json& period) {
  const std::string quarter = FieldText(period, "quarter");
  std::string text;
  if (!quarter.empty()) {
    text = quarter;
  } else {
    const std::optional<TimeMs> from = ParseTime(FieldText(period, "from"));
    const std::optional<TimeMs> to = ParseTime(FieldText(period, "to"));
    text = (from ? HumanTime(*from) : "?") + " to " + (to ? HumanTime(*to) : "?");
  }
  const std::string zone = FieldText(period, "time_zone");
  return zone.empty() ? text : text + " (" + zone + ")";
}

// "service checkout, severity SEV-1, drills included" for the filters set; "none".
std::string DescribeFilters(const nlohmann::json& filters) {
  std::string out;
  const auto add = [&](const std::string& text) { out += (out.empty() ? "" : ", ") + text; };
  for (const char* key : {"service", "team", "severity"}) {
    const std::string value = FieldText(filters, key);
    if (!value.empty()) add(std::string(key) + " " + value);
  }
  if (FieldText(filters, "include_drills") == "true") add("drills included");
  if (FieldText(filters, "include_noise") == "true") add("noise included");
  return out.empty() ? "none" : out;
}

// "12 (3 open, 1 reopened; left out: 2 drills, 1 noise)".
std::string DescribeIncidents(const nlohmann::json& incidents) {
  std::string out = FieldText(incidents, "total") + " (" + FieldText(incidents, "open") + " open";
  const std::string reopened = FieldText(incidents, "reopened");
  if (!reopened.empty() && reopened != "0") out += ", " + reopened + " reopened";
  const std::string drills = FieldText(incidents, "excluded_drills");
  const std::string noise = FieldText(incidents, "excluded_noise");
  const bool drills_out = !drills.empty() && drills != "0";
  const bool noise_out = !noise.empty() && noise != "0";
  if (drills_out || noise_out) {
    out += "; left out: ";
    if (drills_out) out += drills + (drills == "1" ? " drill" : " drills");
    if (drills_out && noise_out) out += ", ";
    if (noise_out) out += noise + " noise";
  }
  return out + ")";
}

// A breakdown (by_severity, by_service) as a table of at most kMaxReportRows rows.
std::string GroupTable(const nlohmann::json& groups, std::string_view title,
                       std::string_view key_header, std::string_view empty_key) {
  if (!groups.is_array() || groups.empty()) return "";
  Table table({std::string(key_header), "INCIDENTS", "OPEN", "MISSED A TARGET", "MTTA MEDIAN",
               "MTTR MEDIAN"});
  table.SetMaxWidth(0, 40);
  const auto median = [](const nlohmann::json& summary) {
    return FieldText(summary, "n") == "0" ? "-" : OrDash(FieldText(summary, "median"));
  };
  for (size_t i = 0; i < groups.size() && i < kMaxReportRows; ++i) {
    const nlohmann::json& group = groups[i];
    const std::string key = FieldText(group, "key");
    table.AddRow({key.empty() ? std::string(empty_key) : key, FieldText(group, "incidents"),
                  FieldText(group, "open"), FieldText(group, "targets_missed"),
                  median(Member(group, "mtta")), median(Member(group, "mttr"))});
  }
  std::string out = "\n" + std::string(title) + "\n" + table.Render();
  if (groups.size() > kMaxReportRows) {
    out += "(" + std::to_string(groups.size() - kMaxReportRows) + " more; --format json has all)\n";
  }
  return out;
}

std::string OnCallTable(const nlohmann::json& oncall) {
  if (!oncall.is_array() || oncall.empty()) return "";
  Table table({"USER", "PAGES", "AT NIGHT", "AT WEEKENDS"});
  for (size_t i = 0; i < oncall.size() && i < kMaxReportRows; ++i) {
    const nlohmann::json& person = oncall[i];
    table.AddRow({FieldText(person, "username"), FieldText(person, "pages"),
                  FieldText(person, "night_pages"), FieldText(person, "weekend_pages")});
  }
  std::string out = "\nOn-call load\n" + table.Render();
  if (oncall.size() > kMaxReportRows) {
    out += "(" + std::to_string(oncall.size() - kMaxReportRows) + " more; --format json has all)\n";
  }
  return out;
}

// ---- report -------------------------------------------------------------------------------

// The report's format: --format, else json with --json, else table; nullopt after a usage
// error.
std::optional<std::string> ReportFormat(Context& context, const Invocation& invocation) {
  if (!invocation.Has("format")) return invocation.Has("json") ? "json" : "table";
  std::optional<std::string> format = ChoiceOption(context, invocation, "format", kReportFormats);
  if (format && invocation.Has("json") && *format != "json") {
    ReportUsage(context, invocation, "--json and --format " + *format + " contradict each other");
    return std::nullopt;
  }
  return format;
}

// The period and filters as query parameters; nullopt after a usage error.
std::optional<std::vector<std::pair<std::string, std::string>>> ReportQuery(
    Context& context, const Invocation& invocation) {
  std::vector<std::pair<std::string, std::string>> query;
  const bool range = invocation.Has("from") || invocation.Has("to");
  if (invocation.Has("quarter")) {
    const std::string quarter = invocation.Get("quarter");
    const bool valid = quarter.size() == 7 && quarter[4] == '-' &&
                       (quarter[5] == 'Q' || quarter[5] == 'q') && quarter[6] >= '1' &&
                       quarter[6] <= '4' &&
                       std::all_of(quarter.begin(), quarter.begin() + 4,
                                   [](char c) { return c >= '0' && c <= '9'; });
    if (!valid) {
      ReportUsage(context, invocation,
                  "invalid --quarter '" + quarter + "' (expected YYYY-Qn, like 2026-Q4)");
      return std::nullopt;
    }
    if (range) {
      ReportUsage(context, invocation, "give --quarter or --from and --to, not both");
      return std::nullopt;
    }
    query.emplace_back("quarter", quarter.substr(0, 5) + "Q" + quarter.substr(6));
  } else if (range) {
    for (const char* name : {"from", "to"}) {
      if (!invocation.Has(name)) {
        ReportUsage(context, invocation,
                    std::string("missing --") + name + " (--from and --to go together)");
        return std::nullopt;
      }
      const std::optional<std::string> value = DateOrTimeOption(context, invocation, name);
      if (!value) return std::nullopt;
      query.emplace_back(name, *value);
    }
  }
  for (const char* name : {"service", "team", "severity"}) {
    if (!invocation.Has(name)) continue;
    const std::optional<std::string> value =
        RequireNonEmpty(context, invocation, invocation.Get(name), "--" + std::string(name));
    if (!value) return std::nullopt;
    query.emplace_back(name, *value);
  }
  if (invocation.Has("include-drills")) query.emplace_back("include_drills", "true");
  if (invocation.Has("include-noise")) query.emplace_back("include_noise", "true");
  return query;
}

// Writes `text` to -o FILE, or to the output stream without -o. Returns the exit code.
int WriteReport(Context& context, const Invocation& invocation, const std::string& text) {
  if (!invocation.Has("output")) {
    context.out << text;
    return kExitOk;
  }
  const std::string file = invocation.Get("output");
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return ReportError(context, "cannot write " + file + ": " + std::strerror(errno));
  context.err << "wrote " << SanitizeForTerminal(file) << "\n";
  return kExitOk;
}

}  // namespace

std::optional<std::string> NormalizeActionItemId(std::string_view text) {
  if (text.size() > 3 && (text[0] == 'A' || text[0] == 'a') && (text[1] == 'I' || text[1] == 'i') &&
      text[2] == '-') {
    text.remove_prefix(3);
  } else if (text.size() > 1 && text[0] == '#') {
    text.remove_prefix(1);
  }
  const std::optional<int64_t> number = ParsePositiveInt(text);
  if (!number) return std::nullopt;
  return std::to_string(*number);
}

std::string FormatLocalTime(TimeMs t) {
  const std::time_t seconds = static_cast<std::time_t>(t >= 0 ? t / 1000 : -((999 - t) / 1000));
  std::tm local{};
  char text[64];
  if (localtime_r(&seconds, &local) == nullptr) return HumanTime(t);
  const size_t length = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M %Z", &local);
  return length == 0 ? HumanTime(t) : std::string(text, length);
}

std::optional<std::string> ParseDueArg(std::string_view text, TimeMs now) {
  if (std::optional<std::tm> date = DateFields(text)) {
    const int day = date->tm_mday;
    date->tm_hour = 23;
    date->tm_min = 59;
    date->tm_sec = 59;
    date->tm_isdst = -1;
    const std::time_t end = std::mktime(&*date);
    if (end == -1 || date->tm_mday != day) return std::nullopt;  // 2026-02-30.
    return FormatTime(static_cast<TimeMs>(end) * 1000 + 999);
  }
  const std::optional<TimeMs> time = ParseTimeArg(text, now);
  if (!time) return std::nullopt;
  return FormatTime(*time);
}

std::string RenderActionItemTable(const nlohmann::json& items) {
  Table table({"REF", "TITLE", "INCIDENT", "SERVICE", "OWNER", "PRIORITY", "DUE", "STATUS"});
  table.SetMaxWidth(1, kMaxTitleWidth);
  for (const auto& item : items.is_array() ? items : nlohmann::json::array()) {
    table.AddRow({Ref(item), FieldText(item, "title"), FieldText(item, "incident_ref"),
                  OrDash(FieldText(item, "service")), OrDash(PersonName(item, "owner")),
                  FieldText(item, "priority"), DueText(item), FieldText(item, "status")});
  }
  return table.Render();
}

std::string RenderActionItem(const nlohmann::json& item) {
  std::string incident = FieldText(item, "incident_ref");
  const std::string incident_title = FieldText(item, "incident_title");
  if (!incident_title.empty()) incident += " " + incident_title;
  std::string created = LocalField(item, "created_at");
  const std::string creator = PersonName(item, "created_by");
  if (!creator.empty()) created += " by " + creator;
  return DetailLine(Ref(item) + ":", FieldText(item, "title")) + DetailLine("Incident:", incident) +
         DetailLine("Service:", FieldText(item, "service")) +
         DetailLine("Status:", FieldText(item, "status")) +
         DetailLine("Priority:", FieldText(item, "priority")) +
         DetailLine("Owner:", OrDash(PersonName(item, "owner"))) +
         DetailLine("Due:", DueText(item)) +
         DetailLine("Tracker:", FieldText(item, "tracker_url")) +
         DetailLine("From:", FieldText(item, "source")) + DetailLine("Created:", created) +
         DetailLine("Updated:", LocalField(item, "updated_at")) +
         DetailLine("Closed:", LocalField(item, "closed_at")) +
         DetailLine("Version:", FieldText(item, "version")) +
         DetailLine("Description:", FieldText(item, "description"));
}

std::string RenderReport(const nlohmann::json& report) {
  const nlohmann::json& targets = Member(report, "targets");
  const nlohmann::json& updates = Member(report, "updates");
  const nlohmann::json& items = Member(report, "action_items");
  const nlohmann::json& reviews = Member(report, "reviews");
  std::string out =
      ReportLine("Period:", DescribePeriod(Member(report, "period"))) +
      ReportLine("Filters:", DescribeFilters(Member(report, "filters"))) +
      ReportLine("Incidents:", DescribeIncidents(Member(report, "incidents"))) +
      ReportLine("MTTA:", DescribeSummary(Member(report, "mtta"))) +
      ReportLine("Time to mitigate:", DescribeSummary(Member(report, "time_to_mitigate"))) +
      ReportLine("MTTR:", DescribeSummary(Member(report, "mttr"))) +
      ReportLine("Ack target:", DescribeTally(Member(targets, "ack"))) +
      ReportLine("Resolve target:", DescribeTally(Member(targets, "resolve"))) +
      ReportLine("Updates:", FieldText(updates, "kept") + " kept, " + FieldText(updates, "missed") +
                                 " missed") +
      ReportLine("Action items:", FieldText(items, "open") + " open, " +
                                      FieldText(items, "overdue") + " overdue, " +
                                      FieldText(items, "done") + " done") +
      ReportLine("Reviews:", FieldText(reviews, "due") + " due, " +
                                 FieldText(reviews, "published") + " published, " +
                                 FieldText(reviews, "late") + " late");
  out += GroupTable(Member(report, "by_severity"), "By severity", "SEVERITY", "-");
  out += GroupTable(Member(report, "by_service"), "By service", "SERVICE", "(no service)");
  out += OnCallTable(Member(report, "oncall"));
  return out;
}

int ActionItemListCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  if (invocation.Has("mine") && invocation.Has("owner")) {
    return ReportUsage(context, invocation, "give --mine or --owner, not both");
  }
  std::string owner = invocation.Has("mine") ? "me" : invocation.Get("owner");
  if (invocation.Has("owner") && !RequireNonEmpty(context, invocation, owner, "--owner")) {
    return kExitUsage;
  }
  std::string status;
  if (invocation.Has("status")) {
    const std::optional<std::string> given =
        ChoiceOption(context, invocation, "status", kListStatuses);
    if (!given) return kExitUsage;
    status = *given;
  }
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::string path =
      WithQuery(std::string(kItems), {{"owner", owner},
                                      {"service", invocation.Get("service")},
                                      {"status", status},
                                      {"overdue", invocation.Has("overdue") ? "true" : ""}});
  const std::optional<nlohmann::json> list = session->Call("GET", path);
  if (!list) return kExitError;
  if (*json) {
    session->PrintJson(*list);
    return kExitOk;
  }
  const nlohmann::json& items = Member(*list, "items");
  if (!items.is_array() || items.empty()) {
    context.out << "No action items.\n";
    return kExitOk;
  }
  context.out << RenderActionItemTable(items);
  const nlohmann::json& total = Member(*list, "total");
  if (total.is_number_integer() && total.get<int64_t>() > static_cast<int64_t>(items.size())) {
    context.err << "(" << items.size() << " of " << total.get<int64_t>()
                << " action items; narrow the list with --service, --owner or --status)\n";
  }
  return kExitOk;
}

int ActionItemCreateCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const std::optional<std::string> incident = NormalizeIncidentId(invocation.args.at(0));
  if (!incident) {
    return ReportUsage(context, invocation,
                       "invalid incident id '" + invocation.args.at(0) +
                           "' (expected a number like 42 or a reference like INC-42)");
  }
  std::optional<nlohmann::json> body = ItemFields(context, invocation, false);
  if (!body) return kExitUsage;
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> item =
      session->Call("POST", std::string(kIncidents) + "/" + *incident + "/action-items", &*body);
  if (!item) return kExitError;
  if (*json) {
    session->PrintJson(*item);
  } else {
    context.out << SanitizeForTerminal("Created " + DescribeItem(*item)) << "\n";
  }
  return kExitOk;
}

int ActionItemUpdateCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const std::optional<std::string> number = ItemNumber(context, invocation);
  if (!number) return kExitUsage;
  std::optional<nlohmann::json> body = ItemFields(context, invocation, true);
  if (!body) return kExitUsage;
  if (body->empty()) {
    return ReportUsage(context, invocation,
                       "nothing to change: give --status, --owner, --priority, --due, --title, "
                       "--tracker or --description");
  }
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::string path = std::string(kItems) + "/" + *number;
  const std::optional<nlohmann::json> current = session->Call("GET", path);
  if (!current) return kExitError;
  const nlohmann::json& version = Member(*current, "version");
  if (!version.is_number_integer()) {
    return ReportError(context, "unexpected response from server: the item has no version");
  }
  const std::string ref = "AI-" + *number;
  nlohmann::json patch = *body;
  patch["version"] = version;
  const std::optional<HttpResponse> response =
      SendRequest(context, *session, "PATCH", path, patch.dump());
  if (!response) return kExitError;
  if (response->status == 409) {
    return ReportError(context, ref + " changed meanwhile (someone else edited it since it was " +
                                    "read); nothing was changed: run the command again");
  }
  if (response->status < 200 || response->status > 299) {
    return ReportError(context, FormatApiError(response->status, response->body));
  }
  const nlohmann::json item = nlohmann::json::parse(response->body, nullptr, false);
  if (item.is_discarded()) return ReportError(context, "unexpected response from server: not JSON");
  if (*json) {
    session->PrintJson(item);
  } else {
    context.out << SanitizeForTerminal("Updated " + Ref(item) + ": " + DescribeChanges(*body, item))
                << "\n";
  }
  return kExitOk;
}

int ActionItemShowCommand(Context& context, const Invocation& invocation) {
  const std::optional<bool> json = JsonOutput(context, invocation);
  if (!json) return kExitUsage;
  const std::optional<std::string> number = ItemNumber(context, invocation);
  if (!number) return kExitUsage;
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> item =
      session->Call("GET", std::string(kItems) + "/" + *number);
  if (!item) return kExitError;
  if (*json) {
    session->PrintJson(*item);
  } else {
    context.out << RenderActionItem(*item);
  }
  return kExitOk;
}

int ReportCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> format = ReportFormat(context, invocation);
  if (!format) return kExitUsage;
  if (invocation.Has("output")) {
    const std::string file = invocation.Get("output");
    if (!RequireNonEmpty(context, invocation, file, "-o")) return kExitUsage;
    if (OneOf(file, kReportFormats)) {
      return ReportUsage(context, invocation,
                         "-o takes a FILE to write; for the format give --format " + file +
                             " (or -o ./" + file + " for a file named " + file + ")");
    }
  }
  std::optional<std::vector<std::pair<std::string, std::string>>> query =
      ReportQuery(context, invocation);
  if (!query) return kExitUsage;
  std::string path(kAnalytics);
  if (*format == "csv") {
    query->emplace_back("format", "csv");
  } else if (*format == "markdown" || *format == "html") {
    path = kQuarterly;
    query->emplace_back("format", *format);
  }
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<HttpResponse> response =
      SendRequest(context, *session, "GET", WithQuery(path, *query), std::nullopt);
  if (!response) return kExitError;
  if (response->status < 200 || response->status > 299) {
    return ReportError(context, FormatApiError(response->status, response->body));
  }
  if (*format != "table" && *format != "json")
    return WriteReport(context, invocation, response->body);
  const nlohmann::json report = nlohmann::json::parse(response->body, nullptr, false);
  if (!report.is_object()) {
    return ReportError(context, "unexpected response from " + session->connection().server +
                                    ": the analytics are not a JSON object");
  }
  return WriteReport(context, invocation,
                     *format == "json" ? JsonText(report) + "\n" : RenderReport(report));
}

}  // namespace klaxon::cli
