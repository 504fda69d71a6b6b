#include "playbook/calendar.h"

#include <date/tz.h>

#include <array>
#include <cctype>
#include <chrono>
#include <exception>
#include <optional>
#include <set>
#include <string_view>

namespace klaxon::playbook {

namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

// [1900-01-01, 10000-01-01) UTC, where the tz rules and date's calendar types are well
// defined and nothing overflows (as in oncall/rotation.cc).
constexpr TimeMs kEarliest = -2'208'988'800'000;
constexpr TimeMs kLatest = 253'402'300'800'000;

bool InRange(TimeMs t) { return t >= kEarliest && t < kLatest; }

// "2026-11-26" → local day; nullopt unless a real date in that exact form.
std::optional<date::local_days> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t spans[3][2] = {{0, 4}, {5, 2}, {8, 2}};
  for (int i = 0; i < 3; ++i) {
    for (size_t c = spans[i][0]; c < spans[i][0] + spans[i][1]; ++c) {
      if (!std::isdigit(static_cast<unsigned char>(s[c]))) return std::nullopt;
      parts[i] = parts[i] * 10 + (s[c] - '0');
    }
  }
  date::year_month_day ymd{date::year(parts[0]), date::month(static_cast<unsigned>(parts[1])),
                           date::day(static_cast<unsigned>(parts[2]))};
  if (!ymd.ok()) return std::nullopt;
  return date::local_days(ymd);
}

// A BusinessCalendar resolved for lookups: its zone, working weekdays and holidays.
// Built per call (a zone lookup and a few dates); borrows nothing.
class LocalCalendar {
 public:
  explicit LocalCalendar(const BusinessCalendar& cal)
      : start_minute_(cal.start_minute), end_minute_(cal.end_minute) {
    try {
      zone_ = date::locate_zone(cal.time_zone);
    } catch (const std::exception&) {
      zone_ = nullptr;  // UTC
    }
    for (int d : cal.working_days) {
      if (d >= 0 && d < 7) weekdays_[static_cast<size_t>(d)] = true;
    }
    for (const Holiday& h : cal.holidays) {
      if (auto day = ParseDate(h.date)) holidays_.insert(*day);
    }
  }

  bool IsWorking(date::local_days day) const {
    return weekdays_[date::weekday(day).c_encoding()] && !holidays_.contains(day);
  }

  bool IsBusiness(TimeMs t) const {
    auto local = ToLocal(t);
    auto day = date::floor<date::days>(local);
    auto minute = date::floor<minutes>(local - day).count();
    return IsWorking(day) && start_minute_ <= minute && minute < end_minute_;
  }

  date::local_days DayOf(TimeMs t) const { return date::floor<date::days>(ToLocal(t)); }

  // The instant of `minute` minutes after local midnight of `day` (1440: the next midnight).
  TimeMs ToUtc(date::local_days day, int minute) const {
    auto local = date::local_time<minutes>(day) + minutes(minute);
    if (!zone_) return std::chrono::duration_cast<milliseconds>(local.time_since_epoch()).count();
    auto sys = zone_->to_sys(local, date::choose::earliest);
    return std::chrono::duration_cast<milliseconds>(sys.time_since_epoch()).count();
  }

  int start_minute() const { return start_minute_; }
  int end_minute() const { return end_minute_; }

 private:
  date::local_time<milliseconds> ToLocal(TimeMs t) const {
    auto sys = date::sys_time<milliseconds>(milliseconds(t));
    if (!zone_) return date::local_time<milliseconds>(sys.time_since_epoch());
    return zone_->to_local(sys);
  }

  const date::time_zone* zone_ = nullptr;
  int start_minute_;
  int end_minute_;
  std::array<bool, 7> weekdays_{};  // 0 = Sunday
  std::set<date::local_days> holidays_;
};

// The last local day whose business hours can be computed.
const date::local_days kLastDay{date::year(9999) / date::December / date::day(30)};

}  // namespace

bool IsWorkingDay(const BusinessCalendar& cal, TimeMs t) {
  if (!InRange(t)) return false;
  LocalCalendar local(cal);
  return local.IsWorking(local.DayOf(t));
}

bool IsBusinessTime(const BusinessCalendar& cal, TimeMs t) {
  if (!InRange(t)) return false;
  return LocalCalendar(cal).IsBusiness(t);
}

TimeMs NextBusinessStart(const BusinessCalendar& cal, TimeMs t) {
  if (!InRange(t)) return t;
  LocalCalendar local(cal);
  if (local.IsBusiness(t)) return t;
  if (local.start_minute() >= local.end_minute()) return t;  // no hours to open
  date::local_days first = local.DayOf(t);
  for (int k = 0; k <= kMaxDaysWithoutWork; ++k) {
    date::local_days day = first + date::days{k};
    if (day > kLastDay) break;
    if (!local.IsWorking(day)) continue;
    TimeMs open = local.ToUtc(day, local.start_minute());
    if (open > t) return open;  // an earlier opening on t's own day has passed
  }
  return t;
}

TimeMs AddBusinessDays(const BusinessCalendar& cal, TimeMs t, int n) {
  if (n <= 0 || !InRange(t)) return t;
  LocalCalendar local(cal);
  date::local_days day = local.DayOf(t);
  if (n > (kLastDay - day).count()) return t;  // cannot end before the year 10000
  int found = 0;
  int idle = 0;  // consecutive days without work
  while (day < kLastDay) {
    day += date::days{1};
    if (!local.IsWorking(day)) {
      if (++idle > kMaxDaysWithoutWork) return t;
      continue;
    }
    idle = 0;
    if (++found == n) return local.ToUtc(day, local.end_minute());
  }
  return t;
}

}  // namespace klaxon::playbook
