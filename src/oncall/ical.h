// iCalendar (RFC 5545) feeds of on-call shifts: CRLF lines folded at 75 octets (never
// inside a UTF-8 sequence), TEXT escaping, UTC date-times, stable UIDs. Pure.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"

namespace klaxon::oncall {

struct CalendarEvent {
  std::string uid;  // stable across refreshes, e.g. "shift-3-12-1762070400000@klaxon"
  TimeMs start = 0;
  TimeMs end = 0;
  std::string summary;
  std::string description;
  std::string url;  // may be empty
};

// A VCALENDAR with X-WR-CALNAME/NAME `name`, REFRESH-INTERVAL PT1H, one VEVENT per
// event (DTSTAMP = `now`, STATUS:CONFIRMED, TRANSP:TRANSPARENT).
std::string RenderCalendar(const std::string& name, const std::vector<CalendarEvent>& events,
                           TimeMs now);

// Folding and escaping, exposed for tests.
std::string EscapeText(const std::string& s);
std::string FoldLine(const std::string& line);  // adds the trailing CRLF

}  // namespace klaxon::oncall
