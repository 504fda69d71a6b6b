#include "cli/render.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "cli/table.h"
#include "core/time_format.h"

namespace klaxon::cli {

namespace {

constexpr size_t kMaxTitleWidth = 72;
constexpr size_t kMaxDescriptionWidth = 60;
constexpr size_t kMaxDetailsWidth = 100;
constexpr size_t kMaxAddressWidth = 40;
constexpr size_t kLabelWidth = 15;  // "Acknowledged:" and two spaces.

std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

// The incident's service name; the field is an object, null, or (leniently) a string.
std::string ServiceName(const nlohmann::json& incident) {
  const auto it = incident.find("service");
  if (it == incident.end() || it->is_null()) return "";
  if (it->is_object()) return FieldText(*it, "name");
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Age(const nlohmann::json& object, std::string_view key, TimeMs now) {
  const std::optional<TimeMs> then = ParseTime(FieldText(object, key));
  return then ? FormatAge(*then, now) : "";
}

std::string Quoted(const std::string& text) {
  if (!text.empty() && text.find_first_of(" \t\n\"=") == std::string::npos) return text;
  return nlohmann::json(text).dump();
}

const nlohmann::json& EmptyArray() {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return kEmpty;
}

const nlohmann::json& Items(const nlohmann::json& list) {
  return list.is_array() ? list : EmptyArray();
}

bool EqualIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// "alice (Alice Smith)", or just the username when the name adds nothing; "" for null.
std::string UserLabel(const nlohmann::json& user) {
  if (!user.is_object()) return user.is_string() ? user.get<std::string>() : "";
  const std::string username = FieldText(user, "username");
  const std::string name = FieldText(user, "name");
  if (username.empty()) return name;
  if (name.empty() || EqualIgnoringCase(name, username)) return username;
  return username + " (" + name + ")";
}

// "5 min" for a number of minutes.
std::string Minutes(const nlohmann::json& object, std::string_view key) {
  const std::string minutes = FieldText(object, key);
  return minutes.empty() ? "" : minutes + " min";
}

std::string YesOrEmpty(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = Member(object, key);
  return value.is_boolean() && value.get<bool>() ? "yes" : "";
}

// "1 week", "2 days" for a layer's rotation.
std::string DescribeRotation(const nlohmann::json& rotation) {
  const std::string length = FieldText(rotation, "length");
  std::string unit = FieldText(rotation, "unit");
  if (length == "1" && unit.ends_with('s')) unit.pop_back();
  return length.empty() ? unit : length + " " + unit;
}

// "mon 09:00 for 480 min, tue ..." for a layer's restrictions.
std::string DescribeRestrictions(const nlohmann::json& restrictions) {
  std::string out;
  for (const auto& r : Items(restrictions)) {
    if (!out.empty()) out += ", ";
    out += FieldText(r, "weekday") + " " + FieldText(r, "start") + " for " +
           Minutes(r, "duration_minutes");
  }
  return out;
}

// "alice, bob" for an array of usernames, ids or user objects.
std::string JoinUsers(const nlohmann::json& users) {
  std::string out;
  for (const auto& user : Items(users)) {
    if (!out.empty()) out += ", ";
    out += user.is_object()   ? FieldText(user, "username")
           : user.is_string() ? user.get<std::string>()
                              : user.dump();
  }
  return out;
}

// "user alice, schedule primary, role commander" for a step's targets.
std::string DescribeTargets(const nlohmann::json& targets) {
  std::string out;
  for (const auto& target : Items(targets)) {
    if (!out.empty()) out += ", ";
    std::string name = FieldText(target, "name");
    if (name.empty()) name = FieldText(target, "id");
    out += FieldText(target, "type") + " " + name;
  }
  return out;
}

// ---- An incident's playbook (GET /incidents/{id}, "playbook") ----------------------------

// "SEV-1 (classified by rule 'checkout-5xx')", or just the level when a person chose it.
std::string SeverityText(const nlohmann::json& incident) {
  const nlohmann::json& playbook = Member(incident, "playbook");
  std::string rule = FieldText(Member(playbook, "classification"), "rule");
  if (rule.empty()) rule = FieldText(playbook, "classified_by");
  if (rule.empty()) rule = FieldText(incident, "classified_by");
  const std::string severity = FieldText(incident, "severity");
  return rule.empty() ? severity : severity + " (classified by rule '" + rule + "')";
}

// "2026-11-25 22:55:41 (15m target, pending, 10m left)" for an ack or resolve target; a
// missed one says MISSED. "" when the level sets none.
std::string DescribeTarget(const nlohmann::json& target, TimeMs now) {
  const std::string due = FieldText(target, "due_at");
  if (due.empty()) return "";
  std::string state = FieldText(target, "state");
  const std::optional<TimeMs> due_at = ParseTime(due);
  if (state == "missed") state = "MISSED";
  if (state == "pending" && due_at) state += ", " + FormatAge(now, *due_at) + " left";
  std::string detail = FieldText(target, "target");
  if (!detail.empty()) detail += " target";
  if (!state.empty()) detail += (detail.empty() ? "" : ", ") + state;
  return FormatWhen(due) + (detail.empty() ? "" : " (" + detail + ")");
}

// "every 15m, 2 posted; next due 2026-11-25 23:00:41 (due soon)"; LATE when it is overdue.
// "" when updates are neither expected nor posted.
std::string DescribeUpdates(const nlohmann::json& updates) {
  const std::string every = FieldText(updates, "every");
  const std::string count = FieldText(updates, "count");
  const std::string next = FieldText(updates, "next_due_at");
  const bool posted = !count.empty() && count != "0";
  if (every.empty() && !posted && next.empty()) return "";
  std::string out;
  if (!every.empty()) out = every == "milestones" ? "at milestones" : "every " + every;
  if (!out.empty()) out += ", ";
  out += posted ? count + " posted" : "none posted";
  if (next.empty()) return out;
  std::string state = FieldText(updates, "state");
  if (state == "late") state = "LATE";
  std::replace(state.begin(), state.end(), '_', ' ');
  return out + "; next due " + FormatWhen(next) + (state.empty() ? "" : " (" + state + ")");
}

// ROLE, HOLDER, SINCE; a role the level requires is marked "(required)", and
// "(required, unfilled)" while nobody holds it.
std::string RenderRoles(const nlohmann::json& roles) {
  Table table({"ROLE", "HOLDER", "SINCE"});
  for (const auto& role : Items(roles)) {
    const nlohmann::json& holder = Member(role, "holder");
    const nlohmann::json& required = Member(role, "required");
    std::string name = FieldText(role, "name");
    if (required.is_boolean() && required.get<bool>()) {
      name += holder.is_null() ? " (required, unfilled)" : " (required)";
    }
    table.AddRow({name, OrDash(UserLabel(holder)), FormatWhen(FieldText(role, "assigned_at"))});
  }
  return table.Render();
}

// MOMENT, AT, BY, NOTE; "-" for a moment not reached yet.
std::string RenderMoments(const nlohmann::json& moments) {
  Table table({"MOMENT", "AT", "BY", "NOTE"});
  table.SetMaxWidth(3, kMaxDescriptionWidth);
  for (const auto& moment : Items(moments)) {
    table.AddRow({FieldText(moment, "moment"), OrDash(FormatWhen(FieldText(moment, "at"))),
                  FieldText(moment, "by"), FieldText(moment, "note")});
  }
  return table.Render();
}

// The war room, targets and update cadence as detail lines.
std::string PlaybookDetails(const nlohmann::json& incident, TimeMs now) {
  const nlohmann::json& playbook = Member(incident, "playbook");
  std::string war_room = FieldText(incident, "war_room");
  if (war_room.empty()) war_room = FieldText(playbook, "war_room");
  const nlohmann::json& targets = Member(playbook, "targets");
  return DetailLine("War room:", war_room) +
         DetailLine("Ack by:", DescribeTarget(Member(targets, "ack"), now)) +
         DetailLine("Resolve by:", DescribeTarget(Member(targets, "resolve"), now)) +
         DetailLine("Updates:", DescribeUpdates(Member(playbook, "updates")));
}

// The roles and key moments as sections; "" without a playbook.
std::string PlaybookSections(const nlohmann::json& incident) {
  const nlohmann::json& playbook = Member(incident, "playbook");
  std::string out;
  if (!Items(Member(playbook, "roles")).empty()) {
    out += "\nRoles:\n" + RenderRoles(Member(playbook, "roles"));
  }
  if (!Items(Member(playbook, "moments")).empty()) {
    out += "\nKey moments:\n" + RenderMoments(Member(playbook, "moments"));
  }
  return out;
}

}  // namespace

const nlohmann::json& Member(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string DetailLine(std::string_view label, const std::string& value) {
  if (value.empty()) return "";
  std::string line(label);
  line.append(kLabelWidth > label.size() ? kLabelWidth - label.size() : 1, ' ');
  return line + SanitizeForTerminal(value) + "\n";
}

std::string FieldText(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string PersonName(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return FieldText(object, key);
  std::string name = FieldText(*it, "username");
  return name.empty() ? FieldText(*it, "name") : name;
}

std::string FormatAge(TimeMs then, TimeMs now) {
  const int64_t seconds = now > then ? (now - then) / 1000 : 0;
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

std::string FormatWhen(std::string_view rfc3339) {
  const std::optional<TimeMs> time = ParseTime(rfc3339);
  if (!time) return std::string(rfc3339);
  std::string text = FormatTime(*time);  // "2026-11-25T22:45:41.123Z"
  text[10] = ' ';
  return text.substr(0, 19);
}

std::string FormatInstant(std::string_view rfc3339) {
  const std::optional<TimeMs> time = ParseTime(rfc3339);
  if (!time) return std::string(rfc3339);
  return FormatTime(*time).substr(0, 19) + "Z";  // Of "2026-11-25T22:45:41.123Z".
}

std::string RenderIncidentTable(const nlohmann::json& incidents, TimeMs now) {
  Table table({"REF", "SEVERITY", "STATUS", "SERVICE", "AGE", "TITLE"});
  table.SetMaxWidth(5, kMaxTitleWidth);
  for (const auto& incident : Items(incidents)) {
    table.AddRow({FieldText(incident, "ref"), FieldText(incident, "severity"),
                  FieldText(incident, "status"), OrDash(ServiceName(incident)),
                  Age(incident, "created_at", now), FieldText(incident, "title")});
  }
  return table.Render();
}

std::string RenderIncident(const nlohmann::json& incident, TimeMs now) {
  std::string out =
      SanitizeForTerminal(FieldText(incident, "ref") + "  " + FieldText(incident, "title")) + "\n";
  const auto add = [&](std::string_view label, const std::string& value) {
    out += DetailLine(label, value);
  };
  const auto add_time = [&](std::string_view label, std::string_view key, std::string suffix) {
    const std::string when = FieldText(incident, key);
    if (when.empty()) return;
    const std::string age = Age(incident, key, now);
    add(label, FormatWhen(when) + suffix + (age.empty() ? "" : " (" + age + " ago)"));
  };
  add("Status:", FieldText(incident, "status"));
  add("Severity:", SeverityText(incident));
  add("Service:", OrDash(ServiceName(incident)));
  const std::string created_by = FieldText(incident, "created_by");
  add_time("Created:", "created_at", created_by.empty() ? "" : " by " + created_by);
  add_time("Acknowledged:", "acknowledged_at", "");
  add_time("Resolved:", "resolved_at", "");
  out += PlaybookDetails(incident, now);
  add("Description:", FieldText(incident, "description"));
  add("Impact:", FieldText(incident, "impact"));
  add("Resolution:", FieldText(incident, "resolution_summary"));
  out += PlaybookSections(incident);

  const auto timeline = incident.is_object() ? incident.find("timeline") : incident.end();
  if (incident.is_object() && timeline != incident.end() && timeline->is_array()) {
    out += "\nTimeline:\n";
    out += timeline->empty() ? "  (no events)\n" : RenderTimeline(*timeline);
  }
  return out;
}

std::string RenderTimeline(const nlohmann::json& events) {
  Table table({"TIME", "ACTOR", "EVENT", "DETAILS"});
  table.SetMaxWidth(3, kMaxDetailsWidth);
  for (const auto& event : Items(events)) {
    const auto data = event.is_object() ? event.find("data") : event.end();
    table.AddRow({FormatWhen(FieldText(event, "at")), PersonName(event, "actor"),
                  FieldText(event, "kind"),
                  event.is_object() && data != event.end() ? DescribeEventData(*data) : ""});
  }
  return table.Render();
}

std::string DescribeEventData(const nlohmann::json& data) {
  if (!data.is_object()) return data.is_null() ? "" : data.dump();
  std::string out;
  for (const auto& [key, value] : data.items()) {
    if (value.is_null()) continue;
    if (!out.empty()) out += ' ';
    out += key + "=" + (value.is_string() ? Quoted(value.get<std::string>()) : value.dump());
  }
  return out;
}

std::string RenderServiceTable(const nlohmann::json& services) {
  Table table({"ID", "NAME", "OWNER", "DESCRIPTION"});
  table.SetMaxWidth(3, kMaxDescriptionWidth);
  for (const auto& service : Items(services)) {
    table.AddRow({FieldText(service, "id"), FieldText(service, "name"),
                  OrDash(FieldText(service, "owner")), FieldText(service, "description")});
  }
  return table.Render();
}

std::string RenderTokenTable(const nlohmann::json& tokens) {
  Table table({"ID", "NAME", "ROLE", "USER", "CREATED", "LAST USED", "REVOKED"});
  for (const auto& token : Items(tokens)) {
    table.AddRow({FieldText(token, "id"), FieldText(token, "name"), FieldText(token, "role"),
                  OrDash(PersonName(token, "user")), FormatWhen(FieldText(token, "created_at")),
                  OrDash(FormatWhen(FieldText(token, "last_used_at"))),
                  OrDash(FormatWhen(FieldText(token, "revoked_at")))});
  }
  return table.Render();
}

std::string RenderItems(const nlohmann::json& list, std::string (*render)(const nlohmann::json&),
                        std::string_view noun) {
  const nlohmann::json& items = Items(Member(list, "items"));
  if (items.empty()) return "No " + std::string(noun) + ".\n";
  return render(items);
}

std::string RenderOnCallTable(const nlohmann::json& entries) {
  Table table({"SCHEDULE", "ON CALL", "UNTIL"});
  for (const auto& entry : Items(entries)) {
    table.AddRow({FieldText(Member(entry, "schedule"), "name"),
                  OrDash(UserLabel(Member(entry, "user"))),
                  OrDash(FormatWhen(FieldText(entry, "until")))});
  }
  return table.Render();
}

std::string RenderShiftTable(const nlohmann::json& shifts) {
  Table table({"START", "END", "USER", "SOURCE"});
  for (const auto& shift : Items(shifts)) {
    table.AddRow({FormatWhen(FieldText(shift, "start")), FormatWhen(FieldText(shift, "end")),
                  OrDash(PersonName(shift, "user")), FieldText(shift, "source")});
  }
  return table.Render();
}

std::string RenderScheduleTable(const nlohmann::json& schedules) {
  Table table({"ID", "NAME", "TIME ZONE", "ON CALL NOW", "DESCRIPTION"});
  table.SetMaxWidth(4, kMaxDescriptionWidth);
  for (const auto& schedule : Items(schedules)) {
    table.AddRow({FieldText(schedule, "id"), FieldText(schedule, "name"),
                  FieldText(schedule, "time_zone"), OrDash(PersonName(schedule, "on_call_now")),
                  FieldText(schedule, "description")});
  }
  return table.Render();
}

std::string RenderSchedule(const nlohmann::json& schedule) {
  std::string out = SanitizeForTerminal(FieldText(schedule, "name") + " (schedule " +
                                        FieldText(schedule, "id") + ")") +
                    "\n";
  out += DetailLine("Description:", FieldText(schedule, "description"));
  out += DetailLine("Time zone:", FieldText(schedule, "time_zone"));
  out += DetailLine("On call now:", OrDash(UserLabel(Member(schedule, "on_call_now"))));
  out += DetailLine("Calendar:", FieldText(schedule, "ical_url"));
  const nlohmann::json& layers = Items(Member(schedule, "layers"));
  out += "\nLayers (later layers win where they overlap):\n";
  if (layers.empty()) return out + "  (none)\n";
  Table table({"LAYER", "ROTATION", "USERS", "START DATE", "HANDOFF", "RESTRICTIONS"});
  for (const auto& layer : layers) {
    table.AddRow({FieldText(layer, "name"), DescribeRotation(Member(layer, "rotation")),
                  JoinUsers(Member(layer, "users")), FieldText(layer, "start_date"),
                  FieldText(layer, "handoff_time"),
                  OrDash(DescribeRestrictions(Member(layer, "restrictions")))});
  }
  return out + table.Render();
}

std::string RenderOverrideTable(const nlohmann::json& overrides) {
  Table table({"ID", "USER", "START", "END", "CREATED BY"});
  for (const auto& entry : Items(overrides)) {
    table.AddRow({FieldText(entry, "id"), PersonName(entry, "user"),
                  FormatWhen(FieldText(entry, "start")), FormatWhen(FieldText(entry, "end")),
                  OrDash(PersonName(entry, "created_by"))});
  }
  return table.Render();
}

std::string RenderPolicyTable(const nlohmann::json& policies) {
  Table table({"ID", "NAME", "STEPS", "REPEAT", "DEFAULT", "DESCRIPTION"});
  table.SetMaxWidth(5, kMaxDescriptionWidth);
  for (const auto& policy : Items(policies)) {
    table.AddRow({FieldText(policy, "id"), FieldText(policy, "name"),
                  std::to_string(Items(Member(policy, "steps")).size()),
                  FieldText(policy, "repeat"), YesOrEmpty(policy, "default"),
                  FieldText(policy, "description")});
  }
  return table.Render();
}

std::string RenderPolicy(const nlohmann::json& policy) {
  std::string out =
      SanitizeForTerminal(FieldText(policy, "name") + " (policy " + FieldText(policy, "id") + ")") +
      "\n";
  out += DetailLine("Description:", FieldText(policy, "description"));
  out += DetailLine("Default:", YesOrEmpty(policy, "default").empty()
                                    ? "no"
                                    : "yes (for services without a policy)");
  const std::string repeat = FieldText(policy, "repeat");
  out += DetailLine("Repeat:", repeat.empty() || repeat == "0"
                                   ? "no"
                                   : repeat + " more time" + (repeat == "1" ? "" : "s"));
  const nlohmann::json& steps = Items(Member(policy, "steps"));
  out += "\nSteps (the next fires when nobody acknowledges in time):\n";
  if (steps.empty()) return out + "  (none)\n";
  Table table({"STEP", "NEXT AFTER", "TARGETS"});
  table.SetMaxWidth(2, kMaxDetailsWidth);
  for (size_t i = 0; i < steps.size(); ++i) {
    table.AddRow({std::to_string(i + 1), Minutes(steps[i], "delay_minutes"),
                  DescribeTargets(Member(steps[i], "targets"))});
  }
  return out + table.Render();
}

std::string DescribeEscalation(const nlohmann::json& escalation) {
  const std::string state = FieldText(escalation, "state");
  const std::string policy = FieldText(Member(escalation, "policy"), "name");
  if (state == "none" || (state.empty() && policy.empty())) return "no escalation policy";
  std::string out = "policy " + OrDash(policy) + ", step " + OrDash(FieldText(escalation, "step"));
  const std::string steps = FieldText(escalation, "steps");
  if (!steps.empty() && steps != "0") out += " of " + steps;
  if (!state.empty()) out += ", " + state;
  const std::string next_at = FieldText(escalation, "next_at");
  if (!next_at.empty()) out += ", next step at " + FormatWhen(next_at);
  return out;
}

std::string RenderNotificationSetup(const nlohmann::json& profile) {
  std::string out = SanitizeForTerminal(UserLabel(profile));
  const std::string time_zone = FieldText(profile, "time_zone");
  if (!time_zone.empty()) out += SanitizeForTerminal(", time zone " + time_zone);
  out += "\n\nContact methods:\n";
  const nlohmann::json& methods = Items(Member(profile, "contact_methods"));
  std::map<std::string, std::string> kinds;  // Method id → kind, for the rules.
  if (methods.empty()) {
    out += "  (none; add one with 'klaxon notify add-method')\n";
  } else {
    Table table({"ID", "KIND", "ADDRESS", "LABEL", "VERIFIED"});
    for (const auto& method : methods) {
      kinds[FieldText(method, "id")] = FieldText(method, "kind");
      table.AddRow({FieldText(method, "id"), FieldText(method, "kind"),
                    FieldText(method, "address"), OrDash(FieldText(method, "label")),
                    YesOrEmpty(method, "verified").empty() ? "no" : "yes"});
    }
    out += table.Render();
  }
  out += "\nNotification rules:\n";
  const nlohmann::json& rules = Items(Member(profile, "notification_rules"));
  if (rules.empty()) return out + "  (none; a page goes to every contact method at once)\n";
  Table table({"ID", "CONTACT METHOD", "AFTER"});
  for (const auto& rule : rules) {
    const std::string method = FieldText(rule, "contact_method");
    const auto kind = kinds.find(method);
    table.AddRow({FieldText(rule, "id"),
                  kind == kinds.end() ? method : method + " (" + kind->second + ")",
                  Minutes(rule, "delay_minutes")});
  }
  return out + table.Render();
}

std::string RenderNotificationTable(const nlohmann::json& notifications) {
  Table table({"ID", "INCIDENT", "USER", "KIND", "CHANNEL", "ADDRESS", "STATUS", "ATTEMPTS",
               "CREATED", "ERROR"});
  table.SetMaxWidth(5, kMaxAddressWidth);
  table.SetMaxWidth(9, kMaxDescriptionWidth);
  for (const auto& notification : Items(notifications)) {
    const std::string incident = FieldText(notification, "incident_id");
    table.AddRow({FieldText(notification, "id"), incident.empty() ? "-" : "INC-" + incident,
                  OrDash(PersonName(notification, "user")), FieldText(notification, "kind"),
                  FieldText(notification, "channel"), FieldText(notification, "address"),
                  FieldText(notification, "status"), FieldText(notification, "attempts"),
                  FormatWhen(FieldText(notification, "created_at")),
                  FieldText(notification, "last_error")});
  }
  return table.Render();
}

}  // namespace klaxon::cli
