#include "status/model.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace klaxon::status {
namespace {

constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kDay = 86'400'000;

TimeMs T(const char* s) { return *ParseTime(s); }

Component C(int64_t id, ComponentStatus s, bool group = false) {
  Component c;
  c.id = id;
  c.name = "c" + std::to_string(id);
  c.status = s;
  c.is_group = group;
  return c;
}

Incident I(std::string status, std::string impact, std::string kind = "incident") {
  Incident i;
  i.kind = std::move(kind);
  i.status = std::move(status);
  i.impact = std::move(impact);
  return i;
}

TEST(StatusModel, NamesRoundTrip) {
  for (auto s :
       {ComponentStatus::kOperational, ComponentStatus::kDegraded, ComponentStatus::kPartialOutage,
        ComponentStatus::kMajorOutage, ComponentStatus::kMaintenance})
    EXPECT_EQ(ParseComponentStatus(Name(s)), s);
  EXPECT_EQ(ParseComponentStatus("down"), std::nullopt);
  EXPECT_TRUE(IsIncidentStatus("postmortem"));
  EXPECT_FALSE(IsIncidentStatus("in_progress"));
  EXPECT_TRUE(IsMaintenanceStatus("verifying"));
  EXPECT_FALSE(IsImpact("maintenance"));
  EXPECT_EQ(ImpactRank("critical"), 3);
  EXPECT_EQ(ImpactRank("bogus"), 0);
}

TEST(StatusModel, OverallIsTheWorstOfComponentsAndUnresolvedIncidents) {
  Snapshot s;
  EXPECT_EQ(Overall(s).indicator, "none");
  EXPECT_EQ(Overall(s).description, "All Systems Operational");
  s.components = {C(1, ComponentStatus::kOperational), C(2, ComponentStatus::kDegraded)};
  EXPECT_EQ(Overall(s).indicator, "minor");
  EXPECT_EQ(Overall(s).description, "Partially Degraded Service");
  s.components.push_back(C(3, ComponentStatus::kPartialOutage));
  EXPECT_EQ(Overall(s).indicator, "major");
  EXPECT_EQ(Overall(s).description, "Partial System Outage");
  s.components.push_back(C(4, ComponentStatus::kMajorOutage));
  EXPECT_EQ(Overall(s).indicator, "critical");
  EXPECT_EQ(Overall(s).description, "Major Service Outage");

  // A group's own status does not count; an unresolved incident's impact does.
  s.components = {C(5, ComponentStatus::kMajorOutage, true)};
  EXPECT_EQ(Overall(s).indicator, "none");
  s.incidents = {I("identified", "minor")};
  EXPECT_EQ(Overall(s).indicator, "minor");
  EXPECT_EQ(Overall(s).description, "Minor Service Outage");
  s.incidents.push_back(I("resolved", "critical"));
  EXPECT_EQ(Overall(s).indicator, "minor");  // resolved ones do not count
  s.incidents.push_back(I("monitoring", "critical"));
  EXPECT_EQ(Overall(s).indicator, "critical");
}

TEST(StatusModel, MaintenanceAloneSaysUnderMaintenance) {
  Snapshot s;
  s.components = {C(1, ComponentStatus::kMaintenance)};
  EXPECT_EQ(Overall(s).indicator, "none");
  EXPECT_EQ(Overall(s).description, "Service Under Maintenance");
  s.components.push_back(C(2, ComponentStatus::kDegraded));
  EXPECT_EQ(Overall(s).indicator, "minor");
  Snapshot m;
  m.maintenances = {I("in_progress", "maintenance", "maintenance")};
  EXPECT_EQ(Overall(m).description, "Service Under Maintenance");
  m.maintenances = {I("scheduled", "maintenance", "maintenance")};
  EXPECT_EQ(Overall(m).description, "All Systems Operational");
}

TEST(StatusModel, UnresolvedDependsOnTheKind) {
  EXPECT_TRUE(I("investigating", "minor").unresolved());
  EXPECT_FALSE(I("postmortem", "minor").unresolved());
  EXPECT_TRUE(I("verifying", "maintenance", "maintenance").unresolved());
  EXPECT_FALSE(I("completed", "maintenance", "maintenance").unresolved());
}

TEST(StatusModel, UptimeCountsMinutesPerDayInThePageZone) {
  Component c = C(1, ComponentStatus::kOperational);
  c.created_at = T("2026-01-01T00:00:00Z");
  const TimeMs now = T("2026-03-10T12:00:00Z");
  // Berlin is UTC+1 in March before the 29th: the local day 2026-03-09 is
  // 2026-03-08T23:00Z .. 2026-03-09T23:00Z.
  std::vector<StatusChange> changes = {
      {1, ComponentStatus::kMajorOutage, T("2026-03-09T10:00:00Z")},
      {1, ComponentStatus::kDegraded, T("2026-03-09T10:30:00Z")},
      {1, ComponentStatus::kOperational, T("2026-03-09T11:30:00Z")},
      {2, ComponentStatus::kMajorOutage, T("2026-03-09T00:00:00Z")},  // another component
  };
  Uptime u = ComputeUptime(c, changes, now, "Europe/Berlin", 90);
  ASSERT_EQ(u.days.size(), 90u);
  const DayUptime& yesterday = u.days[88];
  EXPECT_EQ(yesterday.date, "2026-03-09");
  EXPECT_EQ(yesterday.minutes_major, 30);
  EXPECT_EQ(yesterday.minutes_degraded, 60);
  EXPECT_EQ(yesterday.minutes_partial, 0);
  EXPECT_EQ(yesterday.minutes_known, 1440);
  EXPECT_EQ(yesterday.worst, ComponentStatus::kMajorOutage);
  const DayUptime& today = u.days[89];
  EXPECT_EQ(today.date, "2026-03-10");
  EXPECT_EQ(today.minutes_known, 13 * 60);  // local 00:00 .. 13:00
  EXPECT_EQ(today.worst, ComponentStatus::kOperational);
  // Known minutes: from Dec 11 (90 days back) only after created_at (Jan 1).
  EXPECT_EQ(u.days[0].date, "2025-12-11");
  EXPECT_EQ(u.days[0].minutes_known, 0);
  int64_t known = 0;
  for (const auto& d : u.days) known += d.minutes_known;
  double expected = 100.0 * (1.0 - (30.0 + 0.5 * 60.0) / static_cast<double>(known));
  EXPECT_NEAR(u.percent, expected, 1e-9);
  EXPECT_LT(u.percent, 100.0);
}

TEST(StatusModel, UptimeStatusBeforeTheWindowCarriesIn) {
  Component c = C(7, ComponentStatus::kPartialOutage);
  c.created_at = 0;
  const TimeMs now = T("2026-06-01T12:00:00Z");
  // Down since long before the window, never recovered.
  std::vector<StatusChange> changes = {{7, ComponentStatus::kPartialOutage, now - 200 * kDay}};
  Uptime u = ComputeUptime(c, changes, now, "Etc/UTC", 3);
  ASSERT_EQ(u.days.size(), 3u);
  EXPECT_EQ(u.days[0].minutes_partial, 1440);
  EXPECT_EQ(u.days[2].minutes_partial, 12 * 60);
  EXPECT_DOUBLE_EQ(u.percent, 0.0);
}

TEST(StatusModel, MaintenanceDoesNotCountAgainstUptime) {
  Component c = C(1, ComponentStatus::kOperational);
  const TimeMs now = T("2026-06-01T12:00:00Z");
  std::vector<StatusChange> changes = {
      {1, ComponentStatus::kMaintenance, T("2026-06-01T02:00:00Z")},
      {1, ComponentStatus::kOperational, T("2026-06-01T04:00:00Z")}};
  Uptime u = ComputeUptime(c, changes, now, "Etc/UTC", 1);
  ASSERT_EQ(u.days.size(), 1u);
  EXPECT_EQ(u.days[0].minutes_maintenance, 120);
  EXPECT_EQ(u.days[0].worst, ComponentStatus::kMaintenance);
  EXPECT_DOUBLE_EQ(u.percent, 100.0);
}

TEST(StatusModel, UptimeOverADstChangeHasA23HourDay) {
  Component c = C(1, ComponentStatus::kOperational);
  Uptime u = ComputeUptime(c, {}, T("2026-03-30T12:00:00Z"), "Europe/Berlin", 3);
  ASSERT_EQ(u.days.size(), 3u);
  EXPECT_EQ(u.days[1].date, "2026-03-29");
  EXPECT_EQ(u.days[1].minutes_known, 23 * 60);
}

TEST(StatusModel, MaintenanceMovesOnByTheClock) {
  Incident m = I("scheduled", "maintenance", "maintenance");
  m.scheduled_for = T("2026-05-01T02:00:00Z");
  m.scheduled_until = T("2026-05-01T04:00:00Z");
  EXPECT_EQ(MaintenanceStatusAt(m, T("2026-05-01T01:59:59Z")), "scheduled");
  EXPECT_EQ(MaintenanceStatusAt(m, T("2026-05-01T02:00:00Z")), "in_progress");
  EXPECT_EQ(MaintenanceStatusAt(m, T("2026-05-01T04:00:00Z")), "completed");
  m.status = "verifying";
  EXPECT_EQ(MaintenanceStatusAt(m, T("2026-05-01T03:00:00Z")), "verifying");
  m.status = "completed";
  EXPECT_EQ(MaintenanceStatusAt(m, T("2026-05-01T03:00:00Z")), "completed");
  m.status = "scheduled";
  m.auto_transition = false;
  EXPECT_EQ(MaintenanceStatusAt(m, T("2026-05-01T05:00:00Z")), "scheduled");
  (void)kMinute;
}

}  // namespace
}  // namespace klaxon::status
