#include "oncall/rotation.h"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "core/time_format.h"

namespace klaxon::oncall {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr TimeMs kMsPerHour = 3'600'000;
constexpr TimeMs kMsPerDay = 86'400'000;
// Every computation is clamped to [1900-01-01, 10000-01-01) UTC, where the tz rules and
// date's calendar types are well defined and nothing overflows.
constexpr TimeMs kEarliest = -2'208'988'800'000;
constexpr TimeMs kLatest = 253'402'300'800'000;
// NextHandoff looks ahead in chunks of at most this much time.
constexpr TimeMs kMaxChunk = 32 * kMsPerDay;

constexpr int kMinutesPerWeek = 7 * 1440;
constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxLayers = 50;
constexpr size_t kMaxUsersPerLayer = 500;
constexpr size_t kMaxRestrictionsPerLayer = 100;
constexpr int kMaxRotationLength = 1000;
constexpr const char* kOverrideSource = "override";

constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr const char* kFullDayNames[] = {"sunday",   "monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday"};
constexpr const char* kUnitNames[] = {"hours", "days", "weeks"};  // RotationUnit order

// ---------------------------------------------------------------------------------------
// Local time in the schedule's zone.

// Converts between UTC instants and local wall times of one zone. An unknown zone (or a
// missing tz database) falls back to UTC so that a bad value never silences a schedule.
class LocalClock {
 public:
  explicit LocalClock(const std::string& zone_name) {
    try {
      zone_ = date::locate_zone(zone_name);
    } catch (const std::exception&) {
      zone_ = nullptr;
    }
  }

  // The instant of `minute` minutes after local midnight of `day` (may exceed a day). A
  // repeated wall time maps to its first occurrence, a skipped one to the jump.
  TimeMs ToUtc(date::local_days day, int64_t minute) const {
    auto local = date::local_time<minutes>(day) + minutes(minute);
    if (!zone_) return std::chrono::duration_cast<milliseconds>(local.time_since_epoch()).count();
    auto sys = zone_->to_sys(local, date::choose::earliest);
    return std::chrono::duration_cast<milliseconds>(sys.time_since_epoch()).count();
  }

  date::local_days DayOf(TimeMs t) const {
    auto sys = date::sys_time<milliseconds>(milliseconds(t));
    if (!zone_) return date::local_days(date::floor<date::days>(sys).time_since_epoch());
    return date::floor<date::days>(zone_->to_local(sys));
  }

 private:
  const date::time_zone* zone_ = nullptr;
};

// "2026-11-02" → local day; strict format, real calendar date, years 1900-9999.
std::optional<date::local_days> ParseDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  size_t pos[3][2] = {{0, 4}, {5, 2}, {8, 2}};
  for (int i = 0; i < 3; ++i) {
    for (size_t c = pos[i][0]; c < pos[i][0] + pos[i][1]; ++c) {
      if (!std::isdigit(static_cast<unsigned char>(s[c]))) return std::nullopt;
      parts[i] = parts[i] * 10 + (s[c] - '0');
    }
  }
  date::year_month_day ymd{date::year(parts[0]), date::month(static_cast<unsigned>(parts[1])),
                           date::day(static_cast<unsigned>(parts[2]))};
  if (parts[0] < 1900 || !ymd.ok()) return std::nullopt;
  return date::local_days(ymd);
}

// "09:00" → 540; strict HH:MM, 00:00-23:59.
std::optional<int> ParseClockTime(const std::string& s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string FormatClockTime(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60 % 100, minute % 60);
  return buf;
}

// ---------------------------------------------------------------------------------------
// Interval arithmetic on sorted, disjoint lists.

struct Interval {
  TimeMs start;
  TimeMs end;
};

// A piece of coverage: `source` is the layer index, or -1 for an override.
struct Piece {
  TimeMs start;
  TimeMs end;
  int64_t user_id;
  int source;
};

// `top` wins wherever it has coverage; both inputs sorted and disjoint, so is the result.
std::vector<Piece> Overlay(const std::vector<Piece>& bottom, const std::vector<Piece>& top) {
  if (top.empty()) return bottom;
  std::vector<Piece> out;
  out.reserve(bottom.size() + top.size());
  size_t j = 0;
  for (const Piece& b : bottom) {
    while (j < top.size() && top[j].end <= b.start) ++j;
    TimeMs cursor = b.start;
    for (size_t t = j; t < top.size() && top[t].start < b.end; ++t) {
      if (top[t].start > cursor) out.push_back({cursor, top[t].start, b.user_id, b.source});
      cursor = std::max(cursor, top[t].end);
    }
    if (cursor < b.end) out.push_back({cursor, b.end, b.user_id, b.source});
  }
  out.insert(out.end(), top.begin(), top.end());
  std::sort(out.begin(), out.end(),
            [](const Piece& a, const Piece& b) { return a.start < b.start; });
  return out;
}

// The parts of `pieces` inside `windows` (both sorted and disjoint).
std::vector<Piece> Intersect(const std::vector<Piece>& pieces,
                             const std::vector<Interval>& windows) {
  std::vector<Piece> out;
  size_t j = 0;
  for (const Piece& p : pieces) {
    while (j < windows.size() && windows[j].end <= p.start) ++j;
    for (size_t w = j; w < windows.size() && windows[w].start < p.end; ++w) {
      TimeMs s = std::max(p.start, windows[w].start), e = std::min(p.end, windows[w].end);
      if (s < e) out.push_back({s, e, p.user_id, p.source});
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// One layer's coverage.

// A layer with its local start parsed; invalid layers have no coverage.
struct Rotation {
  const Layer& layer;
  const LocalClock& clock;
  date::local_days start_day;
  int handoff_minute;
  TimeMs first_handoff;

  int64_t PeriodDays() const {
    return int64_t{layer.length} * (layer.unit == RotationUnit::kWeeks ? 7 : 1);
  }

  // The instant of handoff k >= 0 (users[k mod n] takes over).
  TimeMs Handoff(int64_t k) const {
    if (layer.unit == RotationUnit::kHours) return first_handoff + k * layer.length * kMsPerHour;
    return clock.ToUtc(start_day + date::days{k * PeriodDays()}, handoff_minute);
  }

  // The last handoff at or before `t` (0 if `t` precedes the first), found arithmetically.
  int64_t IndexAt(TimeMs t) const {
    if (t <= first_handoff) return 0;
    int64_t k;
    if (layer.unit == RotationUnit::kHours) {
      k = (t - first_handoff) / (layer.length * kMsPerHour);
    } else {
      int64_t days = (clock.DayOf(t) - start_day).count();
      k = std::max<int64_t>(0, days / PeriodDays() - 1);
      while (Handoff(k + 1) <= t) ++k;
    }
    while (k > 0 && Handoff(k) > t) --k;
    return k;
  }
};

std::optional<Rotation> MakeRotation(const Layer& layer, const LocalClock& clock) {
  auto day = ParseDate(layer.start_date);
  auto minute = ParseClockTime(layer.handoff_time);
  if (!day || !minute || layer.users.empty() || layer.length < 1) return std::nullopt;
  return Rotation{layer, clock, *day, *minute, clock.ToUtc(*day, *minute)};
}

// The rotation's shifts overlapping [from, to), clipped.
std::vector<Piece> RotationShifts(const Rotation& r, int source, TimeMs from, TimeMs to) {
  std::vector<Piece> out;
  const auto& users = r.layer.users;
  int64_t k = r.IndexAt(from);
  for (TimeMs start = r.Handoff(k); start < to; ++k) {
    TimeMs end = r.Handoff(k + 1);
    if (end > from && end > start) {
      int64_t user = users[static_cast<size_t>(k % static_cast<int64_t>(users.size()))];
      out.push_back({std::max(start, from), std::min(end, to), user, source});
    }
    start = end;
  }
  return out;
}

bool ValidRestriction(const Restriction& r) {
  return r.weekday >= 0 && r.weekday <= 6 && r.start_minute >= 0 && r.start_minute < 1440 &&
         r.duration_minutes >= 1 && r.duration_minutes <= kMinutesPerWeek;
}

// The union of the restriction windows within [from, to). Each window starts and ends at
// its local wall times, so it keeps them across daylight-saving changes; windows that
// touch in local time touch in UTC too.
std::vector<Interval> RestrictionWindows(const std::vector<Restriction>& restrictions,
                                         const LocalClock& clock, TimeMs from, TimeMs to) {
  std::vector<Interval> windows;
  // A window may last a week, so one starting 8 local days before `from` may still cover it.
  date::local_days last = clock.DayOf(to) + date::days{1};
  for (auto d = clock.DayOf(from) - date::days{8}; d <= last; d += date::days{1}) {
    int weekday = static_cast<int>(date::weekday(d).c_encoding());
    for (const Restriction& r : restrictions) {
      if (r.weekday != weekday || !ValidRestriction(r)) continue;
      TimeMs s = std::max(from, clock.ToUtc(d, r.start_minute));
      TimeMs e = std::min(to, clock.ToUtc(d, int64_t{r.start_minute} + r.duration_minutes));
      if (s < e) windows.push_back({s, e});
    }
  }
  std::sort(windows.begin(), windows.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  std::vector<Interval> merged;
  for (const Interval& w : windows) {
    if (!merged.empty() && w.start <= merged.back().end)
      merged.back().end = std::max(merged.back().end, w.end);
    else
      merged.push_back(w);
  }
  return merged;
}

std::vector<Piece> LayerCoverage(const Layer& layer, int source, const LocalClock& clock,
                                 TimeMs from, TimeMs to) {
  auto rotation = MakeRotation(layer, clock);
  if (!rotation) return {};
  std::vector<Piece> shifts = RotationShifts(*rotation, source, from, to);
  if (layer.restrictions.empty() || shifts.empty()) return shifts;
  return Intersect(shifts, RestrictionWindows(layer.restrictions, clock, from, to));
}

// Overrides as disjoint pieces: among overlapping ones the most recently created (highest
// id; list order breaks ties) wins.
std::vector<Piece> OverrideCoverage(const std::vector<Override>& overrides, TimeMs from,
                                    TimeMs to) {
  std::vector<const Override*> order;
  for (const Override& o : overrides)
    if (o.start < to && o.end > from && o.start < o.end) order.push_back(&o);
  std::stable_sort(order.begin(), order.end(),
                   [](const Override* a, const Override* b) { return a->id < b->id; });
  std::vector<Piece> out;
  for (const Override* o : order)
    out = Overlay(out, {{std::max(o->start, from), std::min(o->end, to), o->user_id, -1}});
  return out;
}

// The flattened schedule as pieces over [from, to) (already clamped, from < to).
std::vector<Piece> Flatten(const Schedule& s, TimeMs from, TimeMs to) {
  LocalClock clock(s.time_zone);
  std::vector<Piece> flat;
  for (size_t i = 0; i < s.layers.size(); ++i)
    flat = Overlay(flat, LayerCoverage(s.layers[i], static_cast<int>(i), clock, from, to));
  return Overlay(flat, OverrideCoverage(s.overrides, from, to));
}

// ---------------------------------------------------------------------------------------
// Parsing.

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<int> ParseWeekday(const json& v) {
  if (!v.is_string()) return std::nullopt;
  std::string name = Lower(v.get<std::string>());
  for (int i = 0; i < 7; ++i)
    if (name == kDayNames[i] || name == kFullDayNames[i]) return i;
  return std::nullopt;
}

// A string member of 1-200 characters.
Status ParseName(const json& obj, const std::string& key, const std::string& path,
                 std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get<std::string>().empty() ||
      it->get<std::string>().size() > kMaxNameLength)
    return InvalidField(path, "must be a string of 1-200 characters");
  out = it->get<std::string>();
  return Status::Ok();
}

// An integer within [min, max] (not a float, not a string).
std::optional<int64_t> IntIn(const json& v, int64_t min, int64_t max) {
  int64_t out = 0;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(max)) return std::nullopt;
    out = static_cast<int64_t>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    out = v.get<int64_t>();
  } else {
    return std::nullopt;
  }
  if (out < min || out > max) return std::nullopt;
  return out;
}

Result<Restriction> ParseRestriction(const json& j, const std::string& path) {
  if (!j.is_object()) return InvalidField(path, "must be an object");
  Restriction r;
  auto weekday = j.contains("weekday") ? ParseWeekday(j["weekday"]) : std::nullopt;
  if (!weekday)
    return InvalidField(path + "/weekday", "must be one of sun mon tue wed thu fri sat");
  r.weekday = *weekday;
  auto start = j.contains("start") && j["start"].is_string()
                   ? ParseClockTime(j["start"].get<std::string>())
                   : std::nullopt;
  if (!start) return InvalidField(path + "/start", "must be HH:MM (local time)");
  r.start_minute = *start;
  auto duration = j.contains("duration_minutes") ? IntIn(j["duration_minutes"], 1, kMinutesPerWeek)
                                                 : std::nullopt;
  if (!duration) return InvalidField(path + "/duration_minutes", "must be an integer 1-10080");
  r.duration_minutes = static_cast<int>(*duration);
  return r;
}

Status ParseRotation(const json& layer, const std::string& path, Layer& out) {
  auto it = layer.find("rotation");
  if (it == layer.end() || !it->is_object())
    return InvalidField(path, "must be an object with unit and length");
  const json& rotation = *it;
  auto unit = rotation.find("unit");
  std::string name =
      unit != rotation.end() && unit->is_string() ? Lower(unit->get<std::string>()) : std::string();
  auto found = std::find(std::begin(kUnitNames), std::end(kUnitNames), name);
  if (found == std::end(kUnitNames))
    return InvalidField(path + "/unit", "must be one of hours, days, weeks");
  out.unit = static_cast<RotationUnit>(found - std::begin(kUnitNames));
  std::optional<int64_t> length = 1;  // optional, default 1
  if (rotation.contains("length")) length = IntIn(rotation["length"], 1, kMaxRotationLength);
  if (!length) return InvalidField(path + "/length", "must be an integer 1-1000");
  out.length = static_cast<int>(*length);
  return Status::Ok();
}

Status ParseUsers(const json& layer, const std::string& path, Layer& out) {
  auto it = layer.find("users");
  if (it == layer.end() || !it->is_array() || it->empty() || it->size() > kMaxUsersPerLayer)
    return InvalidField(path, "must be an array of 1-500 user ids");
  for (size_t i = 0; i < it->size(); ++i) {
    auto id = IntIn((*it)[i], 1, INT64_MAX);
    if (!id) return InvalidField(path + "/" + std::to_string(i), "must be a positive user id");
    out.users.push_back(*id);
  }
  return Status::Ok();
}

Status ParseStart(const json& layer, const std::string& path, Layer& out) {
  auto date = layer.find("start_date");
  if (date == layer.end() || !date->is_string() || !ParseDate(date->get<std::string>()))
    return InvalidField(path + "/start_date", "must be a date YYYY-MM-DD (local)");
  out.start_date = date->get<std::string>();
  auto time = layer.find("handoff_time");
  if (time == layer.end() || !time->is_string() || !ParseClockTime(time->get<std::string>()))
    return InvalidField(path + "/handoff_time", "must be HH:MM (local time)");
  out.handoff_time = time->get<std::string>();
  return Status::Ok();
}

Result<Layer> ParseLayer(const json& j, const std::string& path) {
  if (!j.is_object()) return InvalidField(path, "must be an object");
  Layer layer;
  KLAXON_RETURN_IF_ERROR(ParseName(j, "name", path + "/name", layer.name));
  if (layer.name == kOverrideSource)
    return InvalidField(path + "/name", "\"override\" is reserved for overrides");
  KLAXON_RETURN_IF_ERROR(ParseUsers(j, path + "/users", layer));
  KLAXON_RETURN_IF_ERROR(ParseRotation(j, path + "/rotation", layer));
  KLAXON_RETURN_IF_ERROR(ParseStart(j, path, layer));
  auto it = j.find("restrictions");
  if (it == j.end() || it->is_null()) return layer;
  if (!it->is_array() || it->size() > kMaxRestrictionsPerLayer)
    return InvalidField(path + "/restrictions", "must be an array of at most 100 windows");
  for (size_t i = 0; i < it->size(); ++i) {
    KLAXON_ASSIGN_OR_RETURN(
        Restriction r, ParseRestriction((*it)[i], path + "/restrictions/" + std::to_string(i)));
    layer.restrictions.push_back(r);
  }
  return layer;
}

Result<Schedule> ParseScheduleBody(const json& body) {
  if (!body.is_object()) return InvalidField("/", "must be an object");
  Schedule s;
  KLAXON_RETURN_IF_ERROR(ParseName(body, "name", "/name", s.name));
  if (auto it = body.find("time_zone"); it != body.end()) {
    if (!it->is_string() || !IsValidTimeZone(it->get<std::string>()))
      return InvalidField("/time_zone", "unknown time zone (use an IANA name like Europe/Berlin)");
    s.time_zone = it->get<std::string>();
  }
  auto layers = body.find("layers");
  if (layers == body.end() || layers->is_null()) return s;
  if (!layers->is_array() || layers->size() > kMaxLayers)
    return InvalidField("/layers", "must be an array of at most 50 layers");
  std::set<std::string> names;
  for (size_t i = 0; i < layers->size(); ++i) {
    std::string path = "/layers/" + std::to_string(i);
    KLAXON_ASSIGN_OR_RETURN(Layer layer, ParseLayer((*layers)[i], path));
    if (!names.insert(layer.name).second)
      return InvalidField(path + "/name", "must be unique within the schedule");
    s.layers.push_back(std::move(layer));
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::vector<Shift> ComputeShifts(const Schedule& s, TimeMs from, TimeMs to) {
  from = std::clamp(from, kEarliest, kLatest);
  to = std::clamp(to, kEarliest, kLatest);
  if (from >= to) return {};
  std::vector<Shift> out;
  for (const Piece& p : Flatten(s, from, to)) {
    std::string source = p.source < 0 ? kOverrideSource : s.layers[p.source].name;
    if (!out.empty() && out.back().end == p.start && out.back().user_id == p.user_id &&
        out.back().source == source)
      out.back().end = p.end;
    else
      out.push_back({p.user_id, p.start, p.end, std::move(source)});
  }
  return out;
}

std::optional<int64_t> OnCallAt(const Schedule& s, TimeMs at) {
  if (at < kEarliest || at >= kLatest) return std::nullopt;
  std::vector<Shift> shifts = ComputeShifts(s, at, at + 1);
  if (shifts.empty()) return std::nullopt;
  return shifts.front().user_id;
}

std::optional<TimeMs> NextHandoff(const Schedule& s, TimeMs after, TimeMs limit) {
  limit = std::min(limit, kLatest);
  if (after >= limit) return std::nullopt;
  const std::optional<int64_t> current = OnCallAt(s, after);
  auto changes = [&](TimeMs t, std::optional<int64_t> user) {
    return t > after && user != current;
  };
  // Look ahead in growing chunks so that a near handoff is found cheaply.
  TimeMs chunk = kMsPerDay;
  for (TimeMs from = after; from < limit; chunk = std::min(2 * chunk, kMaxChunk)) {
    TimeMs to = limit - from > chunk ? from + chunk : limit;
    TimeMs cursor = from;  // the end of what has been examined; a gap follows if no shift does
    for (const Shift& shift : ComputeShifts(s, from, to)) {
      if (shift.start > cursor && changes(cursor, std::nullopt)) return cursor;
      if (changes(shift.start, shift.user_id)) return shift.start;
      cursor = shift.end;
    }
    if (cursor < to && changes(cursor, std::nullopt)) return cursor;
    from = to;
  }
  return std::nullopt;
}

Result<Schedule> ParseSchedule(const nlohmann::json& body) {
  try {
    return ParseScheduleBody(body);
  } catch (const json::exception& e) {  // not expected: every access checks its type first
    return Invalid(std::string("invalid schedule: ") + e.what());
  }
}

nlohmann::json LayersToJson(const std::vector<Layer>& layers) {
  json out = json::array();
  for (const Layer& l : layers) {
    json restrictions = json::array();
    for (const Restriction& r : l.restrictions) {
      restrictions.push_back({{"weekday", kDayNames[std::clamp(r.weekday, 0, 6)]},
                              {"start", FormatClockTime(r.start_minute)},
                              {"duration_minutes", r.duration_minutes}});
    }
    out.push_back(
        {{"name", l.name},
         {"users", l.users},
         {"rotation", {{"unit", kUnitNames[static_cast<int>(l.unit)]}, {"length", l.length}}},
         {"start_date", l.start_date},
         {"handoff_time", l.handoff_time},
         {"restrictions", restrictions}});
  }
  return out;
}

nlohmann::json ShiftToJson(const Shift& shift) {
  return {{"user_id", shift.user_id},
          {"start", FormatTime(shift.start)},
          {"end", FormatTime(shift.end)},
          {"source", shift.source}};
}

bool IsValidTimeZone(const std::string& name) {
  if (name.empty()) return false;
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace klaxon::oncall
