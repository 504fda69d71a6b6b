#include "followup/reports.h"

#include <algorithm>
#include <set>

#include "analytics/comparison.h"
#include "core/time_format.h"
#include "insights/facts.h"

namespace klaxon::followup {

using nlohmann::json;

namespace {

constexpr const char* kTimer = "report_mail";
constexpr int64_t kSubject = 1;
constexpr const char* kSetting = "report_schedule";
constexpr size_t kMaxRecipients = 50;
constexpr TimeMs kHour = 3'600'000;

// A plain address: one @, something on both sides, a dot in the domain, no spaces or
// angle brackets (the mail's To header is built from it).
bool PlainAddress(const std::string& a) {
  auto at = a.find('@');
  if (a.empty() || a.size() > 254 || at == 0 || at == std::string::npos ||
      a.find('@', at + 1) != std::string::npos || at + 1 >= a.size())
    return false;
  if (a.find_first_of(" \t\r\n<>,;\"()[]\\") != std::string::npos) return false;
  std::string domain = a.substr(at + 1);
  return domain.find('.') != std::string::npos && domain.front() != '.' && domain.back() != '.';
}

}  // namespace

json ReportSchedule::ToJson() const {
  return {{"recipients", recipients}, {"every", every}, {"hour", hour}};
}

Result<ReportSchedule> ParseReportSchedule(const json& body) {
  if (!body.is_object()) return InvalidField("", "must be a JSON object");
  std::vector<FieldError> errs;
  for (const auto& [k, v] : body.items())
    if (k != "recipients" && k != "every" && k != "hour")
      errs.push_back({"/" + k, "is not a schedule field (recipients, every, hour)"});
  ReportSchedule s;
  auto r = body.find("recipients");
  if (r == body.end() || !r->is_array() || r->empty() || r->size() > kMaxRecipients) {
    errs.push_back({"/recipients", "must list 1 to 50 email addresses"});
  } else {
    std::set<std::string> seen;
    for (size_t i = 0; i < r->size(); ++i) {
      const json& a = (*r)[i];
      if (!a.is_string() || !PlainAddress(a.get<std::string>())) {
        errs.push_back({"/recipients/" + std::to_string(i), "must be an email address"});
        continue;
      }
      if (seen.insert(a.get<std::string>()).second) s.recipients.push_back(a.get<std::string>());
    }
  }
  if (auto e = body.find("every"); e != body.end()) {
    if (!e->is_string() || (*e != "quarter" && *e != "month"))
      errs.push_back({"/every", "must be quarter or month"});
    else
      s.every = e->get<std::string>();
  }
  if (auto h = body.find("hour"); h != body.end()) {
    if (!h->is_number_integer() || h->get<int64_t>() < 0 || h->get<int64_t>() > 23)
      errs.push_back({"/hour", "must be an hour from 0 to 23"});
    else
      s.hour = static_cast<int>(h->get<int64_t>());
  }
  if (!errs.empty()) return Invalid("invalid report schedule", std::move(errs));
  return s;
}

void Reports::Install() {
  timers_.On(kTimer, [this](store::Tx& tx, int64_t, TimeMs due) { return OnTimer(tx, due); });
}

std::string Reports::OrganizationZone() const {
  auto doc = response_.doc();
  return doc && doc->organization && !doc->organization->time_zone.empty()
             ? doc->organization->time_zone
             : "UTC";
}

Result<std::vector<analytics::Report>> Reports::Compute(
    store::Tx& tx, const std::vector<analytics::Query>& queries) {
  insights::LoadOptions o;
  o.from = queries.front().from;
  o.to = queries.front().to;
  for (const auto& q : queries) {
    o.from = std::min(o.from, q.from);
    o.to = std::max(o.to, q.to);
  }
  o.pages_from = o.from;
  o.pages_to = o.to;
  o.now = clock_.Now();
  for (const auto& level : incidents_.Severities()) o.severity_rank[level.name] = level.rank;
  if (auto doc = response_.doc()) {
    for (const auto& rb : doc->runbooks)
      if (!rb.service.empty() && rb.rto && !o.rto_ms_by_service.count(rb.service))
        o.rto_ms_by_service[rb.service] = *rb.rto;
  }
  KLAXON_ASSIGN_OR_RETURN(insights::Facts facts, insights::LoadFacts(tx, o));
  std::vector<analytics::Report> out;
  for (const auto& q : queries) out.push_back(analytics::Compute(facts.incidents, facts.pages, q));
  return out;
}

Result<std::optional<ReportSchedule>> Reports::LoadSchedule(store::Tx& tx) {
  auto row = tx.QueryOne("SELECT value FROM settings WHERE key = ?", {std::string(kSetting)});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ReportSchedule>();
  auto s = ParseReportSchedule(json::parse((*row)->Str(0), nullptr, false));
  if (!s.ok()) return Internal("stored report schedule: " + s.status().message());
  return std::optional<ReportSchedule>(*s);
}

TimeMs Reports::NextRun(const ReportSchedule& s, TimeMs now) const {
  std::string zone = OrganizationZone();
  // This period's first day at the hour if still ahead, else the next period's.
  for (int offset = 0; offset < 3; ++offset) {
    analytics::CalendarPeriod p = analytics::CalendarPeriodOf(now, s.every, zone, offset);
    TimeMs at = analytics::LocalHourOn(p.from, s.hour, zone);  // DST-proof
    if (at > now) return at;
  }
  return now + 24 * kHour;  // unreachable: the next period always starts ahead
}

Result<json> Reports::GetSchedule(store::Tx& tx) {
  KLAXON_ASSIGN_OR_RETURN(auto s, LoadSchedule(tx));
  if (!s) return json{{"schedule", nullptr}, {"next_at", nullptr}};
  KLAXON_ASSIGN_OR_RETURN(auto due, timers_.DueAt(tx, kTimer, kSubject));
  return json{{"schedule", s->ToJson()},
              {"time_zone", OrganizationZone()},
              {"next_at", due ? json(FormatTime(*due)) : json()}};
}

Result<json> Reports::SetSchedule(store::Tx& tx, const json& body, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(ReportSchedule s, ParseReportSchedule(body));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO settings(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET "
              "value = excluded.value",
              {std::string(kSetting), s.ToJson().dump()}));
  TimeMs next = NextRun(s, clock_.Now());
  KLAXON_RETURN_IF_ERROR(timers_.Set(tx, kTimer, kSubject, next));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("report.schedule_set", actor,
                                        {{"schedule", s.ToJson()}, {"next_at", FormatTime(next)}}))
          .status());
  return GetSchedule(tx);
}

Status Reports::DeleteSchedule(store::Tx& tx, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto s, LoadSchedule(tx));
  if (!s) return NotFound("no report schedule");
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM settings WHERE key = ?", {std::string(kSetting)}));
  KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kTimer, kSubject));
  return log_.Append(tx, events::Event::Of("report.schedule_removed", actor, json::object()))
      .status();
}

Result<json> Reports::Mail(store::Tx& tx, const ReportSchedule& s, TimeMs at,
                           const events::Actor& actor, const std::string& key_suffix) {
  std::string zone = OrganizationZone();
  analytics::CalendarPeriod cur = analytics::CalendarPeriodOf(at, s.every, zone, -1);
  analytics::CalendarPeriod prev = analytics::CalendarPeriodOf(at, s.every, zone, -2);
  analytics::Query q;
  q.from = cur.from;
  q.to = cur.to;
  q.time_zone = zone;
  q.now = clock_.Now();
  analytics::Query p = q;
  p.from = prev.from;
  p.to = prev.to;
  KLAXON_ASSIGN_OR_RETURN(auto reports, Compute(tx, {q, p}));
  std::string title = "Response-time review " + cur.name;
  notify::Message m;
  m.kind = "report";
  m.title = title;
  m.summary = analytics::ComparisonMarkdown(reports[0], reports[1], title);
  m.payload = analytics::ComparisonHtml(reports[0], reports[1], title);
  m.console_url = pager_.options().public_url + "/ui/analytics";
  m.at = clock_.Now();
  for (const auto& address : s.recipients) {
    paging::OutboxItem item;
    item.idem_key = "report:" + cur.name + ":" + address + key_suffix;
    item.kind = "report";
    item.method.kind = notify::ChannelKind::kEmail;
    item.method.address = address;
    item.message = m;
    item.not_before = m.at;
    KLAXON_RETURN_IF_ERROR(pager_.Enqueue(tx, item).status());
  }
  json data = {{"period", cur.name},
               {"from", FormatTime(cur.from)},
               {"to", FormatTime(cur.to)},
               {"recipients", s.recipients},
               {"incidents", reports[0].incidents}};
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("report.mailed", actor, data)).status());
  return data;
}

Result<json> Reports::SendNow(store::Tx& tx, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto s, LoadSchedule(tx));
  if (!s) return NotFound("no report schedule: PUT /api/v1/reports/schedule first");
  return Mail(tx, *s, clock_.Now(), actor, ":now:" + std::to_string(clock_.Now()));
}

Status Reports::OnTimer(store::Tx& tx, TimeMs due) {
  KLAXON_ASSIGN_OR_RETURN(auto s, LoadSchedule(tx));
  if (!s) return timers_.Clear(tx, kTimer, kSubject);
  // The period that ended before `due` (not before now: after downtime, the one missed).
  KLAXON_RETURN_IF_ERROR(Mail(tx, *s, due, events::Actor::System(), "").status());
  return timers_.Set(tx, kTimer, kSubject, NextRun(*s, std::max(due, clock_.Now())));
}

}  // namespace klaxon::followup
