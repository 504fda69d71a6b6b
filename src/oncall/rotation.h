// On-call schedules as values: layers of rotations with restrictions, overrides on top,
// and the pure functions that answer "who is on call at T" and "which shifts cover
// [from, to)". No storage, no clock: the paging service loads a Schedule and asks.
//
// Local times follow the IANA rules of the schedule's zone (Howard Hinnant's date/tz).
// A handoff keeps its local wall time across daylight-saving changes; a handoff that
// falls in a skipped hour happens when the clock jumps (the first valid instant after
// it); one in a repeated hour happens at its first occurrence. Coverage is never
// dropped or doubled: consecutive shifts of a layer always touch (end == next start).
// Values; pure functions; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace klaxon::oncall {

// A weekly window in the schedule's local time during which a layer applies.
// "weekdays 09:00-17:00" = five windows (Mon..Fri, start 540, duration 480);
// "nights" = seven windows starting 17:00 lasting 16 h (a window may run past midnight
// and across the week's end); "weekends" = one window Sat 00:00 lasting 48 h.
struct Restriction {
  int weekday = 0;           // 0 = Sunday … 6 = Saturday (local)
  int start_minute = 0;      // minutes after local midnight, 0..1439
  int duration_minutes = 0;  // 1 .. 7*1440
};

enum class RotationUnit { kHours, kDays, kWeeks };

struct Layer {
  std::string name;
  std::vector<int64_t> users;  // rotation order; may repeat a user
  RotationUnit unit = RotationUnit::kWeeks;
  int length = 1;  // rotate every `length` units (>= 1)
  // The first handoff: a local date and time in the schedule's zone; users[0] is on
  // call from there. Later handoffs: for kDays/kWeeks every length days/weeks at the
  // same local wall time; for kHours every length*3600 s of absolute time.
  std::string start_date;                 // "2026-11-02" (local)
  std::string handoff_time;               // "09:00" (local)
  std::vector<Restriction> restrictions;  // empty: always
  // Before the first handoff nobody of this layer is on call.
};

// Someone covers [start, end): replaces whoever the layers would put on call. Where
// overrides overlap, the newest (highest id; list order breaks ties) wins.
struct Override {
  int64_t id = 0;
  int64_t user_id = 0;
  TimeMs start = 0;
  TimeMs end = 0;
};

struct Schedule {
  int64_t id = 0;
  std::string name;
  std::string time_zone = "UTC";  // IANA name; an unknown one is treated as UTC
  std::vector<Layer> layers;      // later layers take precedence where they have coverage
  std::vector<Override> overrides;
};

// One user's continuous coverage in the final (flattened) schedule.
struct Shift {
  int64_t user_id = 0;
  TimeMs start = 0;
  TimeMs end = 0;
  std::string source;  // the layer's name, or "override"
  bool operator==(const Shift&) const = default;
};

// Who is on call at `at` (at most one user per schedule): the override covering `at` if
// any, else the highest layer with coverage at `at`, else nobody.
std::optional<int64_t> OnCallAt(const Schedule& s, TimeMs at);

// The final shifts intersecting [from, to), clipped to it, ordered by start. Adjacent
// pieces of the same user from the same source are merged. Gaps have no shift.
std::vector<Shift> ComputeShifts(const Schedule& s, TimeMs from, TimeMs to);

// The first instant after `after` (and before `limit`) at which the on-call user changes
// (including to or from nobody), if any. The engine sets a handoff timer there.
std::optional<TimeMs> NextHandoff(const Schedule& s, TimeMs after, TimeMs limit);

// Validation and the API/YAML shape (docs/api.md "Schedules"):
// {"name": "...", "time_zone": "America/New_York",
//  "layers": [{"name": "primary", "users": [1,2,3], "rotation": {"unit": "weeks",
//              "length": 1}, "start_date": "2026-11-02", "handoff_time": "09:00",
//              "restrictions": [{"weekday": "mon", "start": "09:00", "duration_minutes": 480}]}]}
// Users are ids here (the API resolves names to ids before calling). Errors are
// kInvalidArgument naming the field, e.g.
// "layers[0].rotation.unit: must be one of hours, days, weeks" (the root itself is "$").
Result<Schedule> ParseSchedule(const nlohmann::json& body);
nlohmann::json LayersToJson(const std::vector<Layer>& layers);
nlohmann::json ShiftToJson(const Shift& shift);
// Valid IANA zone name known to the tz database.
bool IsValidTimeZone(const std::string& name);

}  // namespace klaxon::oncall
