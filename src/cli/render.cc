#include "cli/render.h"

#include <vector>

#include "cli/table.h"
#include "core/time_format.h"

namespace klaxon::cli {

namespace {

constexpr size_t kMaxTitleWidth = 72;
constexpr size_t kMaxDescriptionWidth = 60;
constexpr size_t kMaxDetailsWidth = 100;
constexpr size_t kLabelWidth = 15;  // "Acknowledged:" and two spaces.

std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

// The incident's service name; the field is an object, null, or (leniently) a string.
std::string ServiceName(const nlohmann::json& incident) {
  const auto it = incident.find("service");
  if (it == incident.end() || it->is_null()) return "";
  if (it->is_object()) return FieldText(*it, "name");
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// A token's or event's user: a string, or an object with a username or name.
std::string PersonName(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return FieldText(object, key);
  std::string name = FieldText(*it, "username");
  return name.empty() ? FieldText(*it, "name") : name;
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

}  // namespace

std::string FieldText(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
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
    if (value.empty()) return;
    std::string line(label);
    line.append(kLabelWidth - label.size(), ' ');
    out += line + SanitizeForTerminal(value) + "\n";
  };
  const auto add_time = [&](std::string_view label, std::string_view key, std::string suffix) {
    const std::string when = FieldText(incident, key);
    if (when.empty()) return;
    const std::string age = Age(incident, key, now);
    add(label, FormatWhen(when) + suffix + (age.empty() ? "" : " (" + age + " ago)"));
  };
  add("Status:", FieldText(incident, "status"));
  add("Severity:", FieldText(incident, "severity"));
  add("Service:", OrDash(ServiceName(incident)));
  const std::string created_by = FieldText(incident, "created_by");
  add_time("Created:", "created_at", created_by.empty() ? "" : " by " + created_by);
  add_time("Acknowledged:", "acknowledged_at", "");
  add_time("Resolved:", "resolved_at", "");
  add("Description:", FieldText(incident, "description"));
  add("Impact:", FieldText(incident, "impact"));
  add("Resolution:", FieldText(incident, "resolution_summary"));

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

}  // namespace klaxon::cli
