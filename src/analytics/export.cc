#include "analytics/export.h"

#include <optional>
#include <vector>

#include "core/time_format.h"

namespace klaxon::analytics {

namespace {

using nlohmann::json;

json Time(const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(nullptr); }

// "<name>_ms" and "<name>" into `out`.
void PutDuration(json& out, const std::string& name, const std::optional<DurationMs>& d) {
  out[name + "_ms"] = d ? json(*d) : json(nullptr);
  out[name] = d ? json(HumanDuration(*d)) : json(nullptr);
}

json SummaryJson(const Summary& s) {
  json out = {{"n", s.n}};
  auto value = [&](DurationMs v) { return s.n > 0 ? std::optional<DurationMs>(v) : std::nullopt; };
  PutDuration(out, "mean", value(s.mean));
  PutDuration(out, "median", value(s.median));
  PutDuration(out, "p90", value(s.p90));
  PutDuration(out, "min", value(s.min));
  PutDuration(out, "max", value(s.max));
  return out;
}

json TallyJson(const TargetTally& t) {
  int judged = t.met + t.missed;
  return {{"met", t.met},
          {"missed", t.missed},
          {"pending", t.pending},
          {"met_rate", judged > 0 ? json(static_cast<double>(t.met) / judged) : json(nullptr)}};
}

json State(TargetState s) { return s == TargetState::kNone ? json(nullptr) : TargetStateName(s); }

json RowJson(const IncidentRow& r) {
  json out = {{"id", r.id},
              {"ref", r.ref},
              {"title", r.title},
              {"severity", r.severity},
              {"severity_rank", r.severity_rank},
              {"service", r.service},
              {"team", r.team},
              {"created_at", FormatTime(r.created_at)},
              {"resolved_at", Time(r.resolved_at)},
              {"open", !r.resolved_at},
              {"drill", r.drill},
              {"noise", r.noise},
              {"reopened", r.reopened}};
  PutDuration(out, "time_to_ack", r.time_to_ack);
  PutDuration(out, "time_to_mitigate", r.time_to_mitigate);
  PutDuration(out, "time_to_restore", r.time_to_restore);
  PutDuration(out, "time_to_resolve", r.time_to_resolve);
  out["targets"] = {{"ack", State(r.ack)}, {"resolve", State(r.resolve)}, {"rto", State(r.rto)}};
  out["missed"] = r.MissedTargets();
  out["updates"] = {{"kept", r.updates_kept}, {"missed", r.updates_missed}};
  out["review"] = {{"due_at", Time(r.review_due_at)},
                   {"published_at", Time(r.review_published_at)},
                   {"late", r.review_late}};
  out["action_items"] = {{"open", r.action_items_open},
                         {"overdue", r.action_items_overdue},
                         {"done", r.action_items_done}};
  out["alertnames"] = r.alertnames;
  return out;
}

json GroupJson(const Group& g, bool week, bool severity) {
  json out = {{"key", g.key},
              {"incidents", g.incidents},
              {"open", g.open},
              {"targets_missed", g.targets_missed},
              {"mtta", SummaryJson(g.mtta)},
              {"mttr", SummaryJson(g.mttr)}};
  if (week) {
    out["start"] = FormatTime(g.start);
    out["end"] = FormatTime(g.end);
  }
  if (severity) out["severity_rank"] = g.severity_rank;
  return out;
}

json Groups(const std::vector<Group>& groups, bool week = false, bool severity = false) {
  json out = json::array();
  for (const auto& g : groups) out.push_back(GroupJson(g, week, severity));
  return out;
}

json Counts(const std::vector<NamedCount>& counts) {
  json out = json::array();
  for (const auto& c : counts) out.push_back({{"name", c.name}, {"incidents", c.incidents}});
  return out;
}

json Rows(const std::vector<IncidentRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) out.push_back(RowJson(r));
  return out;
}

json Optional(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

std::string Duration(const std::optional<DurationMs>& d) {
  return d ? std::to_string(*d) : std::string();
}

}  // namespace

json ToJson(const Report& r) {
  const Query& q = r.query;
  json out;
  out["period"] = {{"from", FormatTime(q.from)},
                   {"to", FormatTime(q.to)},
                   {"now", FormatTime(q.now)},
                   {"time_zone", r.time_zone}};
  out["filters"] = {{"service", Optional(q.service)},   {"team", Optional(q.team)},
                    {"severity", Optional(q.severity)}, {"include_drills", q.include_drills},
                    {"only_drills", q.only_drills},     {"include_noise", q.include_noise}};
  out["incidents"] = {{"total", r.incidents},
                      {"open", r.open},
                      {"reopened", r.reopened},
                      {"drills", r.drills},
                      {"noise", r.noise},
                      {"excluded_drills", r.excluded_drills},
                      {"excluded_noise", r.excluded_noise}};
  out["mtta"] = SummaryJson(r.mtta);
  out["time_to_mitigate"] = SummaryJson(r.time_to_mitigate);
  out["mttr"] = SummaryJson(r.mttr);
  out["targets"] = {
      {"ack", TallyJson(r.ack)}, {"resolve", TallyJson(r.resolve)}, {"rto", TallyJson(r.rto)}};
  out["updates"] = {{"kept", r.updates.kept}, {"missed", r.updates.missed}};
  out["action_items"] = {{"open", r.action_items.open},
                         {"overdue", r.action_items.overdue},
                         {"done", r.action_items.done}};
  out["reviews"] = {
      {"due", r.reviews.due}, {"published", r.reviews.published}, {"late", r.reviews.late}};
  out["oncall"] = json::array();
  for (const auto& p : r.oncall) {
    out["oncall"].push_back({{"username", p.username},
                             {"pages", p.pages},
                             {"night_pages", p.night_pages},
                             {"weekend_pages", p.weekend_pages}});
  }
  out["by_week"] = Groups(r.by_week, true);
  out["by_week_truncated"] = r.weeks_truncated;
  out["by_severity"] = Groups(r.by_severity, false, true);
  out["by_service"] = Groups(r.by_service);
  out["by_team"] = Groups(r.by_team);
  out["repeat_offenders"] = {{"services", Counts(r.repeat_services)},
                             {"alertnames", Counts(r.repeat_alertnames)}};
  out["slowest_acks"] = Rows(r.slowest_acks);
  out["missed_targets"] = {{"total", r.missed_targets_total},
                           {"incidents", Rows(r.missed_targets)}};
  out["noise"] = {{"incidents", r.noise_report.incidents},
                  {"alert_marks", r.noise_report.alert_marks},
                  {"alertnames", Counts(r.noise_report.alertnames)},
                  {"services", Counts(r.noise_report.services)}};
  out["rows"] = Rows(r.rows);
  return out;
}

std::string CsvCell(std::string_view text) {
  std::string cell(text);
  if (!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                        cell[0] == '\t' || cell[0] == '\r')) {
    cell.insert(0, 1, '\'');
  }
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string ToCsv(const Report& report) {
  std::string out =
      "id,ref,title,severity,service,team,created_at,resolved_at,status,drill,noise,reopened,"
      "time_to_ack_ms,time_to_mitigate_ms,time_to_restore_ms,time_to_resolve_ms,ack_target,"
      "resolve_target,rto,updates_kept,updates_missed,review_late,action_items_open,"
      "action_items_overdue,action_items_done,alertnames\r\n";
  auto flag = [](bool b) { return b ? "true" : "false"; };
  for (const auto& r : report.rows) {
    std::string alertnames;
    for (const auto& a : r.alertnames) alertnames += (alertnames.empty() ? "" : " ") + a;
    std::vector<std::string> cells = {std::to_string(r.id),
                                      CsvCell(r.ref),
                                      CsvCell(r.title),
                                      CsvCell(r.severity),
                                      CsvCell(r.service),
                                      CsvCell(r.team),
                                      FormatTime(r.created_at),
                                      r.resolved_at ? FormatTime(*r.resolved_at) : "",
                                      r.resolved_at ? "resolved" : "open",
                                      flag(r.drill),
                                      flag(r.noise),
                                      std::to_string(r.reopened),
                                      Duration(r.time_to_ack),
                                      Duration(r.time_to_mitigate),
                                      Duration(r.time_to_restore),
                                      Duration(r.time_to_resolve),
                                      TargetStateName(r.ack),
                                      TargetStateName(r.resolve),
                                      TargetStateName(r.rto),
                                      std::to_string(r.updates_kept),
                                      std::to_string(r.updates_missed),
                                      flag(r.review_late),
                                      std::to_string(r.action_items_open),
                                      std::to_string(r.action_items_overdue),
                                      std::to_string(r.action_items_done),
                                      CsvCell(alertnames)};
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
    out += "\r\n";
  }
  return out;
}

}  // namespace klaxon::analytics
