// `klaxon integration ...`, `klaxon silence ...` and `klaxon maintenance ...`: where alerts
// come in (intake integrations, their keys and URLs, the requests they received) and what
// keeps them quiet (silences, maintenance windows).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <regex>
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

constexpr std::string_view kIntegrations = "/api/v1/integrations";
constexpr std::string_view kSilences = "/api/v1/silences";
constexpr std::string_view kMaintenance = "/api/v1/maintenance";
constexpr std::string_view kServices = "/api/v1/services";
constexpr size_t kMaxRegexBytes = 1000;  // As the server limits it.
constexpr size_t kMaxErrorWidth = 100;
constexpr size_t kMaxMatchersWidth = 80;
constexpr size_t kMaxCommentWidth = 50;
constexpr TimeMs kMinute = 60 * 1000;
constexpr std::string_view kBlanks = " \t";
constexpr std::string_view kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::string_view kMatcherForms =
    "expected name=value, name!=value, name=~regex or name!~regex";
constexpr std::string_view kDurationForms = "expected whole minutes like 90m, 2h, 1d, 1h30m";

// Service id → name, to show names where the server sends ids.
using ServiceNames = std::map<int64_t, std::string>;

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

// "a, b" for an array of strings (other values as JSON).
std::string JoinStrings(const nlohmann::json& array, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : Items(array)) {
    if (!out.empty()) out += separator;
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

// "1 error", "3 errors" for a count the server sent as a number.
std::string Counted(const std::string& count, std::string_view noun) {
  return count + " " + std::string(noun) + (count == "1" ? "" : "s");
}

// Each line of `text` made safe for the terminal, the line breaks kept.
std::string SanitizeLines(std::string_view text) {
  std::string out;
  while (true) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (line.ends_with('\r')) line.remove_suffix(1);
    out += SanitizeForTerminal(line) + "\n";
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return out;
}

// ---- Arguments ----------------------------------------------------------------------------

// The ID argument as a number; nullopt after a usage error naming `noun`.
std::optional<int64_t> IdArg(Context& context, const Invocation& invocation, std::string_view noun,
                             std::string_view group) {
  const std::string& text = invocation.args.at(0);
  const std::optional<int64_t> id = ParsePositiveInt(text);
  if (!id) {
    ReportUsage(context, invocation,
                "invalid " + std::string(noun) + " id '" + text + "' (expected a number; 'klaxon " +
                    std::string(group) + " list' lists them)");
  }
  return id;
}

// The option `name` as a whole number ≥ 0; nullopt after a usage error.
std::optional<int64_t> CountOption(Context& context, const Invocation& invocation,
                                   std::string_view name, std::string_view expected) {
  const std::string text = invocation.Get(name);
  const std::optional<int64_t> value = ParseInt64(text, 0);
  if (!value) {
    ReportUsage(context, invocation,
                "invalid --" + std::string(name) + " '" + text + "' (expected " +
                    std::string(expected) + ")");
  }
  return value;
}

// The --duration option in whole minutes; nullopt after a usage error.
std::optional<int64_t> DurationMinutes(Context& context, const Invocation& invocation) {
  const std::string text = invocation.Get("duration");
  const std::optional<int64_t> ms = ParseDurationArg(text);
  if (!ms || *ms % kMinute != 0) {
    ReportUsage(context, invocation,
                "invalid --duration '" + text + "' (" + std::string(kDurationForms) + ")");
    return std::nullopt;
  }
  return *ms / kMinute;
}

// The comma-separated items of option `name`, blanks trimmed; nullopt after a usage error
// when one is empty ("a,,b"). An empty value is an empty list.
std::optional<std::vector<std::string>> ListOption(Context& context, const Invocation& invocation,
                                                   std::string_view name) {
  const std::string text = invocation.Get(name);
  std::vector<std::string> items;
  if (Trim(text).empty()) return items;
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    if (item.empty()) {
      ReportUsage(context, invocation,
                  "invalid --" + std::string(name) + " '" + text + "' (an empty item)");
      return std::nullopt;
    }
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return items;
}

// ---- Services by name ---------------------------------------------------------------------

bool HasServiceId(const nlohmann::json& item) {
  return Member(item, "service_id").is_number_integer() && !Member(item, "service").is_object();
}

// Whether the response (an item or a list of them) names services by id only.
bool NeedsServiceNames(const nlohmann::json& response) {
  if (HasServiceId(response)) return true;
  for (const auto& item : Items(Member(response, "items"))) {
    if (HasServiceId(item)) return true;
  }
  return false;
}

// Every service's name by id, asked quietly: when the list cannot be had (an old server, a
// hiccup after the change went through), the ids are shown instead and nothing fails.
ServiceNames FetchServiceNames(Context& context, const Connection& connection) {
  ServiceNames names;
  const std::unique_ptr<HttpClient> client = context.make_client(connection);
  const HttpResponse response = client->Send({"GET", std::string(kServices), std::nullopt});
  if (response.status != 200) return names;
  const nlohmann::json list = nlohmann::json::parse(response.body, nullptr, false);
  for (const auto& service : Items(Member(list, "items"))) {
    const nlohmann::json& id = Member(service, "id");
    const nlohmann::json& name = Member(service, "name");
    if (id.is_number_integer() && name.is_string()) names[id.get<int64_t>()] = name;
  }
  return names;
}

// The item's service: its name when known, else its id; "" for none.
std::string ServiceLabel(const nlohmann::json& item, const ServiceNames& names) {
  const nlohmann::json& service = Member(item, "service");
  if (service.is_object()) return FieldText(service, "name");
  if (service.is_string()) return service.get<std::string>();
  const nlohmann::json& id = Member(item, "service_id");
  if (!id.is_number_integer()) return "";
  const auto it = names.find(id.get<int64_t>());
  return it == names.end() ? id.dump() : it->second;
}

using Renderer = std::function<std::string(const nlohmann::json&, const ServiceNames&)>;

// CallAndPrint for answers that name services by id: the table shows their names.
int CallAndShow(Context& context, const Invocation& invocation, std::string_view method,
                const std::string& path, const nlohmann::json* body, const Renderer& render) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> response = session->Call(method, path, body);
  if (!response) return kExitError;
  if (session->json_output()) {
    if (!response->is_null()) session->PrintJson(*response);
    return kExitOk;
  }
  ServiceNames names;
  if (NeedsServiceNames(*response)) names = FetchServiceNames(context, session->connection());
  context.out << render(*response, names);
  return kExitOk;
}

// ---- Integrations -------------------------------------------------------------------------

std::string IntegrationItemPath(int64_t id, std::string_view suffix = "") {
  return std::string(kIntegrations) + "/" + std::to_string(id) + std::string(suffix);
}

// "active", or "revoked" (with the time when `when`).
std::string IntegrationState(const nlohmann::json& integration, bool when) {
  const std::string revoked = FieldText(integration, "revoked_at");
  if (revoked.empty()) return "active";
  return when ? "revoked " + FormatWhen(revoked) : "revoked";
}

// "Key:" and the URLs, one a line, names aligned.
std::string KeyAndUrls(const nlohmann::json& integration) {
  std::string out = DetailLine("Key:", FieldText(integration, "key"));
  const nlohmann::json& urls = Member(integration, "urls");
  if (!urls.is_object() || urls.empty()) return out;
  size_t width = 0;
  for (const auto& [name, url] : urls.items()) width = std::max(width, DisplayWidth(name));
  out += "URLs:\n";
  for (const auto& [name, url] : urls.items()) {
    std::string line = "  " + name;
    line.append(width - DisplayWidth(name) + 2, ' ');
    out +=
        SanitizeForTerminal(line + (url.is_string() ? url.get<std::string>() : url.dump())) + "\n";
  }
  return out;
}

// The counters of GET /integrations/{id} ("activity"); "" when the answer has none.
std::string DescribeActivity(const nlohmann::json& activity) {
  if (!activity.is_object()) return "";
  std::string out = DetailLine("Requests:", FieldText(activity, "requests") + " (" +
                                                Counted(FieldText(activity, "errors"), "error") +
                                                ") since the server started");
  const std::string last = FieldText(activity, "last_request_at");
  if (!last.empty()) {
    out += DetailLine("Last request:",
                      FormatWhen(last) + ", status " + FieldText(activity, "last_status"));
  }
  const std::string last_error = FieldText(activity, "last_error_at");
  if (!last_error.empty()) {
    out += DetailLine("Last error:",
                      FormatWhen(last_error) + ": " + FieldText(activity, "last_error"));
  }
  return out;
}

// "prod-am (integration 5)", then every field; `verb` ("Created") leads the first line.
std::string RenderIntegration(const nlohmann::json& integration, const ServiceNames& names,
                              std::string_view verb) {
  std::string heading =
      FieldText(integration, "name") + " (integration " + FieldText(integration, "id") + ")";
  if (!verb.empty()) heading = std::string(verb) + " " + heading;
  std::string out = SanitizeForTerminal(heading) + "\n";
  out += DetailLine("Kind:", FieldText(integration, "kind"));
  out += DetailLine("State:", IntegrationState(integration, true));
  out += DetailLine("Service:", OrDash(ServiceLabel(integration, names)));
  out += DetailLine("Group by:", OrDash(JoinStrings(Member(integration, "group_by"))));
  const nlohmann::json& auto_resolve = Member(integration, "auto_resolve");
  if (auto_resolve.is_boolean()) {
    out += DetailLine("Auto-resolve:", auto_resolve.get<bool>() ? "yes" : "no");
  }
  const std::string flap = FieldText(integration, "flap_window_seconds");
  if (!flap.empty()) out += DetailLine("Flap window:", flap + " s");
  const nlohmann::json& settings = Member(integration, "settings");
  const std::string interval = FieldText(settings, "heartbeat_interval_seconds");
  if (!interval.empty()) {
    const std::string grace = FieldText(settings, "heartbeat_grace_seconds");
    out += DetailLine("Heartbeat:", "a ping every " + interval + " s" +
                                        (grace.empty() ? "" : ", " + grace + " s grace"));
  }
  out += DetailLine("Mapping:", FieldText(settings, "mapping"));
  out += DetailLine("Created:", FormatWhen(FieldText(integration, "created_at")));
  out += KeyAndUrls(integration);
  return out + DescribeActivity(Member(integration, "activity"));
}

// ID, NAME, KIND, SERVICE, REQUESTS, ERRORS, LAST REQUEST, STATE.
std::string RenderIntegrationTable(const nlohmann::json& integrations, const ServiceNames& names) {
  Table table({"ID", "NAME", "KIND", "SERVICE", "REQUESTS", "ERRORS", "LAST REQUEST", "STATE"});
  for (const auto& integration : Items(integrations)) {
    const nlohmann::json& activity = Member(integration, "activity");
    table.AddRow({FieldText(integration, "id"), FieldText(integration, "name"),
                  FieldText(integration, "kind"), OrDash(ServiceLabel(integration, names)),
                  OrDash(FieldText(activity, "requests")), OrDash(FieldText(activity, "errors")),
                  OrDash(FormatWhen(FieldText(activity, "last_request_at"))),
                  IntegrationState(integration, false)});
  }
  return table.Render();
}

// "0.4" for a request's duration in milliseconds.
std::string Milliseconds(const nlohmann::json& request) {
  const nlohmann::json& ms = Member(request, "duration_ms");
  if (!ms.is_number()) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", ms.get<double>());
  return text;
}

// One request with its body (pretty-printed when it is JSON) for `integration requests --body`.
std::string DescribeRequest(const nlohmann::json& request) {
  std::string head = "--- " + FormatWhen(FieldText(request, "at")) + "  " +
                     FieldText(request, "method") + " " + FieldText(request, "route") +
                     "  status " + FieldText(request, "status") + " in " + Milliseconds(request) +
                     " ms";
  std::string about = FieldText(request, "content_type");
  const std::string bytes = FieldText(request, "body_bytes");
  if (!bytes.empty()) about += (about.empty() ? "" : ", ") + bytes + " bytes";
  const std::string remote = FieldText(request, "remote");
  if (!remote.empty()) about += (about.empty() ? "" : ", ") + std::string("from ") + remote;
  if (!about.empty()) head += "  (" + about + ")";
  std::string out = SanitizeForTerminal(head) + "\n";
  const std::string error = FieldText(request, "error");
  if (!error.empty()) out += SanitizeForTerminal("Error: " + error) + "\n";
  const std::string body = FieldText(request, "body");
  if (body.empty()) return out + "(empty body)\n";
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  return out + SanitizeLines(parsed.is_discarded() ? body : JsonText(parsed));
}

// GET /integrations/{id}/requests: a heading with the counters, then a table (or each
// request with its body).
std::string RenderRequests(const nlohmann::json& response, bool bodies) {
  const nlohmann::json& integration = Member(response, "integration");
  const nlohmann::json& stats = Member(response, "stats");
  const nlohmann::json& requests = Items(Member(response, "items"));
  const std::string who = "Integration " + FieldText(integration, "name") + " (id " +
                          FieldText(integration, "id") + ")";
  if (requests.empty()) {
    return SanitizeForTerminal(who + ": no requests since the server started") + "\n";
  }
  std::string out =
      SanitizeForTerminal(who + ": " + Counted(FieldText(stats, "requests"), "request") + ", " +
                          Counted(FieldText(stats, "errors"), "error") +
                          " since the server started; the last " + std::to_string(requests.size()) +
                          ", newest first") +
      "\n";
  if (bodies) {
    for (const auto& request : requests) out += "\n" + DescribeRequest(request);
    return out;
  }
  Table table({"TIME", "METHOD", "STATUS", "MS", "ERROR"});
  table.SetMaxWidth(4, kMaxErrorWidth);
  for (const auto& request : requests) {
    table.AddRow({FormatWhen(FieldText(request, "at")), FieldText(request, "method"),
                  FieldText(request, "status"), Milliseconds(request),
                  OrDash(FieldText(request, "error"))});
  }
  return out + table.Render();
}

// The fields the options of `integration create|update` set; nullopt after a usage error.
std::optional<nlohmann::json> IntegrationFields(Context& context, const Invocation& invocation,
                                                bool update) {
  nlohmann::json fields = nlohmann::json::object();
  for (const std::string_view name : {"name", "kind"}) {
    if (!invocation.Has(name)) continue;
    const std::optional<std::string> value =
        RequireNonEmpty(context, invocation, invocation.Get(name), "--" + std::string(name));
    if (!value) return std::nullopt;
    fields[std::string(name)] = *value;
  }
  if (invocation.Has("service")) {
    const std::optional<std::string> service =
        RequireNonEmpty(context, invocation, invocation.Get("service"), "--service");
    if (!service) return std::nullopt;
    fields["service"] = update && *service == "none" ? nlohmann::json() : nlohmann::json(*service);
  }
  if (invocation.Has("group-by")) {
    const std::optional<std::vector<std::string>> labels =
        ListOption(context, invocation, "group-by");
    if (!labels) return std::nullopt;
    fields["group_by"] = *labels;
  }
  if (invocation.Has("auto-resolve")) {
    const std::string value = invocation.Get("auto-resolve");
    if (value != "true" && value != "false") {
      ReportUsage(context, invocation,
                  "invalid --auto-resolve '" + value + "' (expected true or false)");
      return std::nullopt;
    }
    fields["auto_resolve"] = value == "true";
  }
  struct Count {
    std::string_view option;
    const char* field;
    std::string_view expected;
  };
  for (const Count& count : {
           Count{"flap-window", "flap_window_seconds", "seconds, 0..86400"},
           Count{"interval", "heartbeat_interval_seconds", "seconds between pings, 10..604800"},
           Count{"grace", "heartbeat_grace_seconds", "seconds, 0..86400"},
       }) {
    if (!invocation.Has(count.option)) continue;
    const std::optional<int64_t> value =
        CountOption(context, invocation, count.option, count.expected);
    if (!value) return std::nullopt;
    fields[count.field] = *value;
  }
  return fields;
}

// The request body: the --file's object (if any) with the options' fields over it.
// Usage errors return kExitUsage, an unreadable file kExitError; else kExitOk.
int IntegrationBody(Context& context, const Invocation& invocation, bool update,
                    nlohmann::json& body) {
  const std::optional<nlohmann::json> fields = IntegrationFields(context, invocation, update);
  if (!fields) return kExitUsage;
  if (!invocation.Has("file")) {
    if (!update) {
      for (const char* required : {"name", "kind"}) {
        if (fields->contains(required)) continue;
        const std::string metavar = required == std::string_view("name") ? "NAME" : "KIND";
        return ReportUsage(context, invocation,
                           "missing --" + std::string(required) + " " + metavar + " (or -f FILE)");
      }
    } else if (fields->empty()) {
      return ReportUsage(context, invocation,
                         "nothing to change: give --name, --service, --group-by, --auto-resolve, "
                         "--flap-window, --interval, --grace or -f FILE");
    }
    body = *fields;
    return kExitOk;
  }
  const std::optional<nlohmann::json> file = ReadBodyFile(context, invocation.Get("file"));
  if (!file) return kExitError;
  body = *file;
  body.update(*fields);
  return kExitOk;
}

// ---- Silences -----------------------------------------------------------------------------

// `alertname="X" env=~"prod.*"`: matchers as Alertmanager prints them.
std::string DescribeMatchers(const nlohmann::json& matchers) {
  std::string out;
  for (const auto& matcher : Items(matchers)) {
    if (!out.empty()) out += ' ';
    std::string op = FieldText(matcher, "op");
    if (op.empty()) op = "=";
    out += FieldText(matcher, "name") + op +
           nlohmann::json(FieldText(matcher, "value"))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return out;
}

// ID, STATE, MATCHERS, STARTS, ENDS, CREATED BY, COMMENT.
std::string RenderSilenceTable(const nlohmann::json& silences) {
  Table table({"ID", "STATE", "MATCHERS", "STARTS", "ENDS", "CREATED BY", "COMMENT"});
  table.SetMaxWidth(2, kMaxMatchersWidth);
  table.SetMaxWidth(6, kMaxCommentWidth);
  for (const auto& silence : Items(silences)) {
    table.AddRow({FieldText(silence, "id"), FieldText(silence, "state"),
                  DescribeMatchers(Member(silence, "matchers")),
                  FormatWhen(FieldText(silence, "starts_at")),
                  FormatWhen(FieldText(silence, "ends_at")),
                  OrDash(PersonName(silence, "created_by")), FieldText(silence, "comment")});
  }
  return table.Render();
}

// ---- Maintenance windows ------------------------------------------------------------------

// "sun,sat 02:00 for 120 min (Europe/Berlin)" or "2026-11-25 22:00:00 to 2026-11-26 02:00:00".
std::string DescribeWindow(const nlohmann::json& window) {
  if (Member(window, "weekdays").is_array()) {
    return JoinStrings(Member(window, "weekdays"), ",") + " " + FieldText(window, "start") +
           " for " + FieldText(window, "duration_minutes") + " min (" +
           FieldText(window, "time_zone") + ")";
  }
  return FormatWhen(FieldText(window, "starts_at")) + " to " +
         FormatWhen(FieldText(window, "ends_at"));
}

// ID, NAME, SERVICE, WHEN, ACTIVE, NEXT START.
std::string RenderMaintenanceTable(const nlohmann::json& windows, const ServiceNames& names) {
  Table table({"ID", "NAME", "SERVICE", "WHEN", "ACTIVE", "NEXT START"});
  for (const auto& window : Items(windows)) {
    const nlohmann::json& active = Member(window, "active");
    table.AddRow({FieldText(window, "id"), FieldText(window, "name"),
                  OrDash(ServiceLabel(window, names)), DescribeWindow(window),
                  active.is_boolean() && active.get<bool>() ? "yes" : "no",
                  OrDash(FormatWhen(FieldText(window, "next_start")))});
  }
  return table.Render();
}

// The one-off or weekly fields of `maintenance create`; nullopt after a usage error.
std::optional<nlohmann::json> WindowFields(Context& context, const Invocation& invocation) {
  const bool one_off = invocation.Has("start") || invocation.Has("end");
  const bool weekly =
      invocation.Has("weekdays") || invocation.Has("at") || invocation.Has("time-zone");
  if (one_off && weekly) {
    ReportUsage(context, invocation,
                "--start/--end (a one-off window) do not go with --weekdays/--at/--time-zone (a "
                "weekly one)");
    return std::nullopt;
  }
  if (!one_off && !weekly) {
    ReportUsage(context, invocation,
                "give --start and --end (or --duration) for a one-off window, or --weekdays, "
                "--at and --duration for a weekly one");
    return std::nullopt;
  }
  nlohmann::json fields = nlohmann::json::object();
  if (one_off) {
    if (!invocation.Has("start")) {
      ReportUsage(context, invocation, "missing --start TIME");
      return std::nullopt;
    }
    if (invocation.Has("end") == invocation.Has("duration")) {
      ReportUsage(context, invocation,
                  invocation.Has("end") ? "give --end or --duration, not both"
                                        : "missing --end TIME (or --duration)");
      return std::nullopt;
    }
    const TimeMs now = context.clock.Now();
    const std::optional<TimeMs> start = TimeOption(context, invocation, "start", now);
    if (!start) return std::nullopt;
    std::optional<TimeMs> end;
    if (invocation.Has("end")) {
      end = TimeOption(context, invocation, "end", now);
    } else if (const std::optional<int64_t> minutes = DurationMinutes(context, invocation)) {
      end = *start + *minutes * kMinute;
    }
    if (!end) return std::nullopt;
    fields["starts_at"] = FormatTime(*start);
    fields["ends_at"] = FormatTime(*end);
    return fields;
  }
  for (const auto& [option, metavar] :
       {std::pair<std::string_view, std::string_view>{"weekdays", "DAYS"},
        {"at", "HH:MM"},
        {"duration", "DURATION"}}) {
    if (!invocation.Has(option)) {
      ReportUsage(context, invocation,
                  "missing --" + std::string(option) + " " + std::string(metavar) +
                      " (a weekly window needs --weekdays, --at and --duration)");
      return std::nullopt;
    }
  }
  const std::optional<std::vector<std::string>> days = ListOption(context, invocation, "weekdays");
  if (!days) return std::nullopt;
  std::vector<std::string> weekdays;
  for (std::string day : *days) {
    for (char& c : day) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(std::begin(kWeekdays), std::end(kWeekdays), day) == std::end(kWeekdays)) {
      ReportUsage(context, invocation,
                  "invalid --weekdays '" + invocation.Get("weekdays") +
                      "' (expected days like sun,sat from sun, mon, tue, wed, thu, fri, sat)");
      return std::nullopt;
    }
    weekdays.push_back(std::move(day));
  }
  if (weekdays.empty()) {
    ReportUsage(context, invocation, "empty --weekdays");
    return std::nullopt;
  }
  const std::string at = invocation.Get("at");
  const auto digit = [&at](size_t i) { return at[i] >= '0' && at[i] <= '9'; };
  const bool digits =
      at.size() == 5 && at[2] == ':' && digit(0) && digit(1) && digit(3) && digit(4);
  if (!digits || (at[0] - '0') * 10 + (at[1] - '0') > 23 || at[3] > '5') {
    ReportUsage(context, invocation,
                "invalid --at '" + at + "' (expected the local start time as HH:MM, like 02:00)");
    return std::nullopt;
  }
  const std::optional<int64_t> minutes = DurationMinutes(context, invocation);
  if (!minutes) return std::nullopt;
  std::string zone = "UTC";
  if (invocation.Has("time-zone")) {
    const std::optional<std::string> given =
        RequireNonEmpty(context, invocation, invocation.Get("time-zone"), "--time-zone");
    if (!given) return std::nullopt;
    zone = *given;
  }
  fields["weekdays"] = weekdays;
  fields["start"] = at;
  fields["duration_minutes"] = *minutes;
  fields["time_zone"] = zone;
  return fields;
}

}  // namespace

std::optional<MatcherArg> ParseMatcherArg(std::string_view text, std::string* why) {
  const auto fail = [why](std::string reason) -> std::optional<MatcherArg> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  const size_t op_at = text.find_first_of("=!");
  if (op_at == std::string_view::npos) return fail("no operator");
  MatcherArg matcher;
  matcher.name = std::string(Trim(text.substr(0, op_at)));
  if (matcher.name.empty()) return fail("no label name");
  if (matcher.name.find_first_of(" \t\"'{},~") != std::string::npos) {
    return fail("invalid label name '" + matcher.name + "'");
  }
  std::string_view rest = text.substr(op_at);
  for (const std::string_view op : {"=~", "!~", "!=", "="}) {
    if (rest.starts_with(op)) {
      matcher.op = std::string(op);
      break;
    }
  }
  if (matcher.op.empty()) return fail("no operator");
  rest.remove_prefix(matcher.op.size());
  const std::string_view value = Trim(rest);
  if (value.starts_with('"')) {
    const nlohmann::json quoted = nlohmann::json::parse(value, nullptr, false);
    if (!quoted.is_string()) return fail("malformed quoted value " + std::string(value));
    matcher.value = quoted.get<std::string>();
  } else {
    matcher.value = std::string(value);
  }
  if (matcher.op.ends_with('~')) {
    if (matcher.value.size() > kMaxRegexBytes) return fail("regex is longer than 1000 characters");
    try {
      const std::regex compiled("(?:" + matcher.value + ")", std::regex::ECMAScript);
      static_cast<void>(compiled);
    } catch (const std::regex_error& error) {
      return fail(std::string("invalid regex: ") + error.what());
    }
  }
  return matcher;
}

std::optional<int64_t> ParseDurationArg(std::string_view text) {
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  // An offset from time zero is the duration; ParseTimeArg knows the units and the limits.
  const std::optional<TimeMs> ms = ParseTimeArg("+" + std::string(text), 0);
  if (!ms || *ms <= 0) return std::nullopt;
  return *ms;
}

int IntegrationListCommand(Context& context, const Invocation& invocation) {
  return CallAndShow(context, invocation, "GET", std::string(kIntegrations), nullptr,
                     [](const nlohmann::json& list, const ServiceNames& names) {
                       const nlohmann::json& items = Items(Member(list, "items"));
                       if (items.empty()) return std::string("No integrations.\n");
                       return RenderIntegrationTable(items, names);
                     });
}

int IntegrationShowCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = IdArg(context, invocation, "integration", "integration");
  if (!id) return kExitUsage;
  return CallAndShow(context, invocation, "GET", IntegrationItemPath(*id), nullptr,
                     [](const nlohmann::json& integration, const ServiceNames& names) {
                       return RenderIntegration(integration, names, "");
                     });
}

int IntegrationCreateCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body;
  if (const int code = IntegrationBody(context, invocation, /*update=*/false, body);
      code != kExitOk) {
    return code;
  }
  return CallAndShow(context, invocation, "POST", std::string(kIntegrations), &body,
                     [](const nlohmann::json& integration, const ServiceNames& names) {
                       return RenderIntegration(integration, names, "Created");
                     });
}

int IntegrationUpdateCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = IdArg(context, invocation, "integration", "integration");
  if (!id) return kExitUsage;
  nlohmann::json body;
  if (const int code = IntegrationBody(context, invocation, /*update=*/true, body);
      code != kExitOk) {
    return code;
  }
  return CallAndShow(context, invocation, "PATCH", IntegrationItemPath(*id), &body,
                     [](const nlohmann::json& integration, const ServiceNames& names) {
                       return RenderIntegration(integration, names, "Updated");
                     });
}

int IntegrationRotateKeyCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = IdArg(context, invocation, "integration", "integration");
  if (!id) return kExitUsage;
  const nlohmann::json body = nlohmann::json::object();
  return CallAndPrint(context, invocation, "POST", IntegrationItemPath(*id, "/rotate-key"), &body,
                      [](const nlohmann::json& integration) {
                        return SanitizeForTerminal("New key for " + FieldText(integration, "name") +
                                                   " (integration " + FieldText(integration, "id") +
                                                   "); the old key no longer works") +
                               "\n" + KeyAndUrls(integration);
                      });
}

int IntegrationDeleteCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = IdArg(context, invocation, "integration", "integration");
  if (!id) return kExitUsage;
  return CallAndPrint(context, invocation, "DELETE", IntegrationItemPath(*id), nullptr,
                      [&id](const nlohmann::json&) {
                        return "Revoked integration " + std::to_string(*id) +
                               "; its key answers 401 from now on\n";
                      });
}

int IntegrationRequestsCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = IdArg(context, invocation, "integration", "integration");
  if (!id) return kExitUsage;
  const bool bodies = invocation.Has("body");
  return CallAndPrint(
      context, invocation, "GET", IntegrationItemPath(*id, "/requests"), nullptr,
      [bodies](const nlohmann::json& response) { return RenderRequests(response, bodies); });
}

int SilenceListCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  std::optional<nlohmann::json> response = session->Call("GET", std::string(kSilences));
  if (!response) return kExitError;
  const bool all = invocation.Has("all");
  nlohmann::json shown = nlohmann::json::array();
  for (const auto& silence : Items(Member(*response, "items"))) {
    if (all || FieldText(silence, "state") != "expired") shown.push_back(silence);
  }
  if (session->json_output()) {
    if (response->is_object()) (*response)["items"] = shown;
    session->PrintJson(*response);
  } else if (shown.empty()) {
    context.out << (all ? "No silences.\n" : "No active or pending silences.\n");
  } else {
    context.out << RenderSilenceTable(shown);
  }
  return kExitOk;
}

int SilenceCreateCommand(Context& context, const Invocation& invocation) {
  nlohmann::json matchers = nlohmann::json::array();
  for (const std::string& text : invocation.GetAll("matcher")) {
    std::string why;
    const std::optional<MatcherArg> matcher = ParseMatcherArg(text, &why);
    if (!matcher) {
      return ReportUsage(
          context, invocation,
          "invalid --matcher '" + text + "': " + why + " (" + std::string(kMatcherForms) + ")");
    }
    matchers.push_back({{"name", matcher->name}, {"op", matcher->op}, {"value", matcher->value}});
  }
  if (invocation.Has("end") == invocation.Has("duration")) {
    return ReportUsage(context, invocation,
                       invocation.Has("end") ? "give --duration or --end, not both"
                                             : "missing --duration DURATION (or --end TIME)");
  }
  nlohmann::json body = {{"matchers", matchers}};
  const TimeMs now = context.clock.Now();
  if (invocation.Has("start")) {
    const std::optional<TimeMs> start = TimeOption(context, invocation, "start", now);
    if (!start) return kExitUsage;
    body["starts_at"] = FormatTime(*start);
  }
  if (invocation.Has("end")) {
    const std::optional<TimeMs> end = TimeOption(context, invocation, "end", now);
    if (!end) return kExitUsage;
    body["ends_at"] = FormatTime(*end);
  } else {
    const std::optional<int64_t> minutes = DurationMinutes(context, invocation);
    if (!minutes) return kExitUsage;
    body["duration_minutes"] = *minutes;
  }
  if (invocation.Has("comment")) body["comment"] = invocation.Get("comment");
  return CallAndPrint(
      context, invocation, "POST", std::string(kSilences), &body,
      [](const nlohmann::json& silence) {
        return SanitizeForTerminal("Created silence " + FieldText(silence, "id") + " (" +
                                   FieldText(silence, "state") + ", " +
                                   FormatWhen(FieldText(silence, "starts_at")) + " to " +
                                   FormatWhen(FieldText(silence, "ends_at")) +
                                   "): " + DescribeMatchers(Member(silence, "matchers"))) +
               "\n";
      });
}

int SilenceExpireCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = IdArg(context, invocation, "silence", "silence");
  if (!id) return kExitUsage;
  return CallAndPrint(
      context, invocation, "DELETE", std::string(kSilences) + "/" + std::to_string(*id), nullptr,
      [&id](const nlohmann::json&) { return "Expired silence " + std::to_string(*id) + "\n"; });
}

int MaintenanceListCommand(Context& context, const Invocation& invocation) {
  return CallAndShow(context, invocation, "GET", std::string(kMaintenance), nullptr,
                     [](const nlohmann::json& list, const ServiceNames& names) {
                       const nlohmann::json& items = Items(Member(list, "items"));
                       if (items.empty()) return std::string("No maintenance windows.\n");
                       return RenderMaintenanceTable(items, names);
                     });
}

int MaintenanceCreateCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> service =
      RequireNonEmpty(context, invocation, invocation.Get("service"), "--service");
  if (!service) return kExitUsage;
  const std::optional<std::string> name =
      RequireNonEmpty(context, invocation, invocation.Get("name"), "--name");
  if (!name) return kExitUsage;
  std::optional<nlohmann::json> body = WindowFields(context, invocation);
  if (!body) return kExitUsage;
  (*body)["service"] = *service;
  (*body)["name"] = *name;
  return CallAndShow(
      context, invocation, "POST", std::string(kMaintenance), &*body,
      [](const nlohmann::json& window, const ServiceNames& names) {
        return SanitizeForTerminal("Created maintenance window " + FieldText(window, "id") +
                                   " for " + ServiceLabel(window, names) + ": " +
                                   FieldText(window, "name") + ", " + DescribeWindow(window)) +
               "\n";
      });
}

int MaintenanceDeleteCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> id = IdArg(context, invocation, "maintenance window", "maintenance");
  if (!id) return kExitUsage;
  return CallAndPrint(context, invocation, "DELETE",
                      std::string(kMaintenance) + "/" + std::to_string(*id), nullptr,
                      [&id](const nlohmann::json&) {
                        return "Deleted maintenance window " + std::to_string(*id) + "\n";
                      });
}

}  // namespace klaxon::cli
