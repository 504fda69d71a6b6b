#include "playbook/calendar.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

#include "core/time_format.h"

namespace klaxon::playbook {
namespace {

// Instants are written with their local offset and expected values in UTC, computed by
// hand (EST = UTC-5, EDT = UTC-4, CET = UTC+1, CEST = UTC+2).
TimeMs At(std::string_view rfc3339) {
  auto t = ParseTime(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(0);
}

std::string Utc(TimeMs t) { return FormatTime(t); }

// New York, Monday to Friday 09:00-17:00, Thanksgiving off.
BusinessCalendar NewYork() {
  BusinessCalendar cal;
  cal.time_zone = "America/New_York";
  cal.working_days = {1, 2, 3, 4, 5};
  cal.start_minute = 9 * 60;
  cal.end_minute = 17 * 60;
  cal.holidays = {{"2026-11-26", "Thanksgiving"}};
  return cal;
}

// Berlin, Monday to Friday 08:00-16:30.
BusinessCalendar Berlin() {
  BusinessCalendar cal;
  cal.time_zone = "Europe/Berlin";
  cal.working_days = {1, 2, 3, 4, 5};
  cal.start_minute = 8 * 60;
  cal.end_minute = 16 * 60 + 30;
  return cal;
}

TEST(BusinessCalendar, WorkingDaysAreLocalDatesWithoutHolidays) {
  auto ny = NewYork();
  EXPECT_TRUE(IsWorkingDay(ny, At("2026-11-25T12:00:00-05:00")));   // Wednesday
  EXPECT_FALSE(IsWorkingDay(ny, At("2026-11-26T12:00:00-05:00")));  // Thanksgiving
  EXPECT_TRUE(IsWorkingDay(ny, At("2026-11-27T00:00:00-05:00")));   // Friday
  EXPECT_FALSE(IsWorkingDay(ny, At("2026-11-28T12:00:00-05:00")));  // Saturday
  EXPECT_FALSE(IsWorkingDay(ny, At("2026-11-29T12:00:00-05:00")));  // Sunday
  // Wednesday 22:00 EST is already Thursday (the holiday) in UTC: the local date counts.
  EXPECT_TRUE(IsWorkingDay(ny, At("2026-11-26T03:00:00Z")));
  // Thursday 23:59 EST is Friday in UTC.
  EXPECT_FALSE(IsWorkingDay(ny, At("2026-11-27T04:59:00Z")));
}

TEST(BusinessCalendar, BusinessTimeIncludesTheStartAndExcludesTheEnd) {
  auto ny = NewYork();
  EXPECT_TRUE(IsBusinessTime(ny, At("2026-11-23T14:00:00Z")));       // Mon 09:00 EST
  EXPECT_FALSE(IsBusinessTime(ny, At("2026-11-23T13:59:59.999Z")));  // Mon 08:59:59.999
  EXPECT_TRUE(IsBusinessTime(ny, At("2026-11-23T21:59:59.999Z")));   // Mon 16:59:59.999
  EXPECT_FALSE(IsBusinessTime(ny, At("2026-11-23T22:00:00Z")));      // Mon 17:00 EST
  EXPECT_FALSE(IsBusinessTime(ny, At("2026-11-21T15:00:00Z")));      // Sat 10:00
  EXPECT_FALSE(IsBusinessTime(ny, At("2026-11-26T15:00:00Z")));      // Thanksgiving 10:00
  EXPECT_TRUE(IsBusinessTime(ny, At("2026-11-27T15:00:00Z")));       // Fri 10:00
  // Summer time: 09:00 EDT is 13:00Z.
  EXPECT_TRUE(IsBusinessTime(ny, At("2026-07-01T13:00:00Z")));
  EXPECT_FALSE(IsBusinessTime(ny, At("2026-07-01T12:59:00Z")));
  EXPECT_FALSE(IsBusinessTime(ny, At("2026-07-01T21:00:00Z")));  // 17:00 EDT
}

TEST(BusinessCalendar, BusinessTimeInBerlinFollowsItsOffsets) {
  auto berlin = Berlin();
  EXPECT_TRUE(IsBusinessTime(berlin, At("2026-07-01T06:00:00Z")));   // Wed 08:00 CEST
  EXPECT_FALSE(IsBusinessTime(berlin, At("2026-07-01T05:59:00Z")));  // Wed 07:59 CEST
  EXPECT_TRUE(IsBusinessTime(berlin, At("2026-07-01T14:29:00Z")));   // Wed 16:29 CEST
  EXPECT_FALSE(IsBusinessTime(berlin, At("2026-07-01T14:30:00Z")));  // Wed 16:30 CEST
  EXPECT_TRUE(IsBusinessTime(berlin, At("2026-12-01T07:00:00Z")));   // Tue 08:00 CET
  EXPECT_FALSE(IsBusinessTime(berlin, At("2026-12-01T06:59:00Z")));  // Tue 07:59 CET
}

TEST(BusinessCalendar, NextBusinessStart) {
  auto ny = NewYork();
  // Within business hours: t itself.
  EXPECT_EQ(Utc(NextBusinessStart(ny, At("2026-11-23T10:30:00-05:00"))),
            "2026-11-23T15:30:00.000Z");
  // Before opening on a working day: that day's 09:00.
  EXPECT_EQ(Utc(NextBusinessStart(ny, At("2026-11-23T07:15:00-05:00"))),
            "2026-11-23T14:00:00.000Z");
  // Friday 18:00 → Monday 09:00 EST.
  EXPECT_EQ(Utc(NextBusinessStart(ny, At("2026-11-20T18:00:00-05:00"))),
            "2026-11-23T14:00:00.000Z");
  // Wednesday 23:00 before Thanksgiving (already Thursday in UTC) → Friday 09:00 EST.
  EXPECT_EQ(Utc(NextBusinessStart(ny, At("2026-11-25T23:00:00-05:00"))),
            "2026-11-27T14:00:00.000Z");
  // Exactly at closing time → the next morning.
  EXPECT_EQ(Utc(NextBusinessStart(ny, At("2026-11-24T17:00:00-05:00"))),
            "2026-11-25T14:00:00.000Z");
  // Saturday in summer time → Monday after the clocks went back: 09:00 EST, not EDT.
  EXPECT_EQ(Utc(NextBusinessStart(ny, At("2026-10-31T12:00:00-04:00"))),
            "2026-11-02T14:00:00.000Z");
  // Saturday before the clocks go forward → Monday 09:00 EDT.
  EXPECT_EQ(Utc(NextBusinessStart(ny, At("2026-03-07T12:00:00-05:00"))),
            "2026-03-09T13:00:00.000Z");
  // Berlin, Friday evening before the clocks go back → Monday 08:00 CET.
  EXPECT_EQ(Utc(NextBusinessStart(Berlin(), At("2026-10-23T18:00:00+02:00"))),
            "2026-10-26T07:00:00.000Z");
}

TEST(BusinessCalendar, AddBusinessDaysEndsAtClosingTime) {
  auto ny = NewYork();
  // Wed 15:00 + 2: Thu is Thanksgiving, Fri = 1, Sat and Sun skipped, Mon = 2 → Mon
  // 17:00 EST.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-11-25T15:00:00-05:00"), 2)),
            "2026-11-30T22:00:00.000Z");
  // Friday + 1 → Monday 17:00 EST.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-11-20T10:00:00-05:00"), 1)),
            "2026-11-23T22:00:00.000Z");
  // The day of t never counts, even before opening on a working day.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-11-23T06:00:00-05:00"), 1)),
            "2026-11-24T22:00:00.000Z");
  // Nor a weekend day: Saturday + 1 → Monday.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-11-21T10:00:00-05:00"), 1)),
            "2026-11-23T22:00:00.000Z");
  // Wednesday 22:00 EST (Thursday in UTC) counts from Wednesday: + 1 → Friday.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-11-26T03:00:00Z"), 1)), "2026-11-27T22:00:00.000Z");
  // Five business days over the holiday: Thu 19 → Fri 20, Mon 23, Tue 24, Wed 25, Fri 27.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-11-19T12:00:00-05:00"), 5)),
            "2026-11-27T22:00:00.000Z");
  // n <= 0 → t.
  TimeMs t = At("2026-11-25T15:00:00-05:00");
  EXPECT_EQ(AddBusinessDays(ny, t, 0), t);
  EXPECT_EQ(AddBusinessDays(ny, t, -3), t);
}

TEST(BusinessCalendar, AddBusinessDaysAcrossDaylightSavingChanges) {
  auto ny = NewYork();
  // Fri 30 Oct 12:00 EDT + 1 → Mon 2 Nov 17:00 EST (clocks went back on 1 Nov): 22:00Z,
  // not the 21:00Z that adding days in UTC would give.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-10-30T12:00:00-04:00"), 1)),
            "2026-11-02T22:00:00.000Z");
  // Fri 6 Mar 12:00 EST + 1 → Mon 9 Mar 17:00 EDT (clocks went forward on 8 Mar): 21:00Z.
  EXPECT_EQ(Utc(AddBusinessDays(ny, At("2026-03-06T12:00:00-05:00"), 1)),
            "2026-03-09T21:00:00.000Z");
  // Berlin: Fri 23 Oct 12:00 CEST + 1 → Mon 26 Oct 16:30 CET (clocks went back on 25 Oct).
  EXPECT_EQ(Utc(AddBusinessDays(Berlin(), At("2026-10-23T12:00:00+02:00"), 1)),
            "2026-10-26T15:30:00.000Z");
  // Berlin: Fri 27 Mar 12:00 CET + 1 → Mon 30 Mar 16:30 CEST (forward on 29 Mar).
  EXPECT_EQ(Utc(AddBusinessDays(Berlin(), At("2026-03-27T12:00:00+01:00"), 1)),
            "2026-03-30T14:30:00.000Z");
}

TEST(BusinessCalendar, WholeDaysEndAtTheNextMidnight) {
  BusinessCalendar cal;  // UTC
  cal.working_days = {1, 2, 3, 4, 5};
  cal.start_minute = 0;
  cal.end_minute = 1440;
  EXPECT_TRUE(IsBusinessTime(cal, At("2026-11-23T00:00:00Z")));
  EXPECT_TRUE(IsBusinessTime(cal, At("2026-11-23T23:59:59.999Z")));
  EXPECT_FALSE(IsBusinessTime(cal, At("2026-11-22T23:59:59.999Z")));  // Sunday
  EXPECT_EQ(Utc(AddBusinessDays(cal, At("2026-11-20T12:00:00Z"), 1)), "2026-11-24T00:00:00.000Z");
  EXPECT_EQ(Utc(NextBusinessStart(cal, At("2026-11-21T12:00:00Z"))), "2026-11-23T00:00:00.000Z");
}

TEST(BusinessCalendar, WithoutWorkingDaysNothingIsBusinessTime) {
  BusinessCalendar cal;
  cal.time_zone = "America/New_York";  // working_days empty
  TimeMs t = At("2026-11-23T10:00:00-05:00");
  EXPECT_FALSE(IsWorkingDay(cal, t));
  EXPECT_FALSE(IsBusinessTime(cal, t));
  EXPECT_EQ(NextBusinessStart(cal, t), t);
  EXPECT_EQ(AddBusinessDays(cal, t, 1), t);
  // Working weekdays that are all holidays for more than the search window.
  cal.working_days = {3};  // Wednesdays
  for (int y = 2026; y <= 2028; ++y) {
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= 31; ++d) {
        char buf[11];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        cal.holidays.push_back({buf, ""});  // invalid dates (02-30) are ignored
      }
    }
  }
  EXPECT_EQ(NextBusinessStart(cal, t), t);
  EXPECT_EQ(AddBusinessDays(cal, t, 1), t);
  // Once the holidays end, Wednesday 2029-01-03 is the next working day.
  EXPECT_EQ(Utc(NextBusinessStart(cal, At("2028-12-01T12:00:00Z"))), "2029-01-03T14:00:00.000Z");
}

TEST(BusinessCalendar, UnknownZoneFallsBackToUtcAndBadInstantsAreLeftAlone) {
  BusinessCalendar cal;
  cal.time_zone = "Nowhere/Special";
  cal.working_days = {1, 2, 3, 4, 5};
  EXPECT_TRUE(IsBusinessTime(cal, At("2026-11-23T09:00:00Z")));
  EXPECT_EQ(Utc(AddBusinessDays(cal, At("2026-11-20T12:00:00Z"), 1)), "2026-11-23T17:00:00.000Z");
  TimeMs far = std::numeric_limits<TimeMs>::max();
  EXPECT_FALSE(IsBusinessTime(cal, far));
  EXPECT_EQ(NextBusinessStart(cal, far), far);
  EXPECT_EQ(AddBusinessDays(cal, far, 3), far);
  TimeMs t = At("2026-11-20T12:00:00Z");
  EXPECT_EQ(AddBusinessDays(cal, t, std::numeric_limits<int>::max()), t);
}

}  // namespace
}  // namespace klaxon::playbook
