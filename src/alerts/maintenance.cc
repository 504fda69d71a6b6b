#include "alerts/maintenance.h"

#include <date/tz.h>

#include <algorithm>

#include "core/time_format.h"

namespace klaxon::alerts {

namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// Start instants (UTC ms) of the occurrences whose local day is within [from_day, to_day].
std::vector<TimeMs> Starts(const MaintenanceWindow& w, const date::time_zone* z,
                           date::local_days from_day, date::local_days to_day) {
  std::vector<TimeMs> out;
  for (auto d = from_day; d <= to_day; d += date::days{1}) {
    int wd = static_cast<int>(date::weekday(d).c_encoding());
    if (std::find(w.weekdays.begin(), w.weekdays.end(), wd) == w.weekdays.end()) continue;
    auto local = date::local_time<minutes>(d) + minutes(w.start_minute);
    auto sys = z->to_sys(local, date::choose::earliest);  // a skipped hour starts at the jump
    out.push_back(std::chrono::duration_cast<milliseconds>(sys.time_since_epoch()).count());
  }
  return out;
}

date::local_days LocalDay(const date::time_zone* z, TimeMs t) {
  auto sys = date::sys_time<milliseconds>(milliseconds(t));
  return date::floor<date::days>(z->to_local(sys));
}

}  // namespace

bool MaintenanceWindow::ActiveAt(TimeMs t) const {
  if (!recurring()) return starts_at && ends_at && *starts_at <= t && t < *ends_at;
  const date::time_zone* z = Zone(time_zone);
  if (!z) return false;
  auto today = LocalDay(z, t);
  int back = duration_minutes / 1440 + 1;
  for (TimeMs s : Starts(*this, z, today - date::days{back}, today))
    if (s <= t && t < s + int64_t{duration_minutes} * 60000) return true;
  return false;
}

std::optional<TimeMs> MaintenanceWindow::NextStart(TimeMs t) const {
  if (!recurring()) return starts_at && *starts_at >= t ? starts_at : std::nullopt;
  const date::time_zone* z = Zone(time_zone);
  if (!z) return std::nullopt;
  auto today = LocalDay(z, t);
  for (TimeMs s : Starts(*this, z, today, today + date::days{14}))
    if (s >= t) return s;
  return std::nullopt;
}

nlohmann::json MaintenanceWindow::ToJson(TimeMs now) const {
  nlohmann::json j = {
      {"id", id}, {"service_id", service_id}, {"name", name}, {"active", ActiveAt(now)}};
  if (recurring()) {
    nlohmann::json days = nlohmann::json::array();
    for (int d : weekdays) days.push_back(kDays[d]);
    char start[32];
    std::snprintf(start, sizeof start, "%02d:%02d", start_minute / 60, start_minute % 60);
    j["weekdays"] = days;
    j["start"] = start;
    j["duration_minutes"] = duration_minutes;
    j["time_zone"] = time_zone;
  } else {
    j["starts_at"] = FormatTime(*starts_at);
    j["ends_at"] = FormatTime(*ends_at);
  }
  auto next = NextStart(now);
  j["next_start"] = next ? nlohmann::json(FormatTime(*next)) : nlohmann::json();
  return j;
}

Result<MaintenanceWindow> ParseMaintenanceWindow(const nlohmann::json& b) {
  MaintenanceWindow w;
  if (!b.is_object()) return InvalidField("/", "must be an object");
  w.name = b.value("name", "");
  if (w.name.empty() || w.name.size() > 200)
    return InvalidField("/name", "must be 1-200 characters");
  bool one_off = b.contains("starts_at") || b.contains("ends_at");
  bool weekly = b.contains("weekdays");
  if (one_off == weekly)
    return InvalidField(
        "/",
        "give either starts_at and ends_at, or weekdays, start, duration_minutes and time_zone");
  if (one_off) {
    for (const char* f : {"starts_at", "ends_at"}) {
      if (!b.contains(f) || !b[f].is_string())
        return InvalidField(std::string("/") + f, "is required (RFC 3339)");
      auto t = ParseTime(b[f].get<std::string>());
      if (!t) return InvalidField(std::string("/") + f, "is not an RFC 3339 time");
      (std::string(f) == "starts_at" ? w.starts_at : w.ends_at) = *t;
    }
    if (*w.ends_at <= *w.starts_at) return InvalidField("/ends_at", "must be after starts_at");
    return w;
  }
  if (!b["weekdays"].is_array() || b["weekdays"].empty())
    return InvalidField("/weekdays", "must list days: sun … sat");
  for (size_t i = 0; i < b["weekdays"].size(); ++i) {
    const auto& d = b["weekdays"][i];
    auto it = d.is_string() ? std::find(std::begin(kDays), std::end(kDays), d.get<std::string>())
                            : std::end(kDays);
    if (it == std::end(kDays))
      return InvalidField("/weekdays/" + std::to_string(i),
                          "must be one of sun mon tue wed thu fri sat");
    int wd = static_cast<int>(it - std::begin(kDays));
    if (std::find(w.weekdays.begin(), w.weekdays.end(), wd) == w.weekdays.end())
      w.weekdays.push_back(wd);
  }
  std::string start = b.value("start", "");
  int h = -1, m = -1;
  if (start.size() != 5 || start[2] != ':' || std::sscanf(start.c_str(), "%2d:%2d", &h, &m) != 2 ||
      h < 0 || h > 23 || m < 0 || m > 59)
    return InvalidField("/start", "must be HH:MM (local time)");
  w.start_minute = h * 60 + m;
  if (!b.contains("duration_minutes") || !b["duration_minutes"].is_number_integer() ||
      b["duration_minutes"].get<int64_t>() < 1 || b["duration_minutes"].get<int64_t>() > 7 * 1440)
    return InvalidField("/duration_minutes", "must be 1-10080");
  w.duration_minutes = b["duration_minutes"].get<int>();
  w.time_zone = b.value("time_zone", "");
  if (!Zone(w.time_zone))
    return InvalidField("/time_zone", "unknown time zone (use an IANA name like Europe/Berlin)");
  return w;
}

}  // namespace klaxon::alerts
