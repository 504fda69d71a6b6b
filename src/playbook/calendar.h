// Business hours and business days of an organization's BusinessCalendar: whether an
// instant falls within working hours (for `page: business_hours`), when they next open,
// and the deadline "N business days" after an instant (for postmortem reviews).
//
// Days, hours and holidays are local to the calendar's time zone, so every answer follows
// that zone's daylight saving rules; instants are UTC milliseconds. A local wall time that
// occurs twice (clocks set back) means its first occurrence, one that is skipped (clocks
// set forward) the instant of the jump. An unknown time zone (or a missing tz database)
// falls back to UTC, and holidays that are not real "YYYY-MM-DD" dates are ignored: the
// calendar is validated when it is loaded, and a bad value must not stop a page.
// Instants before 1900 or from the year 10000 on are outside every calendar: never
// business time, and returned unchanged by the functions that compute an instant.
//
// Pure functions of their arguments; any thread.
#pragma once

#include "core/clock.h"
#include "playbook/playbook.h"

namespace klaxon::playbook {

// How far ahead NextBusinessStart looks, and AddBusinessDays looks for the next working
// day, before giving up (a calendar without working days, or with a year of holidays).
inline constexpr int kMaxDaysWithoutWork = 400;

// The local date of `t` is a working day: its weekday is listed and it is no holiday.
bool IsWorkingDay(const BusinessCalendar& cal, TimeMs t);

// `t` is on a working day and start_minute <= its local time of day < end_minute.
bool IsBusinessTime(const BusinessCalendar& cal, TimeMs t);

// `t` itself when IsBusinessTime(t); else the start of the next business hours (start_minute
// local on the next working day, possibly later on t's own day). `t` when there is none
// within kMaxDaysWithoutWork days.
TimeMs NextBusinessStart(const BusinessCalendar& cal, TimeMs t);

// The deadline "`n` business days after `t`": the end of business hours (end_minute
// local) on the n-th working day after t's local date. t's own day never counts, even
// when it is a working day; holidays and unlisted weekdays are skipped. `t` when n <= 0,
// and when the n-th working day cannot be found (no working day within
// kMaxDaysWithoutWork consecutive days, or none before the year 10000).
TimeMs AddBusinessDays(const BusinessCalendar& cal, TimeMs t, int n);

}  // namespace klaxon::playbook
