#include "analytics/analytics.h"

#include <date/date.h>
#include <date/iso_week.h>
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace klaxon::analytics {

namespace {

using std::chrono::milliseconds;

// [1900-01-01, 10000-01-01) UTC, where the tz rules and date's calendar types are well
// defined (as in oncall/rotation.cc).
constexpr TimeMs kEarliest = -2'208'988'800'000;
constexpr TimeMs kLatest = 253'402'300'800'000;

TimeMs ClampToCalendar(TimeMs t) { return std::clamp(t, kEarliest, kLatest - 1); }

// Local wall time in one zone; an unknown zone is UTC.
class LocalZone {
 public:
  explicit LocalZone(const std::string& name) {
    try {
      zone_ = date::locate_zone(name);
    } catch (const std::exception&) {
      zone_ = nullptr;
    }
  }

  bool known() const { return zone_ != nullptr; }

  date::local_time<milliseconds> ToLocal(TimeMs t) const {
    auto sys = date::sys_time<milliseconds>(milliseconds(ClampToCalendar(t)));
    if (!zone_) return date::local_time<milliseconds>(sys.time_since_epoch());
    return zone_->to_local(sys);
  }

  date::local_days DayOf(TimeMs t) const { return date::floor<date::days>(ToLocal(t)); }

  // Local midnight of `day`; a skipped midnight maps to the jump.
  TimeMs Midnight(date::local_days day) const { return At(date::local_time<milliseconds>(day)); }
  // A local time as UTC; a skipped one maps to the jump, a repeated one to the first.
  TimeMs At(date::local_time<milliseconds> local) const {
    if (!zone_) return local.time_since_epoch().count();
    return zone_->to_sys(local, date::choose::earliest).time_since_epoch().count();
  }

 private:
  const date::time_zone* zone_ = nullptr;
};

date::local_days MondayOf(date::local_days day) {
  auto wd = date::weekday(day).iso_encoding();  // Monday = 1 ... Sunday = 7
  return day - date::days{wd - 1};
}

std::string WeekLabel(date::local_days monday) {
  iso_week::year_weeknum_weekday iw{date::sys_days(monday.time_since_epoch())};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-W%02u", static_cast<int>(iw.year()),
                static_cast<unsigned>(iw.weeknum()));
  return buf;
}

// A moment as known at `now`.
std::optional<TimeMs> Known(const std::optional<TimeMs>& t, TimeMs now) {
  if (t && *t <= now) return t;
  return std::nullopt;
}

std::optional<DurationMs> Since(TimeMs start, const std::optional<TimeMs>& t) {
  if (!t) return std::nullopt;
  return *t > start ? *t - start : 0;
}

// A target's state for a duration that ended (`took`) or is still running at `now`.
TargetState Judge(const std::optional<DurationMs>& target, const std::optional<DurationMs>& took,
                  TimeMs created_at, TimeMs now) {
  if (!target) return TargetState::kNone;
  if (took) return *took <= *target ? TargetState::kMet : TargetState::kMissed;
  return now - created_at > *target ? TargetState::kMissed : TargetState::kPending;
}

void Tally(TargetTally& tally, TargetState s) {
  if (s == TargetState::kMet) ++tally.met;
  if (s == TargetState::kMissed) ++tally.missed;
  if (s == TargetState::kPending) ++tally.pending;
}

bool Matches(const IncidentFacts& inc, const Query& q) {
  if (q.service && inc.service != *q.service) return false;
  if (q.team && inc.team != *q.team) return false;
  if (q.severity && inc.severity != *q.severity) return false;
  return true;
}

std::vector<std::string> Distinct(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  return out;
}

IncidentRow MakeRow(const IncidentFacts& inc, TimeMs now) {
  IncidentRow r;
  r.id = inc.id;
  r.ref = inc.ref;
  r.title = inc.title;
  r.severity = inc.severity;
  r.severity_rank = inc.severity_rank;
  r.service = inc.service;
  r.team = inc.team;
  r.created_at = inc.created_at;
  r.drill = inc.drill;
  r.noise = inc.noise;
  r.reopened = inc.reopened;
  auto acknowledged = Known(inc.acknowledged_at, now);
  auto resolved = Known(inc.resolved_at, now);
  auto restored = Known(inc.restored_at, now);
  r.resolved_at = resolved;
  r.time_to_ack = Since(inc.created_at, acknowledged);
  r.time_to_mitigate = Since(inc.created_at, Known(inc.mitigated_at, now));
  r.time_to_resolve = Since(inc.created_at, resolved);
  r.time_to_restore = Since(inc.created_at, restored ? restored : resolved);
  auto first_response = Since(inc.created_at, acknowledged ? acknowledged : resolved);
  r.ack = Judge(inc.ack_target, first_response, inc.created_at, now);
  r.resolve = Judge(inc.resolve_target, r.time_to_resolve, inc.created_at, now);
  r.rto = Judge(inc.rto, r.time_to_restore, inc.created_at, now);
  r.updates_missed = std::max(0, inc.updates_late);
  r.updates_kept = std::max(0, inc.updates_posted - r.updates_missed);
  r.review_due_at = inc.review_due_at;
  r.review_published_at = Known(inc.review_published_at, now);
  if (r.review_due_at) {
    r.review_late =
        r.review_published_at ? *r.review_published_at > *r.review_due_at : *r.review_due_at < now;
  }
  r.action_items_open = inc.action_items_open;
  r.action_items_overdue = inc.action_items_overdue;
  r.action_items_done = inc.action_items_done;
  r.alertnames = Distinct(inc.alertnames);
  return r;
}

// Collects the rows of one group.
struct Accumulator {
  int incidents = 0, open = 0, targets_missed = 0;
  std::vector<DurationMs> acks, resolves;

  void Add(const IncidentRow& r) {
    ++incidents;
    if (!r.resolved_at) ++open;
    if (r.MissedATarget()) ++targets_missed;
    if (r.time_to_ack) acks.push_back(*r.time_to_ack);
    if (r.time_to_resolve) resolves.push_back(*r.time_to_resolve);
  }

  void Fill(Group& g) const {
    g.incidents = incidents;
    g.open = open;
    g.targets_missed = targets_missed;
    g.mtta = Summarize(acks);
    g.mttr = Summarize(resolves);
  }
};

// Groups keyed by name, ordered by incidents desc then name.
std::vector<Group> GroupsByCount(const std::map<std::string, Accumulator>& by_key) {
  std::vector<Group> out;
  for (const auto& [key, acc] : by_key) {
    Group g;
    g.key = key;
    acc.Fill(g);
    out.push_back(std::move(g));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Group& a, const Group& b) { return a.incidents > b.incidents; });
  return out;
}

// The top kTopN names with at least `min_count`, count desc then name.
std::vector<NamedCount> Top(const std::map<std::string, int>& counts, int min_count) {
  std::vector<NamedCount> out;
  for (const auto& [name, n] : counts) {
    if (n < min_count) continue;
    NamedCount c;
    c.name = name;
    c.incidents = n;
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const NamedCount& a, const NamedCount& b) {
    return a.incidents > b.incidents;
  });
  if (out.size() > kTopN) out.resize(kTopN);
  return out;
}

std::vector<Group> Weeks(const Query& q, const LocalZone& zone, bool& truncated) {
  std::vector<Group> weeks;
  truncated = false;
  if (q.to <= q.from) return weeks;
  date::local_days monday = MondayOf(zone.DayOf(q.from));
  TimeMs start = zone.Midnight(monday);
  while (start < q.to && start < kLatest - 1) {
    if (weeks.size() == kMaxWeeks) {
      truncated = true;
      break;
    }
    Group g;
    g.key = WeekLabel(monday);
    g.start = start;
    monday += date::days{7};
    g.end = zone.Midnight(monday);
    start = g.end;
    weeks.push_back(std::move(g));
  }
  return weeks;
}

void Breakdowns(const std::vector<IncidentRow>& rows, const Query& q, const LocalZone& zone,
                Report& report) {
  report.by_week = Weeks(q, zone, report.weeks_truncated);
  std::vector<Accumulator> week_acc(report.by_week.size());
  std::map<std::string, Accumulator> severities, services, teams;
  std::map<std::string, int> severity_ranks;
  date::local_days first_monday = MondayOf(zone.DayOf(q.from));
  for (const auto& r : rows) {
    auto index = (MondayOf(zone.DayOf(r.created_at)) - first_monday).count() / 7;
    if (index >= 0 && static_cast<size_t>(index) < week_acc.size()) {
      week_acc[static_cast<size_t>(index)].Add(r);
    }
    severities[r.severity].Add(r);
    auto [it, fresh] = severity_ranks.emplace(r.severity, r.severity_rank);
    if (!fresh) it->second = std::min(it->second, r.severity_rank);
    services[r.service].Add(r);
    teams[r.team].Add(r);
  }
  for (size_t i = 0; i < week_acc.size(); ++i) week_acc[i].Fill(report.by_week[i]);
  report.by_severity = GroupsByCount(severities);
  for (auto& g : report.by_severity) g.severity_rank = severity_ranks[g.key];
  std::stable_sort(report.by_severity.begin(), report.by_severity.end(),
                   [](const Group& a, const Group& b) {
                     if (a.severity_rank != b.severity_rank)
                       return a.severity_rank < b.severity_rank;
                     return a.key < b.key;
                   });
  report.by_service = GroupsByCount(services);
  report.by_team = GroupsByCount(teams);
}

bool IsNight(int hour, int start, int end) {
  if (start > end) return hour >= start || hour < end;
  if (start < end) return hour >= start && hour < end;
  return false;
}

std::vector<PersonLoad> OncallLoad(const std::vector<IncidentFacts>& incidents,
                                   const std::vector<PageFacts>& pages, const Query& q) {
  bool filtered = q.service || q.team || q.severity;
  std::set<int64_t> matching;
  if (filtered) {
    for (const auto& inc : incidents) {
      if (Matches(inc, q)) matching.insert(inc.id);
    }
  }
  std::unordered_map<std::string, LocalZone> zones;
  auto zone_of = [&](const std::string& name) -> const LocalZone& {
    auto it = zones.find(name);
    if (it == zones.end()) it = zones.emplace(name, LocalZone(name)).first;
    return it->second;
  };
  std::map<std::string, PersonLoad> people;
  for (const auto& p : pages) {
    if (p.at < q.from || p.at >= q.to) continue;
    if (p.drill ? !(q.include_drills || q.only_drills) : q.only_drills) continue;
    if (filtered && !matching.contains(p.incident_id)) continue;
    const LocalZone* zone = &zone_of(p.time_zone);
    if (p.time_zone.empty() || !zone->known()) zone = &zone_of(q.time_zone);
    auto local = zone->ToLocal(p.at);
    auto day = date::floor<date::days>(local);
    auto hour = static_cast<int>(date::floor<std::chrono::hours>(local - day).count());
    auto weekday = date::weekday(day);
    PersonLoad& load = people[p.username];
    load.username = p.username;
    ++load.pages;
    if (IsNight(hour, q.night_start_hour, q.night_end_hour)) ++load.night_pages;
    if (weekday == date::Saturday || weekday == date::Sunday) ++load.weekend_pages;
  }
  std::vector<PersonLoad> out;
  for (auto& [name, load] : people) out.push_back(std::move(load));
  std::stable_sort(out.begin(), out.end(),
                   [](const PersonLoad& a, const PersonLoad& b) { return a.pages > b.pages; });
  return out;
}

void Totals(const std::vector<IncidentRow>& rows, Report& report) {
  std::vector<DurationMs> acks, mitigations, resolves;
  std::map<std::string, int> services, alertnames;
  for (const auto& r : rows) {
    ++report.incidents;
    if (!r.resolved_at) ++report.open;
    if (r.reopened > 0) ++report.reopened;
    if (r.drill) ++report.drills;
    if (r.noise) ++report.noise;
    if (r.time_to_ack) acks.push_back(*r.time_to_ack);
    if (r.time_to_mitigate) mitigations.push_back(*r.time_to_mitigate);
    if (r.time_to_resolve) resolves.push_back(*r.time_to_resolve);
    Tally(report.ack, r.ack);
    Tally(report.resolve, r.resolve);
    Tally(report.rto, r.rto);
    report.updates.kept += r.updates_kept;
    report.updates.missed += r.updates_missed;
    report.action_items.open += r.action_items_open;
    report.action_items.overdue += r.action_items_overdue;
    report.action_items.done += r.action_items_done;
    if (r.review_due_at) ++report.reviews.due;
    if (r.review_published_at) ++report.reviews.published;
    if (r.review_late) ++report.reviews.late;
    if (!r.service.empty()) ++services[r.service];
    for (const auto& a : r.alertnames) ++alertnames[a];
    if (r.MissedATarget()) {
      ++report.missed_targets_total;
      if (report.missed_targets.size() < kMaxListed) report.missed_targets.push_back(r);
    }
  }
  report.mtta = Summarize(std::move(acks));
  report.time_to_mitigate = Summarize(std::move(mitigations));
  report.mttr = Summarize(std::move(resolves));
  report.repeat_services = Top(services, 2);
  report.repeat_alertnames = Top(alertnames, 2);

  for (const auto& r : rows) {
    if (r.time_to_ack) report.slowest_acks.push_back(r);
  }
  std::stable_sort(
      report.slowest_acks.begin(), report.slowest_acks.end(),
      [](const IncidentRow& a, const IncidentRow& b) { return *a.time_to_ack > *b.time_to_ack; });
  if (report.slowest_acks.size() > kTopN) report.slowest_acks.resize(kTopN);
}

TimeMs SaturatingSub(TimeMs a, TimeMs b) {
  TimeMs out = 0;
  if (!__builtin_sub_overflow(a, b, &out)) return out;
  return b > 0 ? std::numeric_limits<TimeMs>::min() : std::numeric_limits<TimeMs>::max();
}

}  // namespace

Summary Summarize(std::vector<DurationMs> values) {
  Summary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  auto rank = [&](size_t p) { return values[(p * n + 99) / 100 - 1]; };  // ceil(p*n/100)
  long double sum = 0;
  for (DurationMs v : values) sum += static_cast<long double>(v);
  s.n = static_cast<int>(n);
  s.mean = static_cast<DurationMs>(std::floor(sum / static_cast<long double>(n) + 0.5L));
  s.median = rank(50);
  s.p90 = rank(90);
  s.min = values.front();
  s.max = values.back();
  return s;
}

const char* TargetStateName(TargetState s) {
  switch (s) {
    case TargetState::kNone:
      return "";
    case TargetState::kMet:
      return "met";
    case TargetState::kMissed:
      return "missed";
    case TargetState::kPending:
      return "pending";
  }
  return "";
}

bool IncidentRow::MissedATarget() const {
  return ack == TargetState::kMissed || resolve == TargetState::kMissed ||
         rto == TargetState::kMissed;
}

std::vector<std::string> IncidentRow::MissedTargets() const {
  std::vector<std::string> out;
  if (ack == TargetState::kMissed) out.push_back("ack");
  if (resolve == TargetState::kMissed) out.push_back("resolve");
  if (rto == TargetState::kMissed) out.push_back("rto");
  return out;
}

Report Compute(const std::vector<IncidentFacts>& incidents, const std::vector<PageFacts>& pages,
               const Query& query) {
  Report report;
  report.query = query;
  LocalZone zone(query.time_zone);
  report.time_zone = zone.known() ? query.time_zone : "UTC";

  std::vector<IncidentRow> rows;
  std::map<std::string, int> noise_alertnames, noise_services;
  for (const auto& inc : incidents) {
    if (inc.created_at < query.from || inc.created_at >= query.to) continue;
    if (!Matches(inc, query)) continue;
    if (query.only_drills && !inc.drill) continue;
    if (inc.drill && !query.include_drills && !query.only_drills) {
      ++report.excluded_drills;
      continue;
    }
    if (!inc.noise && !inc.noise_alertnames.empty()) {
      ++report.noise_report.alert_marks;
      for (const auto& a : Distinct(inc.noise_alertnames)) ++noise_alertnames[a];
      if (!inc.service.empty()) ++noise_services[inc.service];
    }
    if (inc.noise) {
      ++report.noise_report.incidents;
      for (const auto& a : Distinct(inc.alertnames)) ++noise_alertnames[a];
      if (!inc.service.empty()) ++noise_services[inc.service];
      if (!query.include_noise) {
        ++report.excluded_noise;
        continue;
      }
    }
    rows.push_back(MakeRow(inc, query.now));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const IncidentRow& a, const IncidentRow& b) {
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return a.id < b.id;
  });
  report.noise_report.alertnames = Top(noise_alertnames, 1);
  report.noise_report.services = Top(noise_services, 1);

  Totals(rows, report);
  Breakdowns(rows, query, zone, report);
  report.oncall = OncallLoad(incidents, pages, query);
  report.rows = std::move(rows);
  return report;
}

Query PreviousPeriod(const Query& query) {
  Query prev = query;
  TimeMs length = std::max<TimeMs>(0, SaturatingSub(query.to, query.from));
  prev.to = query.from;
  prev.from = SaturatingSub(query.from, length);
  return prev;
}

std::optional<std::pair<TimeMs, TimeMs>> QuarterRange(const std::string& quarter,
                                                      const std::string& time_zone) {
  if (quarter.size() != 7 || quarter[4] != '-' || quarter[5] != 'Q') return std::nullopt;
  int year = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (quarter[i] < '0' || quarter[i] > '9') return std::nullopt;
    year = year * 10 + (quarter[i] - '0');
  }
  if (year < 1900 || year > 9998 || quarter[6] < '1' || quarter[6] > '4') return std::nullopt;
  int q = quarter[6] - '0';
  LocalZone zone(time_zone);
  if (!zone.known()) return std::nullopt;
  auto first = date::year(year) / date::month(static_cast<unsigned>(3 * q - 2)) / 1;
  auto next = first + date::months{3};
  return std::make_pair(zone.Midnight(date::local_days(first)),
                        zone.Midnight(date::local_days(next)));
}

std::optional<TimeMs> LocalDayStart(const std::string& day, const std::string& time_zone,
                                    int add_days) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return std::nullopt;
  int v[3] = {0, 0, 0};
  const std::pair<size_t, size_t> parts[3] = {{0, 4}, {5, 2}, {8, 2}};
  for (int i = 0; i < 3; ++i)
    for (size_t k = parts[i].first; k < parts[i].first + parts[i].second; ++k) {
      if (day[k] < '0' || day[k] > '9') return std::nullopt;
      v[i] = v[i] * 10 + (day[k] - '0');
    }
  auto ymd = date::year(v[0]) / date::month(static_cast<unsigned>(v[1])) /
             date::day(static_cast<unsigned>(v[2]));
  if (!ymd.ok() || v[0] < 1900 || v[0] > 9998) return std::nullopt;
  LocalZone zone(time_zone);
  if (!zone.known()) return std::nullopt;
  return zone.Midnight(date::local_days(ymd) + date::days{add_days});
}

std::string QuarterOf(TimeMs t, const std::string& time_zone) {
  LocalZone zone(time_zone);
  date::year_month_day ymd(zone.DayOf(t));
  unsigned q = (static_cast<unsigned>(ymd.month()) - 1) / 3 + 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-Q%u", static_cast<int>(ymd.year()), q % 10);
  return buf;
}

TimeMs LocalHourOn(TimeMs t, int hour, const std::string& time_zone) {
  LocalZone zone(time_zone);  // unknown: UTC
  return zone.At(date::local_time<milliseconds>(zone.DayOf(t)) + std::chrono::hours(hour));
}

CalendarPeriod CalendarPeriodOf(TimeMs t, const std::string& unit, const std::string& time_zone,
                                int offset) {
  LocalZone zone(time_zone);  // unknown: UTC
  date::year_month_day ymd(zone.DayOf(t));
  const bool quarter = unit == "quarter";
  const int length = quarter ? 3 : 1;
  unsigned m = static_cast<unsigned>(ymd.month());
  if (quarter) m = (m - 1) / 3 * 3 + 1;
  auto first = ymd.year() / date::month(m) / 1;
  first += date::months{length * offset};
  auto next = first + date::months{length};
  CalendarPeriod p;
  char buf[32];
  if (quarter)
    std::snprintf(buf, sizeof buf, "%04d-Q%u", static_cast<int>(first.year()),
                  (static_cast<unsigned>(first.month()) - 1) / 3 + 1);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(first.year()),
                  static_cast<unsigned>(first.month()));
  p.name = buf;
  p.from = zone.Midnight(date::local_days(first));
  p.to = zone.Midnight(date::local_days(next));
  return p;
}

std::string PreviousQuarter(const std::string& quarter) {
  if (quarter.size() != 7 || quarter[5] != 'Q' || quarter[6] < '1' || quarter[6] > '4') return "";
  int year = std::atoi(quarter.substr(0, 4).c_str());
  int q = quarter[6] - '0';
  if (--q == 0) {
    q = 4;
    --year;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-Q%d", year % 10000, q);
  return buf;
}

std::string HumanDuration(DurationMs ms) {
  if (ms < 0) {
    if (ms == std::numeric_limits<DurationMs>::min()) ++ms;
    return std::string("-").append(HumanDuration(-ms));
  }
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  const int64_t parts[4] = {s / 86400, s / 3600 % 24, s / 60 % 60, s % 60};
  const char* units[4] = {"d", "h", "m", "s"};
  size_t first = 0;
  while (first < 3 && parts[first] == 0) ++first;
  std::string out = std::to_string(parts[first]) + units[first];
  if (first < 3 && parts[first + 1] != 0) {
    out.append(" ").append(std::to_string(parts[first + 1])).append(units[first + 1]);
  }
  return out;
}

}  // namespace klaxon::analytics
