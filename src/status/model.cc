#include "status/model.h"

#include <date/date.h>
#include <date/tz.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>

namespace klaxon::status {

namespace {

using std::chrono::milliseconds;

constexpr TimeMs kMinuteMs = 60'000;

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return date::locate_zone("Etc/UTC");
  }
}

TimeMs ToMs(date::sys_time<milliseconds> t) { return t.time_since_epoch().count(); }

int Rank(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational:
      return 0;
    case ComponentStatus::kMaintenance:
      return 1;
    case ComponentStatus::kDegraded:
      return 2;
    case ComponentStatus::kPartialOutage:
      return 3;
    case ComponentStatus::kMajorOutage:
      return 4;
  }
  return 0;
}

}  // namespace

std::string_view Name(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational:
      return "operational";
    case ComponentStatus::kDegraded:
      return "degraded_performance";
    case ComponentStatus::kPartialOutage:
      return "partial_outage";
    case ComponentStatus::kMajorOutage:
      return "major_outage";
    case ComponentStatus::kMaintenance:
      return "under_maintenance";
  }
  return "operational";
}

std::string_view Label(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational:
      return "Operational";
    case ComponentStatus::kDegraded:
      return "Degraded performance";
    case ComponentStatus::kPartialOutage:
      return "Partial outage";
    case ComponentStatus::kMajorOutage:
      return "Major outage";
    case ComponentStatus::kMaintenance:
      return "Under maintenance";
  }
  return "Operational";
}

std::optional<ComponentStatus> ParseComponentStatus(std::string_view s) {
  for (auto c :
       {ComponentStatus::kOperational, ComponentStatus::kDegraded, ComponentStatus::kPartialOutage,
        ComponentStatus::kMajorOutage, ComponentStatus::kMaintenance})
    if (Name(c) == s) return c;
  return std::nullopt;
}

bool IsIncidentStatus(std::string_view s) {
  return s == "investigating" || s == "identified" || s == "monitoring" || s == "resolved" ||
         s == "postmortem";
}

bool IsMaintenanceStatus(std::string_view s) {
  return s == "scheduled" || s == "in_progress" || s == "verifying" || s == "completed";
}

bool IsImpact(std::string_view s) {
  return s == "none" || s == "minor" || s == "major" || s == "critical";
}

int ImpactRank(std::string_view impact) {
  if (impact == "minor") return 1;
  if (impact == "major") return 2;
  if (impact == "critical") return 3;
  return 0;
}

bool Incident::unresolved() const {
  if (maintenance()) return status != "completed";
  return status != "resolved" && status != "postmortem";
}

Indicator Overall(const Snapshot& s) {
  int rank = 0;  // 0 none, 1 minor, 2 major, 3 critical
  bool maintenance = false;
  bool incident_driven = false;
  for (const auto& c : s.components) {
    if (c.is_group) continue;
    int r = c.status == ComponentStatus::kDegraded        ? 1
            : c.status == ComponentStatus::kPartialOutage ? 2
            : c.status == ComponentStatus::kMajorOutage   ? 3
                                                          : 0;
    if (c.status == ComponentStatus::kMaintenance) maintenance = true;
    rank = std::max(rank, r);
  }
  for (const auto& i : s.incidents) {
    if (!i.unresolved()) continue;
    int r = ImpactRank(i.impact);
    if (r > rank) {
      rank = r;
      incident_driven = true;
    }
  }
  for (const auto& m : s.maintenances) {
    std::string st = MaintenanceStatusAt(m, s.now);  // as the page shows it
    if (st == "in_progress" || st == "verifying") maintenance = true;
  }
  switch (rank) {
    case 1:
      return {"minor", incident_driven ? "Minor Service Outage" : "Partially Degraded Service"};
    case 2:
      return {"major", "Partial System Outage"};
    case 3:
      return {"critical", "Major Service Outage"};
    default:
      return {"none", maintenance ? "Service Under Maintenance" : "All Systems Operational"};
  }
}

Uptime ComputeUptime(const Component& c, const std::vector<StatusChange>& changes, TimeMs now,
                     const std::string& time_zone, int days) {
  Uptime out;
  if (days <= 0) return out;
  const date::time_zone* z = Zone(time_zone);
  auto local_now = z->to_local(date::sys_time<milliseconds>(milliseconds(now)));
  date::local_days today = date::floor<date::days>(local_now);
  date::local_days first = today - date::days{days - 1};

  // The component's status over time: operational before the first change.
  std::vector<StatusChange> mine;
  for (const auto& ch : changes)
    if (ch.component_id == c.id) mine.push_back(ch);
  std::stable_sort(mine.begin(), mine.end(),
                   [](const StatusChange& a, const StatusChange& b) { return a.at < b.at; });

  int64_t known_total = 0;
  double down_total = 0;
  for (date::local_days d = first; d <= today; d += date::days{1}) {
    DayUptime day;
    day.date = date::format("%F", d);
    TimeMs start = ToMs(z->to_sys(date::local_time<milliseconds>(d), date::choose::earliest));
    TimeMs end =
        ToMs(z->to_sys(date::local_time<milliseconds>(d + date::days{1}), date::choose::earliest));
    start = std::max(start, c.created_at);
    end = std::min(end, now);
    if (end > start) {
      // Walk the intervals overlapping [start, end).
      ComponentStatus st = ComponentStatus::kOperational;
      size_t i = 0;
      while (i < mine.size() && mine[i].at <= start) st = mine[i++].status;
      TimeMs t = start;
      auto add = [&](ComponentStatus s, TimeMs from, TimeMs to) {
        int64_t m = (to - from) / kMinuteMs;
        if (to <= from) return;
        if (s == ComponentStatus::kDegraded) day.minutes_degraded += m;
        if (s == ComponentStatus::kPartialOutage) day.minutes_partial += m;
        if (s == ComponentStatus::kMajorOutage) day.minutes_major += m;
        if (s == ComponentStatus::kMaintenance) day.minutes_maintenance += m;
        if (s != ComponentStatus::kOperational && Rank(s) > Rank(day.worst)) day.worst = s;
      };
      while (i < mine.size() && mine[i].at < end) {
        add(st, t, mine[i].at);
        t = mine[i].at;
        st = mine[i].status;
        ++i;
      }
      add(st, t, end);
      day.minutes_known = (end - start) / kMinuteMs;
      known_total += day.minutes_known;
      down_total += static_cast<double>(day.minutes_partial + day.minutes_major) +
                    0.5 * static_cast<double>(day.minutes_degraded);
    }
    out.days.push_back(std::move(day));
  }
  if (known_total > 0)
    out.percent = std::max(0.0, 100.0 * (1.0 - down_total / static_cast<double>(known_total)));
  return out;
}

std::string MaintenanceStatusAt(const Incident& m, TimeMs now) {
  if (!m.auto_transition || m.status == "completed") return m.status;
  if (m.scheduled_until && now >= *m.scheduled_until) return "completed";
  if (m.scheduled_for && now >= *m.scheduled_for) {
    // Started: in_progress, unless someone already moved it on to verifying.
    return m.status == "verifying" ? m.status : "in_progress";
  }
  return m.status;
}

std::string_view StatusLabel(std::string_view st) {
  if (st == "investigating") return "Investigating";
  if (st == "identified") return "Identified";
  if (st == "monitoring") return "Monitoring";
  if (st == "resolved") return "Resolved";
  if (st == "postmortem") return "Postmortem";
  if (st == "scheduled") return "Scheduled";
  if (st == "in_progress") return "In progress";
  if (st == "verifying") return "Verifying";
  if (st == "completed") return "Completed";
  return {};
}

std::string NewPublicId() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(12, 'a');
  for (auto& ch : out) ch = kAlphabet[randombytes_uniform(36)];
  return out;
}

}  // namespace klaxon::status
