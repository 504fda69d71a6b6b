// Handlers for response analytics and the quarterly report (analytics/*.h), computed from
// the store on each request (insights::LoadFacts) — no separate analytics database.
#include "analytics/analytics.h"
#include "analytics/comparison.h"
#include "analytics/export.h"
#include "analytics/svg.h"
#include "api/api.h"
#include "core/time_format.h"
#include "insights/facts.h"
#include "oncall/rotation.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

constexpr TimeMs kDay = 86'400'000;

struct Period {
  analytics::Query query;
  std::string quarter;  // set when the period is a calendar quarter
};

// The period and filters of an analytics request: quarter=2026-Q4, or from/to (a date is
// local midnight in the zone; `to` as a date includes that day; RFC 3339 instants as
// given), else the last 90 days; service, team, severity; include_drills, include_noise;
// tz (default: the organization's zone).
Result<Period> ParsePeriod(std::map<std::string, std::string>& q, const std::string& org_zone,
                           TimeMs now) {
  Period p;
  analytics::Query& a = p.query;
  a.now = now;
  a.time_zone = q.count("tz") && !q["tz"].empty() ? q["tz"] : org_zone;
  if (!oncall::IsValidTimeZone(a.time_zone))
    return InvalidField("tz", "unknown time zone '" + a.time_zone + "'");
  auto instant = [&](const std::string& key, bool end) -> Result<TimeMs> {
    const std::string& v = q[key];
    // A date `to` includes that day: the period ends at the next local midnight.
    if (auto day = analytics::LocalDayStart(v, a.time_zone, end ? 1 : 0)) return *day;
    if (auto t = ParseTime(v)) return *t;
    return InvalidField(key, "must be a date YYYY-MM-DD or an RFC 3339 time");
  };
  if (q.count("quarter") && !q["quarter"].empty()) {
    if (q.count("from") || q.count("to"))
      return InvalidField("quarter", "give a quarter or from/to, not both");
    auto range = analytics::QuarterRange(q["quarter"], a.time_zone);
    if (!range) return InvalidField("quarter", "must be YYYY-Qn, like 2026-Q4");
    a.from = range->first;
    a.to = range->second;
    p.quarter = q["quarter"];
  } else if (q.count("from") || q.count("to")) {
    if (!q.count("from") || !q.count("to")) return InvalidField("from", "give both from and to");
    KLAXON_ASSIGN_OR_RETURN(a.from, instant("from", false));
    KLAXON_ASSIGN_OR_RETURN(a.to, instant("to", true));
    if (a.to <= a.from) return InvalidField("to", "must be after from");
  } else {
    a.to = now;
    a.from = now - 90 * kDay;
  }
  if (q.count("service") && !q["service"].empty()) a.service = q["service"];
  if (q.count("team") && !q["team"].empty()) a.team = q["team"];
  if (q.count("severity") && !q["severity"].empty()) a.severity = q["severity"];
  a.include_drills = q.count("include_drills") && q["include_drills"] == "true";
  // ?drills=only: the drills apart from real incidents; ?drills=include as include_drills.
  if (q.count("drills")) {
    if (q["drills"] == "only")
      a.only_drills = true;
    else if (q["drills"] == "include")
      a.include_drills = true;
    else if (q["drills"] != "exclude")
      return InvalidField("drills", "must be exclude (the default), include or only");
  }
  a.include_noise = q.count("include_noise") && q["include_noise"] == "true";
  return p;
}

// One row per incident in a JSON answer only when asked (?rows=true): the CSV has them
// all, and they are most of the document's size.
bool WantRows(std::map<std::string, std::string>& q) {
  return q.count("rows") && q["rows"] == "true";
}

}  // namespace

// Loads the facts for [from, to) from the store and computes the report(s).
Result<std::vector<analytics::Report>> Api::ComputeReports(
    store::Tx& tx, const std::vector<analytics::Query>& queries) {
  return d_.reports.Compute(tx, queries);
}

std::string Api::OrganizationZone() const { return d_.reports.OrganizationZone(); }

void Api::GetAnalytics(Call& c) {
  auto period = ParsePeriod(c.req.query, OrganizationZone(), d_.clock.Now());
  if (!period.ok()) return Fail(c, period.status());
  std::string format = c.req.query.count("format") ? c.req.query["format"] : "json";
  if (format != "json" && format != "csv")
    return Fail(c, InvalidField("format", "must be json or csv"));
  std::optional<analytics::Report> report;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto reports, ComputeReports(tx, {period->query}));
    report = std::move(reports.front());
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  if (format == "csv") {
    auto r = http::Response::Text(200, analytics::ToCsv(*report), "text/csv; charset=utf-8");
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"klaxon-analytics.csv\"");
    return c.reply(std::move(r));
  }
  if (!WantRows(c.req.query)) report->rows.clear();
  json body = analytics::ToJson(*report);
  body["period"]["quarter"] = period->quarter.empty() ? json() : json(period->quarter);
  c.reply(http::Response::Text(200, body.dump(-1, ' ', false, json::error_handler_t::replace),
                               "application/json"));
}

void Api::GetAnalyticsChart(Call& c) {
  std::string chart = c.req.params["chart"];
  if (chart != "weekly.svg" && chart != "severity.svg" && chart != "service.svg")
    return Fail(c, NotFound("no chart '" + chart + "' (weekly.svg, severity.svg, service.svg)"));
  auto period = ParsePeriod(c.req.query, OrganizationZone(), d_.clock.Now());
  if (!period.ok()) return Fail(c, period.status());
  std::string svg;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto reports, ComputeReports(tx, {period->query}));
    const analytics::Report& r = reports.front();
    std::vector<std::pair<std::string, double>> bars;
    if (chart == "weekly.svg") {
      svg = analytics::WeeklyTrendSvg("Incidents, MTTA and MTTR per week", r.by_week);
    } else if (chart == "severity.svg") {
      for (const auto& g : r.by_severity) bars.emplace_back(g.key, g.incidents);
      svg = analytics::BarChartSvg("Incidents by severity", bars, "incidents");
    } else {
      for (const auto& g : r.by_service)
        bars.emplace_back(g.key.empty() ? "(no service)" : g.key, g.incidents);
      svg = analytics::BarChartSvg("Incidents by service", bars, "incidents");
    }
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  c.reply(http::Response::Text(200, std::move(svg), "image/svg+xml"));
}

void Api::GetQuarterlyReport(Call& c) {
  auto& q = c.req.query;
  std::string zone = q.count("tz") && !q["tz"].empty() ? q["tz"] : OrganizationZone();
  if (!q.count("quarter") && !q.count("from") && !q.count("to"))
    q["quarter"] = analytics::QuarterOf(d_.clock.Now(), zone);
  auto period = ParsePeriod(q, OrganizationZone(), d_.clock.Now());
  if (!period.ok()) return Fail(c, period.status());
  std::string format = q.count("format") ? q["format"] : "html";
  if (format != "html" && format != "markdown" && format != "json")
    return Fail(c, InvalidField("format", "must be html, markdown or json"));
  analytics::Query previous = analytics::PreviousPeriod(period->query);
  std::string title = "Response-time review";
  if (!period->quarter.empty()) {
    auto range = analytics::QuarterRange(analytics::PreviousQuarter(period->quarter),
                                         period->query.time_zone);
    if (range) std::tie(previous.from, previous.to) = *range;
    title += " " + period->quarter;
  }
  std::optional<std::pair<analytics::Report, analytics::Report>> reports;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto r, ComputeReports(tx, {period->query, previous}));
    reports.emplace(std::move(r[0]), std::move(r[1]));
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  if (format == "markdown")
    return c.reply(http::Response::Text(
        200, analytics::ComparisonMarkdown(reports->first, reports->second, title),
        "text/markdown; charset=utf-8"));
  if (format == "json") {
    if (!WantRows(q)) {
      reports->first.rows.clear();
      reports->second.rows.clear();
    }
    json body = {{"title", title},
                 {"current", analytics::ToJson(reports->first)},
                 {"previous", analytics::ToJson(reports->second)}};
    return c.reply(http::Response::Text(
        200, body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json"));
  }
  c.reply(http::Response::Text(200,
                               analytics::ComparisonHtml(reports->first, reports->second, title),
                               "text/html; charset=utf-8"));
}

void Api::GetReportSchedule(Call& c) {
  ReadJson(c, [this](store::Tx& tx) { return d_.reports.GetSchedule(tx); });
}

void Api::SetReportSchedule(Call& c) {
  auto body = RawBody(c);
  if (!body) return;
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, body = *body, actor](store::Tx& tx) {
    return d_.reports.SetSchedule(tx, body, actor);
  });
}

void Api::DeleteReportSchedule(Call& c) {
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.reports.DeleteSchedule(tx, actor));
    return json();
  });
}

void Api::SendReportNow(Call& c) {
  auto actor = c.principal.actor();
  WriteJson(c, 202, [this, actor](store::Tx& tx) { return d_.reports.SendNow(tx, actor); });
}

}  // namespace klaxon::api
