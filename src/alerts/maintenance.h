// Maintenance windows for a service: one-off (from, to) or recurring weekly in a time
// zone ("every Sunday 02:00-04:00 Europe/Berlin"). While one is active, alerts for the
// service are stored as silenced and open nothing.
//
// Local times follow the zone's rules (IANA database via Howard Hinnant's date/tz): a
// window keeps its local start across daylight-saving changes; a start that falls in a
// skipped hour begins when the clock jumps. Values; pure functions; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace klaxon::alerts {

struct MaintenanceWindow {
  int64_t id = 0;
  int64_t service_id = 0;
  std::string name;
  // One-off: both set.
  std::optional<TimeMs> starts_at;
  std::optional<TimeMs> ends_at;
  // Recurring: weekdays (0 = Sunday … 6 = Saturday), local start, duration, zone.
  std::vector<int> weekdays;
  int start_minute = 0;  // minutes after local midnight
  int duration_minutes = 0;
  std::string time_zone;

  bool recurring() const { return !weekdays.empty(); }
  bool ActiveAt(TimeMs t) const;
  // The next start at or after `t` (recurring: within two weeks), if any.
  std::optional<TimeMs> NextStart(TimeMs t) const;
  nlohmann::json ToJson(TimeMs now) const;
};

// Parses the API body (see docs/api.md): {"name", "starts_at","ends_at"} or
// {"name","weekdays":["sun",…],"start":"02:00","duration_minutes":120,"time_zone":"Europe/Berlin"}.
Result<MaintenanceWindow> ParseMaintenanceWindow(const nlohmann::json& body);

}  // namespace klaxon::alerts
