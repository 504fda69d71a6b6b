#include "oncall/rotation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include "core/time_format.h"

// Every expected instant below is written by hand as a UTC literal, with the local time it
// stands for. 2026 calendar facts used: 2026-01-01 is a Thursday, so 2026-03-02, 2026-11-02
// and 2026-02-23 are Mondays; 2026-03-08, 03-29, 10-25 and 11-01 are Sundays.
// New York: EST = UTC-5, EDT = UTC-4; clocks go 02:00 EST → 03:00 EDT on 2026-03-08 (07:00Z)
// and 02:00 EDT → 01:00 EST on 2026-11-01 (06:00Z).
// Berlin: CET = UTC+1, CEST = UTC+2; 02:00 CET → 03:00 CEST on 2026-03-29 (01:00Z) and
// 03:00 CEST → 02:00 CET on 2026-10-25 (01:00Z).

namespace klaxon::oncall {
namespace {

constexpr TimeMs kHour = 3'600'000;

TimeMs T(const char* s) {
  auto t = ParseTime(s);
  EXPECT_TRUE(t.has_value()) << s;
  return t.value_or(0);
}

Layer MakeLayer(std::string name, std::vector<int64_t> users, RotationUnit unit, int length,
                std::string start_date, std::string handoff_time,
                std::vector<Restriction> restrictions = {}) {
  Layer l;
  l.name = std::move(name);
  l.users = std::move(users);
  l.unit = unit;
  l.length = length;
  l.start_date = std::move(start_date);
  l.handoff_time = std::move(handoff_time);
  l.restrictions = std::move(restrictions);
  return l;
}

Schedule MakeSchedule(std::string zone, std::vector<Layer> layers,
                      std::vector<Override> overrides = {}) {
  Schedule s;
  s.id = 1;
  s.name = "payments";
  s.time_zone = std::move(zone);
  s.layers = std::move(layers);
  s.overrides = std::move(overrides);
  return s;
}

// Mon..Fri starting `start_minute` for `duration` minutes.
std::vector<Restriction> Weekdays(int start_minute, int duration) {
  std::vector<Restriction> r;
  for (int d = 1; d <= 5; ++d) r.push_back({d, start_minute, duration});
  return r;
}

std::vector<Restriction> EveryDay(int start_minute, int duration) {
  std::vector<Restriction> r;
  for (int d = 0; d <= 6; ++d) r.push_back({d, start_minute, duration});
  return r;
}

// Shifts must be ordered, non-overlapping and touch without gaps over [from, to).
void ExpectSeamless(const std::vector<Shift>& shifts, TimeMs from, TimeMs to) {
  ASSERT_FALSE(shifts.empty());
  EXPECT_EQ(shifts.front().start, from);
  EXPECT_EQ(shifts.back().end, to);
  TimeMs covered = 0;
  for (size_t i = 0; i < shifts.size(); ++i) {
    EXPECT_LT(shifts[i].start, shifts[i].end) << i;
    if (i > 0) {
      EXPECT_EQ(shifts[i - 1].end, shifts[i].start) << "gap or overlap at " << i;
    }
    covered += shifts[i].end - shifts[i].start;
  }
  EXPECT_EQ(covered, to - from);
}

// Three people, weekly, Monday 09:00 New York, from 2026-11-02 (EST, so 09:00 = 14:00Z).
Schedule WeeklyNewYork(std::vector<Override> overrides = {}) {
  return MakeSchedule(
      "America/New_York",
      {MakeLayer("primary", {1, 2, 3}, RotationUnit::kWeeks, 1, "2026-11-02", "09:00")},
      std::move(overrides));
}

// ---------------------------------------------------------------------------------------
// Rotations.

TEST(Rotation, WeeklyThreePersonMondayHandoff) {
  Schedule s = WeeklyNewYork();
  std::vector<Shift> want = {
      {1, T("2026-11-02T14:00:00Z"), T("2026-11-09T14:00:00Z"), "primary"},  // Mon 09:00 EST
      {2, T("2026-11-09T14:00:00Z"), T("2026-11-16T14:00:00Z"), "primary"},
      {3, T("2026-11-16T14:00:00Z"), T("2026-11-23T14:00:00Z"), "primary"},
      {1, T("2026-11-23T14:00:00Z"), T("2026-11-30T00:00:00Z"), "primary"},  // clipped at `to`
  };
  // Nobody before the first handoff: the first shift starts there, not at `from`.
  EXPECT_EQ(ComputeShifts(s, T("2026-11-01T00:00:00Z"), T("2026-11-30T00:00:00Z")), want);
}

TEST(Rotation, OnCallAtBeforeAtAndAfterHandoffs) {
  Schedule s = WeeklyNewYork();
  EXPECT_EQ(OnCallAt(s, T("2026-11-02T13:59:59.999Z")), std::nullopt);  // before the first
  EXPECT_EQ(OnCallAt(s, T("2026-11-02T14:00:00Z")), 1);
  EXPECT_EQ(OnCallAt(s, T("2026-11-09T13:59:59.999Z")), 1);
  EXPECT_EQ(OnCallAt(s, T("2026-11-09T14:00:00Z")), 2);
  EXPECT_EQ(OnCallAt(s, T("2026-11-20T03:00:00Z")), 3);
  EXPECT_EQ(OnCallAt(s, T("2026-11-23T14:00:00Z")), 1);  // wrapped around
}

TEST(Rotation, DailyRotationYearsAfterItsStart) {
  // UTC, two people, daily at 08:00 from 2026-06-01. Days from 2026-06-01 to 2030-01-01:
  // 214 (rest of 2026: 30+31+31+30+31+30+31) + 365 (2027) + 366 (2028) + 365 (2029) = 1310.
  // So the handoff at 2030-01-01T08:00Z is number 1310 (even → user 1) and the one before
  // it, 2029-12-31T08:00Z, number 1309 (user 2).
  Schedule s = MakeSchedule(
      "UTC", {MakeLayer("daily", {1, 2}, RotationUnit::kDays, 1, "2026-06-01", "08:00")});
  std::vector<Shift> want = {
      {2, T("2030-01-01T00:00:00Z"), T("2030-01-01T08:00:00Z"), "daily"},
      {1, T("2030-01-01T08:00:00Z"), T("2030-01-02T08:00:00Z"), "daily"},
      {2, T("2030-01-02T08:00:00Z"), T("2030-01-02T12:00:00Z"), "daily"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2030-01-01T00:00:00Z"), T("2030-01-02T12:00:00Z")), want);
}

TEST(Rotation, EveryTwoDays) {
  // Handoffs 2026-06-01, 06-03, 06-05 … at 08:00Z; users 1, 2, 3, 1 …
  Schedule s = MakeSchedule(
      "UTC", {MakeLayer("l", {1, 2, 3}, RotationUnit::kDays, 2, "2026-06-01", "08:00")});
  std::vector<Shift> want = {
      {2, T("2026-06-04T00:00:00Z"), T("2026-06-05T08:00:00Z"), "l"},
      {3, T("2026-06-05T08:00:00Z"), T("2026-06-07T08:00:00Z"), "l"},
      {1, T("2026-06-07T08:00:00Z"), T("2026-06-08T00:00:00Z"), "l"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-06-04T00:00:00Z"), T("2026-06-08T00:00:00Z")), want);
}

TEST(Rotation, TwelveHourRotationAdvancesInAbsoluteTime) {
  // Berlin, 12 h, from Sat 2026-03-28 20:00 CET = 19:00Z. Hour units ignore the clock
  // change at 01:00Z on the 29th: handoffs stay 07:00Z / 19:00Z (08:00/20:00 CET, then
  // 09:00/21:00 CEST).
  Schedule s =
      MakeSchedule("Europe/Berlin",
                   {MakeLayer("half", {1, 2, 3}, RotationUnit::kHours, 12, "2026-03-28", "20:00")});
  std::vector<Shift> want = {
      {1, T("2026-03-28T19:00:00Z"), T("2026-03-29T07:00:00Z"), "half"},
      {2, T("2026-03-29T07:00:00Z"), T("2026-03-29T19:00:00Z"), "half"},
      {3, T("2026-03-29T19:00:00Z"), T("2026-03-30T07:00:00Z"), "half"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-03-28T00:00:00Z"), T("2026-03-30T07:00:00Z")), want);
  // A year later (365 days = 730 handoffs; 730 mod 3 = 1): user 2 from 2027-03-28T19:00Z.
  EXPECT_EQ(OnCallAt(s, T("2027-03-28T19:00:00Z")), 2);
  EXPECT_EQ(OnCallAt(s, T("2027-03-28T18:59:59Z")), 1);
}

TEST(Rotation, HourlyRotationOverNinetyDaysStartedYearsAgo) {
  // Hourly, UTC, from 2020-01-01 00:00. 2020-01-01 → 2026-01-01 is 6 years with two leap
  // days = 2192 days = 52608 hours, a multiple of 3: user 1 takes over at 2026-01-01T00:00Z.
  Schedule s = MakeSchedule(
      "UTC", {MakeLayer("hourly", {1, 2, 3}, RotationUnit::kHours, 1, "2020-01-01", "00:00")});
  TimeMs from = T("2026-01-01T00:00:00Z");
  TimeMs to = T("2026-04-01T00:00:00Z");  // 90 days
  std::vector<Shift> shifts = ComputeShifts(s, from, to);
  ASSERT_EQ(shifts.size(), 90u * 24u);
  EXPECT_EQ(shifts[0], (Shift{1, from, from + kHour, "hourly"}));
  EXPECT_EQ(shifts[1].user_id, 2);
  EXPECT_EQ(shifts.back(), (Shift{3, to - kHour, to, "hourly"}));  // 2159 mod 3 = 2
  ExpectSeamless(shifts, from, to);
}

TEST(Rotation, RepeatedUserMergesAdjacentShifts) {
  // Users 1, 1, 2 weekly: user 1 holds two weeks in one piece.
  Schedule s = MakeSchedule(
      "UTC", {MakeLayer("p", {1, 1, 2}, RotationUnit::kWeeks, 1, "2026-11-02", "09:00")});
  std::vector<Shift> want = {
      {1, T("2026-11-02T09:00:00Z"), T("2026-11-16T09:00:00Z"), "p"},
      {2, T("2026-11-16T09:00:00Z"), T("2026-11-20T00:00:00Z"), "p"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-11-02T09:00:00Z"), T("2026-11-20T00:00:00Z")), want);
}

TEST(Rotation, EmptyOrInvertedRangeHasNoShifts) {
  Schedule s = WeeklyNewYork();
  EXPECT_TRUE(ComputeShifts(s, T("2026-11-10T00:00:00Z"), T("2026-11-10T00:00:00Z")).empty());
  EXPECT_TRUE(ComputeShifts(s, T("2026-11-11T00:00:00Z"), T("2026-11-10T00:00:00Z")).empty());
  EXPECT_TRUE(ComputeShifts(MakeSchedule("UTC", {}), 0, T("2026-11-10T00:00:00Z")).empty());
}

// ---------------------------------------------------------------------------------------
// Restrictions and precedence.

TEST(Restrictions, BusinessHoursNightsAndWeekendsCoverEveryMinute) {
  // New York, four weeks from Mon 2026-02-23 00:00 EST (05:00Z) to Mon 2026-03-23 00:00 EDT
  // (04:00Z): 28 days less the hour skipped on 2026-03-08 = 671 h.
  Schedule s =
      MakeSchedule("America/New_York",
                   {MakeLayer("team", {10, 11}, RotationUnit::kWeeks, 1, "2026-02-02", "09:00",
                              Weekdays(9 * 60, 8 * 60)),  // Mon-Fri 09:00-17:00
                    MakeLayer("nights", {20, 21, 22}, RotationUnit::kDays, 1, "2026-02-02", "17:00",
                              EveryDay(17 * 60, 16 * 60)),  // 17:00-09:00 every night
                    MakeLayer("weekend", {30, 31}, RotationUnit::kWeeks, 1, "2026-02-07", "00:00",
                              {{6, 0, 48 * 60}})});  // Sat 00:00 - Mon 00:00
  TimeMs from = T("2026-02-23T05:00:00Z");
  TimeMs to = T("2026-03-23T04:00:00Z");
  std::vector<Shift> shifts = ComputeShifts(s, from, to);
  ExpectSeamless(shifts, from, to);
  TimeMs team = 0, nights = 0, weekend = 0;
  for (const Shift& sh : shifts) {
    (sh.source == "team" ? team : sh.source == "nights" ? nights : weekend) += sh.end - sh.start;
  }
  EXPECT_EQ(team, 20 * 8 * kHour);           // 20 weekdays × 8 h
  EXPECT_EQ(weekend, (4 * 48 - 1) * kHour);  // four weekends, one of them 47 h long
  EXPECT_EQ(nights, 4 * 80 * kHour);         // Mon 0-9 (9) + four 16 h nights + Fri 17-24 (7)
  // Business hours stay 09:00-17:00 local after the change: Mon 2026-03-09 is EDT.
  EXPECT_EQ(OnCallAt(s, T("2026-03-09T12:59:00Z")).value() / 10, 2);  // 08:59 EDT: nights
  EXPECT_EQ(OnCallAt(s, T("2026-03-09T13:00:00Z")).value() / 10, 1);  // 09:00 EDT: team
  EXPECT_EQ(OnCallAt(s, T("2026-03-09T21:00:00Z")).value() / 10, 2);  // 17:00 EDT: nights
  // Weekend from Sat 2026-03-07 00:00 EST (05:00Z) to Mon 00:00 EDT (04:00Z).
  EXPECT_EQ(OnCallAt(s, T("2026-03-07T04:59:00Z")).value() / 10, 2);
  EXPECT_EQ(OnCallAt(s, T("2026-03-07T05:00:00Z")).value() / 10, 3);
  EXPECT_EQ(OnCallAt(s, T("2026-03-09T03:59:00Z")).value() / 10, 3);
  EXPECT_EQ(OnCallAt(s, T("2026-03-09T04:00:00Z")).value() / 10, 2);
}

TEST(Restrictions, WindowsKeepLocalWallTimeOnTheChangeDay) {
  // Nights 17:00-09:00 and days 09:00-17:00, every day, New York. The night of Sat 7 → Sun 8
  // March runs 17:00 EST (22:00Z) to 09:00 EDT (13:00Z): 15 h. Sunday's day window is
  // 09:00-17:00 EDT = 13:00Z-21:00Z.
  Schedule s = MakeSchedule(
      "America/New_York", {MakeLayer("days", {1}, RotationUnit::kWeeks, 1, "2026-01-05", "00:00",
                                     EveryDay(9 * 60, 8 * 60)),
                           MakeLayer("nights", {2}, RotationUnit::kWeeks, 1, "2026-01-05", "00:00",
                                     EveryDay(17 * 60, 16 * 60))});
  std::vector<Shift> want = {
      {2, T("2026-03-07T22:00:00Z"), T("2026-03-08T13:00:00Z"), "nights"},
      {1, T("2026-03-08T13:00:00Z"), T("2026-03-08T21:00:00Z"), "days"},
      {2, T("2026-03-08T21:00:00Z"), T("2026-03-09T04:00:00Z"), "nights"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-03-07T22:00:00Z"), T("2026-03-09T04:00:00Z")), want);
}

TEST(Restrictions, WindowAcrossTheWeekEnd) {
  // One window Sat 22:00 for 4 h (to Sun 02:00), UTC, checked over two weeks.
  Schedule s = MakeSchedule("UTC", {MakeLayer("late", {5}, RotationUnit::kWeeks, 1, "2026-11-02",
                                              "00:00", {{6, 22 * 60, 4 * 60}})});
  std::vector<Shift> want = {
      {5, T("2026-11-07T22:00:00Z"), T("2026-11-08T02:00:00Z"), "late"},
      {5, T("2026-11-14T22:00:00Z"), T("2026-11-15T02:00:00Z"), "late"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-11-02T00:00:00Z"), T("2026-11-16T00:00:00Z")), want);
  // A query that starts inside the window sees it clipped.
  EXPECT_EQ(
      ComputeShifts(s, T("2026-11-08T01:00:00Z"), T("2026-11-09T00:00:00Z")),
      (std::vector<Shift>{{5, T("2026-11-08T01:00:00Z"), T("2026-11-08T02:00:00Z"), "late"}}));
}

TEST(Precedence, LaterLayerWinsWhereItHasCoverage) {
  // UTC. "base" = user 1 always from 2026-01-01. "lunch" (later) = user 2 on Mondays
  // 12:00-13:00 from 2026-01-05, a Monday.
  Schedule s =
      MakeSchedule("UTC", {MakeLayer("base", {1}, RotationUnit::kDays, 1, "2026-01-01", "00:00"),
                           MakeLayer("lunch", {2}, RotationUnit::kWeeks, 1, "2026-01-05", "00:00",
                                     {{1, 12 * 60, 60}})});
  std::vector<Shift> want = {
      {1, T("2026-01-04T00:00:00Z"), T("2026-01-05T12:00:00Z"), "base"},
      {2, T("2026-01-05T12:00:00Z"), T("2026-01-05T13:00:00Z"), "lunch"},
      {1, T("2026-01-05T13:00:00Z"), T("2026-01-06T00:00:00Z"), "base"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-01-04T00:00:00Z"), T("2026-01-06T00:00:00Z")), want);
  // Swapped order: "base" now wins everywhere.
  std::swap(s.layers[0], s.layers[1]);
  EXPECT_EQ(
      ComputeShifts(s, T("2026-01-04T00:00:00Z"), T("2026-01-06T00:00:00Z")),
      (std::vector<Shift>{{1, T("2026-01-04T00:00:00Z"), T("2026-01-06T00:00:00Z"), "base"}}));
}

TEST(Precedence, LowerLayerFillsBeforeTheUpperLayerStarts) {
  Schedule s =
      MakeSchedule("UTC", {MakeLayer("old", {1}, RotationUnit::kWeeks, 1, "2026-01-01", "00:00"),
                           MakeLayer("new", {2}, RotationUnit::kWeeks, 1, "2026-02-01", "09:00")});
  EXPECT_EQ(OnCallAt(s, T("2026-02-01T08:59:59Z")), 1);
  EXPECT_EQ(OnCallAt(s, T("2026-02-01T09:00:00Z")), 2);
}

// ---------------------------------------------------------------------------------------
// Overrides.

TEST(Overrides, SpanningAHandoff) {
  // User 9 from Sun 2026-11-08 20:00Z to Tue 11-10 02:00Z, across the 11-09 14:00Z handoff.
  Schedule s = WeeklyNewYork({{7, 9, T("2026-11-08T20:00:00Z"), T("2026-11-10T02:00:00Z")}});
  std::vector<Shift> want = {
      {1, T("2026-11-02T14:00:00Z"), T("2026-11-08T20:00:00Z"), "primary"},
      {9, T("2026-11-08T20:00:00Z"), T("2026-11-10T02:00:00Z"), "override"},
      {2, T("2026-11-10T02:00:00Z"), T("2026-11-16T14:00:00Z"), "primary"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-11-02T00:00:00Z"), T("2026-11-16T14:00:00Z")), want);
  EXPECT_EQ(OnCallAt(s, T("2026-11-09T14:00:00Z")), 9);
}

TEST(Overrides, PartialOverlapWithTheFirstShiftAndAGap) {
  // 12:00Z-16:00Z on 2026-11-02: two hours before the first handoff (nobody) and two after.
  Schedule s = WeeklyNewYork({{7, 9, T("2026-11-02T12:00:00Z"), T("2026-11-02T16:00:00Z")}});
  std::vector<Shift> want = {
      {9, T("2026-11-02T12:00:00Z"), T("2026-11-02T16:00:00Z"), "override"},
      {1, T("2026-11-02T16:00:00Z"), T("2026-11-03T00:00:00Z"), "primary"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-11-02T00:00:00Z"), T("2026-11-03T00:00:00Z")), want);
}

TEST(Overrides, ClippedAndOverlappingTheNewestWins) {
  // id 8 (newer) 10:00-12:00Z inside id 7's 09:00-18:00Z on 2026-11-04, listed first.
  Schedule s = WeeklyNewYork({{8, 5, T("2026-11-04T10:00:00Z"), T("2026-11-04T12:00:00Z")},
                              {7, 9, T("2026-11-04T09:00:00Z"), T("2026-11-04T18:00:00Z")}});
  std::vector<Shift> want = {
      {9, T("2026-11-04T09:30:00Z"), T("2026-11-04T10:00:00Z"), "override"},
      {5, T("2026-11-04T10:00:00Z"), T("2026-11-04T12:00:00Z"), "override"},
      {9, T("2026-11-04T12:00:00Z"), T("2026-11-04T17:00:00Z"), "override"},
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-11-04T09:30:00Z"), T("2026-11-04T17:00:00Z")), want);
}

TEST(Overrides, SameUserAsTheLayerIsNotMergedAcrossSources) {
  Schedule s = WeeklyNewYork({{7, 1, T("2026-11-03T00:00:00Z"), T("2026-11-03T06:00:00Z")}});
  std::vector<Shift> got = ComputeShifts(s, T("2026-11-02T20:00:00Z"), T("2026-11-03T12:00:00Z"));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1], (Shift{1, T("2026-11-03T00:00:00Z"), T("2026-11-03T06:00:00Z"), "override"}));
  // …but it is no handoff: user 1 stays on call throughout.
  EXPECT_EQ(NextHandoff(s, T("2026-11-02T20:00:00Z"), T("2026-11-10T00:00:00Z")),
            T("2026-11-09T14:00:00Z"));
}

// ---------------------------------------------------------------------------------------
// Daylight saving time.

// Daily at `time` local in `zone`, users 1 and 2, from `start`.
Schedule Daily(const char* zone, const char* start, const char* time) {
  return MakeSchedule(zone, {MakeLayer("d", {1, 2}, RotationUnit::kDays, 1, start, time)});
}

TEST(Dst, NewYorkSpringForwardDayIs23Hours) {
  Schedule s = Daily("America/New_York", "2026-03-06", "09:00");
  std::vector<Shift> want = {
      {1, T("2026-03-06T14:00:00Z"), T("2026-03-07T14:00:00Z"), "d"},  // 09:00 EST → 09:00 EST
      {2, T("2026-03-07T14:00:00Z"), T("2026-03-08T13:00:00Z"), "d"},  // → 09:00 EDT: 23 h
      {1, T("2026-03-08T13:00:00Z"), T("2026-03-09T13:00:00Z"), "d"},  // 09:00 EDT both: 24 h
  };
  TimeMs from = T("2026-03-06T14:00:00Z"), to = T("2026-03-09T13:00:00Z");
  EXPECT_EQ(ComputeShifts(s, from, to), want);
  ExpectSeamless(want, from, to);
  EXPECT_EQ(want[1].end - want[1].start, 23 * kHour);
}

TEST(Dst, NewYorkFallBackDayIs25Hours) {
  Schedule s = Daily("America/New_York", "2026-10-30", "09:00");
  std::vector<Shift> want = {
      {1, T("2026-10-30T13:00:00Z"), T("2026-10-31T13:00:00Z"), "d"},  // 09:00 EDT
      {2, T("2026-10-31T13:00:00Z"), T("2026-11-01T14:00:00Z"), "d"},  // → 09:00 EST: 25 h
      {1, T("2026-11-01T14:00:00Z"), T("2026-11-02T14:00:00Z"), "d"},
  };
  TimeMs from = T("2026-10-30T13:00:00Z"), to = T("2026-11-02T14:00:00Z");
  EXPECT_EQ(ComputeShifts(s, from, to), want);
  ExpectSeamless(want, from, to);
  EXPECT_EQ(want[1].end - want[1].start, 25 * kHour);
}

TEST(Dst, BerlinSpringAndAutumn) {
  Schedule spring = Daily("Europe/Berlin", "2026-03-28", "09:00");
  std::vector<Shift> want_spring = {
      {1, T("2026-03-28T08:00:00Z"), T("2026-03-29T07:00:00Z"), "d"},  // 09:00 CET → CEST: 23 h
      {2, T("2026-03-29T07:00:00Z"), T("2026-03-30T07:00:00Z"), "d"},
  };
  EXPECT_EQ(ComputeShifts(spring, T("2026-03-28T08:00:00Z"), T("2026-03-30T07:00:00Z")),
            want_spring);
  Schedule autumn = Daily("Europe/Berlin", "2026-10-24", "09:00");
  std::vector<Shift> want_autumn = {
      {1, T("2026-10-24T07:00:00Z"), T("2026-10-25T08:00:00Z"), "d"},  // CEST → CET: 25 h
      {2, T("2026-10-25T08:00:00Z"), T("2026-10-26T08:00:00Z"), "d"},
  };
  EXPECT_EQ(ComputeShifts(autumn, T("2026-10-24T07:00:00Z"), T("2026-10-26T08:00:00Z")),
            want_autumn);
}

TEST(Dst, WeeklyHandoffStaysAtNineLocal) {
  // Mondays 09:00 New York from 2026-03-02: 14:00Z (EST), then 13:00Z (EDT) from 03-09.
  Schedule s =
      MakeSchedule("America/New_York",
                   {MakeLayer("w", {1, 2, 3}, RotationUnit::kWeeks, 1, "2026-03-02", "09:00")});
  std::vector<Shift> want = {
      {1, T("2026-03-02T14:00:00Z"), T("2026-03-09T13:00:00Z"), "w"},  // 167 h
      {2, T("2026-03-09T13:00:00Z"), T("2026-03-16T13:00:00Z"), "w"},  // 168 h
  };
  EXPECT_EQ(ComputeShifts(s, T("2026-03-02T14:00:00Z"), T("2026-03-16T13:00:00Z")), want);
}

TEST(Dst, HandoffInTheSkippedHourHappensAtTheJump) {
  // 02:30 does not exist in New York on 2026-03-08: the handoff is at 03:00 EDT = 07:00Z.
  // Before: 02:30 EST on the 7th = 07:30Z; after: 02:30 EDT on the 9th = 06:30Z.
  Schedule s = Daily("America/New_York", "2026-03-07", "02:30");
  std::vector<Shift> want = {
      {1, T("2026-03-07T07:30:00Z"), T("2026-03-08T07:00:00Z"), "d"},  // 23.5 h
      {2, T("2026-03-08T07:00:00Z"), T("2026-03-09T06:30:00Z"), "d"},  // 23.5 h
  };
  TimeMs from = T("2026-03-07T07:30:00Z"), to = T("2026-03-09T06:30:00Z");
  EXPECT_EQ(ComputeShifts(s, from, to), want);
  ExpectSeamless(want, from, to);  // 47 h: the two local days, one of them 23 h
  // Berlin skips 02:00-03:00 CET on 2026-03-29: 02:30 → 03:00 CEST = 01:00Z.
  Schedule berlin = Daily("Europe/Berlin", "2026-03-29", "02:30");
  EXPECT_EQ(OnCallAt(berlin, T("2026-03-29T00:59:59Z")), std::nullopt);
  EXPECT_EQ(OnCallAt(berlin, T("2026-03-29T01:00:00Z")), 1);
  // A first handoff that itself falls in the gap works the same way.
  Schedule gap_start = Daily("America/New_York", "2026-03-08", "02:30");
  EXPECT_EQ(ComputeShifts(gap_start, T("2026-03-08T00:00:00Z"), T("2026-03-08T08:00:00Z")),
            (std::vector<Shift>{{1, T("2026-03-08T07:00:00Z"), T("2026-03-08T08:00:00Z"), "d"}}));
}

TEST(Dst, HandoffInTheRepeatedHourHappensAtItsFirstOccurrence) {
  // 01:30 happens twice in New York on 2026-11-01: 01:30 EDT (05:30Z), then 01:30 EST
  // (06:30Z). The handoff takes the first. 01:30 EDT on 10-31 = 05:30Z; 01:30 EST on 11-02 =
  // 06:30Z.
  Schedule s = Daily("America/New_York", "2026-10-31", "01:30");
  std::vector<Shift> want = {
      {1, T("2026-10-31T05:30:00Z"), T("2026-11-01T05:30:00Z"), "d"},  // 24 h
      {2, T("2026-11-01T05:30:00Z"), T("2026-11-02T06:30:00Z"), "d"},  // 25 h
  };
  TimeMs from = T("2026-10-31T05:30:00Z"), to = T("2026-11-02T06:30:00Z");
  EXPECT_EQ(ComputeShifts(s, from, to), want);
  ExpectSeamless(want, from, to);
}

TEST(Dst, TotalCoverageEqualsElapsedTimeAcrossBothChanges) {
  // A whole year of daily 09:00 handoffs in Berlin and New York: no gap, no double.
  for (const char* zone : {"Europe/Berlin", "America/New_York"}) {
    Schedule s = Daily(zone, "2025-12-01", "09:00");
    TimeMs from = T("2026-01-01T00:00:00Z"), to = T("2027-01-01T00:00:00Z");
    std::vector<Shift> shifts = ComputeShifts(s, from, to);
    ExpectSeamless(shifts, from, to);
    EXPECT_EQ(shifts.size(), 366u) << zone;  // 365 handoffs split the year into 366 pieces
  }
}

// ---------------------------------------------------------------------------------------
// NextHandoff.

TEST(NextHandoff, FindsTheNextChangeOfUser) {
  Schedule s = WeeklyNewYork();
  TimeMs limit = T("2027-01-01T00:00:00Z");
  // From nobody to user 1 at the first handoff.
  EXPECT_EQ(NextHandoff(s, T("2026-11-01T00:00:00Z"), limit), T("2026-11-02T14:00:00Z"));
  EXPECT_EQ(NextHandoff(s, T("2026-11-03T00:00:00Z"), limit), T("2026-11-09T14:00:00Z"));
  // Strictly after `after`.
  EXPECT_EQ(NextHandoff(s, T("2026-11-09T14:00:00Z"), limit), T("2026-11-16T14:00:00Z"));
  // Not before `limit`.
  EXPECT_EQ(NextHandoff(s, T("2026-11-03T00:00:00Z"), T("2026-11-09T14:00:00Z")), std::nullopt);
  EXPECT_EQ(NextHandoff(s, T("2026-11-03T00:00:00Z"), T("2026-11-09T14:00:00.001Z")),
            T("2026-11-09T14:00:00Z"));
}

TEST(NextHandoff, SkipsHandoffsToTheSameUserAndSeesGaps) {
  Schedule repeat = MakeSchedule(
      "UTC", {MakeLayer("p", {1, 1, 2}, RotationUnit::kWeeks, 1, "2026-11-02", "09:00")});
  EXPECT_EQ(NextHandoff(repeat, T("2026-11-03T00:00:00Z"), T("2027-01-01T00:00:00Z")),
            T("2026-11-16T09:00:00Z"));  // 11-09 hands 1 → 1: no change
  // Business hours only: the change to nobody is at 17:00Z, back to user 4 at 09:00Z next day.
  Schedule hours = MakeSchedule("UTC", {MakeLayer("b", {4}, RotationUnit::kWeeks, 1, "2026-11-02",
                                                  "00:00", Weekdays(540, 480))});
  EXPECT_EQ(NextHandoff(hours, T("2026-11-02T10:00:00Z"), T("2027-01-01T00:00:00Z")),
            T("2026-11-02T17:00:00Z"));
  EXPECT_EQ(NextHandoff(hours, T("2026-11-02T17:00:00Z"), T("2027-01-01T00:00:00Z")),
            T("2026-11-03T09:00:00Z"));
  // Friday 17:00Z → Monday 09:00Z.
  EXPECT_EQ(NextHandoff(hours, T("2026-11-06T18:00:00Z"), T("2027-01-01T00:00:00Z")),
            T("2026-11-09T09:00:00Z"));
}

TEST(NextHandoff, OverrideEndsAndNoChangeWithinTheLimit) {
  Schedule s = WeeklyNewYork({{7, 9, T("2026-11-04T09:00:00Z"), T("2026-11-04T18:00:00Z")}});
  EXPECT_EQ(NextHandoff(s, T("2026-11-04T08:00:00Z"), T("2026-12-01T00:00:00Z")),
            T("2026-11-04T09:00:00Z"));
  EXPECT_EQ(NextHandoff(s, T("2026-11-04T09:00:00Z"), T("2026-12-01T00:00:00Z")),
            T("2026-11-04T18:00:00Z"));
  // One user forever: no change, even with a far limit.
  Schedule solo =
      MakeSchedule("UTC", {MakeLayer("solo", {1}, RotationUnit::kDays, 1, "2026-01-01", "00:00")});
  EXPECT_EQ(NextHandoff(solo, T("2026-02-01T00:00:00Z"), T("2028-02-01T00:00:00Z")), std::nullopt);
  EXPECT_EQ(NextHandoff(MakeSchedule("UTC", {}), 0, T("2026-02-01T00:00:00Z")), std::nullopt);
  EXPECT_EQ(NextHandoff(s, T("2026-11-05T00:00:00Z"), T("2026-11-05T00:00:00Z")), std::nullopt);
}

// ---------------------------------------------------------------------------------------
// JSON.

nlohmann::json ValidBody() {
  return {{"name", "Payments"},
          {"time_zone", "America/New_York"},
          {"layers",
           {{{"name", "primary"},
             {"users", {1, 2, 3}},
             {"rotation", {{"unit", "weeks"}, {"length", 1}}},
             {"start_date", "2026-11-02"},
             {"handoff_time", "09:00"},
             {"restrictions",
              {{{"weekday", "mon"}, {"start", "09:00"}, {"duration_minutes", 480}},
               {{"weekday", "Saturday"}, {"start", "22:30"}, {"duration_minutes", 240}}}}}}}};
}

TEST(ParseSchedule, AcceptsTheDocumentedShape) {
  auto s = ParseSchedule(ValidBody());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "Payments");
  EXPECT_EQ(s->time_zone, "America/New_York");
  ASSERT_EQ(s->layers.size(), 1u);
  const Layer& l = s->layers[0];
  EXPECT_EQ(l.users, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(l.unit, RotationUnit::kWeeks);
  EXPECT_EQ(l.length, 1);
  EXPECT_EQ(l.start_date, "2026-11-02");
  EXPECT_EQ(l.handoff_time, "09:00");
  ASSERT_EQ(l.restrictions.size(), 2u);
  EXPECT_EQ(l.restrictions[0].weekday, 1);
  EXPECT_EQ(l.restrictions[0].start_minute, 540);
  EXPECT_EQ(l.restrictions[0].duration_minutes, 480);
  EXPECT_EQ(l.restrictions[1].weekday, 6);  // full name, any case
  EXPECT_EQ(l.restrictions[1].start_minute, 22 * 60 + 30);
}

TEST(ParseSchedule, DefaultsAndOptionalParts) {
  auto s = ParseSchedule({{"name", "x"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->time_zone, "UTC");
  EXPECT_TRUE(s->layers.empty());
  nlohmann::json body = ValidBody();
  body["layers"][0]["rotation"].erase("length");
  body["layers"][0].erase("restrictions");
  auto t = ParseSchedule(body);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->layers[0].length, 1);
  EXPECT_TRUE(t->layers[0].restrictions.empty());
}

TEST(ParseSchedule, ErrorsNameTheField) {
  struct Case {
    const char* field;
    std::function<void(nlohmann::json&)> mutate;
  };
  auto layer = [](nlohmann::json& b) -> nlohmann::json& { return b["layers"][0]; };
  std::vector<Case> cases = {
      {"/", [](nlohmann::json& b) { b = nlohmann::json::array(); }},
      {"/name", [](nlohmann::json& b) { b["name"] = ""; }},
      {"/name", [](nlohmann::json& b) { b["name"] = 7; }},
      {"/time_zone", [](nlohmann::json& b) { b["time_zone"] = "Mars/Olympus"; }},
      {"/layers", [](nlohmann::json& b) { b["layers"] = "primary"; }},
      {"/layers/0", [](nlohmann::json& b) { b["layers"][0] = 3; }},
      {"/layers/0/name", [&](nlohmann::json& b) { layer(b).erase("name"); }},
      {"/layers/0/name", [&](nlohmann::json& b) { layer(b)["name"] = "override"; }},
      {"/layers/0/users", [&](nlohmann::json& b) { layer(b)["users"] = nlohmann::json::array(); }},
      {"/layers/0/users/1", [&](nlohmann::json& b) { layer(b)["users"][1] = "bob"; }},
      {"/layers/0/users/2", [&](nlohmann::json& b) { layer(b)["users"][2] = 0; }},
      {"/layers/0/rotation", [&](nlohmann::json& b) { layer(b).erase("rotation"); }},
      {"/layers/0/rotation/unit",
       [&](nlohmann::json& b) { layer(b)["rotation"]["unit"] = "months"; }},
      {"/layers/0/rotation/length", [&](nlohmann::json& b) { layer(b)["rotation"]["length"] = 0; }},
      {"/layers/0/rotation/length",
       [&](nlohmann::json& b) { layer(b)["rotation"]["length"] = 1.5; }},
      {"/layers/0/start_date", [&](nlohmann::json& b) { layer(b)["start_date"] = "2026-02-30"; }},
      {"/layers/0/start_date", [&](nlohmann::json& b) { layer(b)["start_date"] = "2026-2-3"; }},
      {"/layers/0/handoff_time", [&](nlohmann::json& b) { layer(b)["handoff_time"] = "24:00"; }},
      {"/layers/0/handoff_time", [&](nlohmann::json& b) { layer(b)["handoff_time"] = "9:00"; }},
      {"/layers/0/restrictions", [&](nlohmann::json& b) { layer(b)["restrictions"] = 1; }},
      {"/layers/0/restrictions/1/weekday",
       [&](nlohmann::json& b) { layer(b)["restrictions"][1]["weekday"] = "someday"; }},
      {"/layers/0/restrictions/0/start",
       [&](nlohmann::json& b) { layer(b)["restrictions"][0]["start"] = "09:60"; }},
      {"/layers/0/restrictions/0/duration_minutes",
       [&](nlohmann::json& b) { layer(b)["restrictions"][0]["duration_minutes"] = 10081; }},
      {"/layers/1/name",
       [&](nlohmann::json& b) {
         nlohmann::json copy = layer(b);
         b["layers"].push_back(copy);
       }},
  };
  for (const Case& c : cases) {
    nlohmann::json body = ValidBody();
    c.mutate(body);
    auto r = ParseSchedule(body);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.field;
    ASSERT_EQ(r.status().fields().size(), 1u) << c.field;
    EXPECT_EQ(r.status().fields()[0].field, c.field) << r.status().ToString();
  }
  auto r = ParseSchedule({{"name", "x"},
                          {"layers",
                           {{{"name", "p"},
                             {"users", {1}},
                             {"rotation", {{"unit", "months"}}},
                             {"start_date", "2026-11-02"},
                             {"handoff_time", "09:00"}}}}});
  EXPECT_EQ(r.status().message(),
            "invalid field /layers/0/rotation/unit: must be one of hours, days, weeks");
}

TEST(ParseSchedule, LayersRoundTripThroughJson) {
  std::vector<Layer> layers = {MakeLayer("team", {10, 11, 10}, RotationUnit::kHours, 12,
                                         "2026-02-02", "09:30", Weekdays(540, 480)),
                               MakeLayer("weekend", {30}, RotationUnit::kDays, 2, "2026-02-07",
                                         "00:00", {{6, 0, 2880}, {0, 1439, 1}})};
  nlohmann::json j = LayersToJson(layers);
  EXPECT_EQ(j[0]["rotation"], (nlohmann::json{{"unit", "hours"}, {"length", 12}}));
  EXPECT_EQ(j[1]["restrictions"][1],
            (nlohmann::json{{"weekday", "sun"}, {"start", "23:59"}, {"duration_minutes", 1}}));
  auto s = ParseSchedule({{"name", "x"}, {"layers", j}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(LayersToJson(s->layers), j);
  ASSERT_EQ(s->layers.size(), 2u);
  EXPECT_EQ(s->layers[0].users, layers[0].users);
  EXPECT_EQ(s->layers[1].restrictions[0].duration_minutes, 2880);
}

TEST(ParseSchedule, ShiftJsonAndZones) {
  EXPECT_EQ(ShiftToJson({3, T("2026-11-02T14:00:00Z"), T("2026-11-09T14:00:00Z"), "primary"}),
            (nlohmann::json{{"user_id", 3},
                            {"start", "2026-11-02T14:00:00.000Z"},
                            {"end", "2026-11-09T14:00:00.000Z"},
                            {"source", "primary"}}));
  EXPECT_TRUE(IsValidTimeZone("Europe/Berlin"));
  EXPECT_TRUE(IsValidTimeZone("UTC"));
  EXPECT_FALSE(IsValidTimeZone(""));
  EXPECT_FALSE(IsValidTimeZone("Europe/Nowhere"));
}

TEST(ParseSchedule, UnknownZoneInAValueFallsBackToUtc) {
  Schedule s = MakeSchedule("Nowhere/Special",
                            {MakeLayer("d", {1}, RotationUnit::kDays, 1, "2026-01-01", "09:00")});
  EXPECT_EQ(OnCallAt(s, T("2026-01-01T08:59:59Z")), std::nullopt);
  EXPECT_EQ(OnCallAt(s, T("2026-01-01T09:00:00Z")), 1);
}

}  // namespace
}  // namespace klaxon::oncall
