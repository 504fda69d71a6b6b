#include "alerts/maintenance.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace klaxon::alerts {
namespace {

TimeMs T(const char* s) { return *ParseTime(s); }

MaintenanceWindow Weekly(const char* tz) {
  auto w = ParseMaintenanceWindow({{"name", "db patching"},
                                   {"weekdays", {"sun"}},
                                   {"start", "02:00"},
                                   {"duration_minutes", 120},
                                   {"time_zone", tz}});
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.value();
}

TEST(Maintenance, OneOffWindow) {
  auto w = ParseMaintenanceWindow(
      {{"name", "x"}, {"starts_at", "2026-12-01T10:00:00Z"}, {"ends_at", "2026-12-01T11:00:00Z"}});
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->ActiveAt(T("2026-12-01T09:59:59Z")));
  EXPECT_TRUE(w->ActiveAt(T("2026-12-01T10:00:00Z")));
  EXPECT_FALSE(w->ActiveAt(T("2026-12-01T11:00:00Z")));
}

TEST(Maintenance, WeeklyInBerlinKeepsLocalTimeAcrossDst) {
  MaintenanceWindow w = Weekly("Europe/Berlin");
  // Winter (CET, UTC+1): Sunday 2026-11-29 02:00 local = 01:00Z.
  EXPECT_FALSE(w.ActiveAt(T("2026-11-29T00:59:00Z")));
  EXPECT_TRUE(w.ActiveAt(T("2026-11-29T01:00:00Z")));
  EXPECT_TRUE(w.ActiveAt(T("2026-11-29T02:59:00Z")));
  EXPECT_FALSE(w.ActiveAt(T("2026-11-29T03:00:00Z")));
  // Summer (CEST, UTC+2): Sunday 2026-07-05 02:00 local = 00:00Z.
  EXPECT_TRUE(w.ActiveAt(T("2026-07-05T00:00:00Z")));
  EXPECT_FALSE(w.ActiveAt(T("2026-07-05T02:00:00Z")));
  // Not on a Monday.
  EXPECT_FALSE(w.ActiveAt(T("2026-11-30T01:30:00Z")));
}

TEST(Maintenance, StartInTheSkippedHourBeginsAtTheJump) {
  // 2026-03-29: Berlin jumps from 02:00 CET to 03:00 CEST (01:00Z); 02:00 local never happens.
  MaintenanceWindow w = Weekly("Europe/Berlin");
  EXPECT_FALSE(w.ActiveAt(T("2026-03-29T00:59:00Z")));
  EXPECT_TRUE(w.ActiveAt(T("2026-03-29T01:00:00Z")));
  EXPECT_FALSE(w.ActiveAt(T("2026-03-29T03:00:00Z")));
}

TEST(Maintenance, NewYorkAndNextStart) {
  MaintenanceWindow w = Weekly("America/New_York");
  // EST (UTC-5): Sunday 2026-12-06 02:00 local = 07:00Z.
  EXPECT_TRUE(w.ActiveAt(T("2026-12-06T07:30:00Z")));
  EXPECT_EQ(w.NextStart(T("2026-12-02T00:00:00Z")), T("2026-12-06T07:00:00Z"));
  EXPECT_EQ(w.ToJson(T("2026-12-02T00:00:00Z"))["start"], "02:00");
}

TEST(Maintenance, WindowsCrossingMidnight) {
  auto w = ParseMaintenanceWindow({{"name", "n"},
                                   {"weekdays", {"sat"}},
                                   {"start", "23:00"},
                                   {"duration_minutes", 180},
                                   {"time_zone", "UTC"}});
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->ActiveAt(T("2026-12-06T01:30:00Z")));  // Sunday 01:30, from Saturday 23:00
  EXPECT_FALSE(w->ActiveAt(T("2026-12-06T02:00:00Z")));
}

TEST(Maintenance, RejectsBadBodiesNamingTheField) {
  auto field = [](const nlohmann::json& b) {
    return ParseMaintenanceWindow(b).status().fields().at(0).field;
  };
  EXPECT_EQ(field({{"name", "x"},
                   {"weekdays", {"sun"}},
                   {"start", "2:00"},
                   {"duration_minutes", 10},
                   {"time_zone", "UTC"}}),
            "/start");
  EXPECT_EQ(field({{"name", "x"},
                   {"weekdays", {"sun"}},
                   {"start", "02:00"},
                   {"duration_minutes", 10},
                   {"time_zone", "Mars/Base"}}),
            "/time_zone");
  EXPECT_EQ(field({{"name", "x"},
                   {"weekdays", {"sunday"}},
                   {"start", "02:00"},
                   {"duration_minutes", 10},
                   {"time_zone", "UTC"}}),
            "/weekdays/0");
  EXPECT_EQ(field({{"name", "x"},
                   {"starts_at", "2026-12-01T10:00:00Z"},
                   {"ends_at", "2026-12-01T09:00:00Z"}}),
            "/ends_at");
  EXPECT_EQ(field({{"name", "x"}}), "/");
}

}  // namespace
}  // namespace klaxon::alerts
