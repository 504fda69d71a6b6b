#include "oncall/ical.h"

#include "core/time_format.h"

namespace klaxon::oncall {

namespace {

constexpr size_t kMaxLineOctets = 75;  // excluding the CRLF (RFC 5545 §3.1)

// "20261102T140000Z": UTC, whole seconds (milliseconds are dropped).
std::string FormatUtc(TimeMs t) {
  std::string rfc3339 = FormatTime(t);  // "2026-11-02T14:00:00.000Z"
  return rfc3339.substr(0, 4) + rfc3339.substr(5, 2) + rfc3339.substr(8, 2) + "T" +
         rfc3339.substr(11, 2) + rfc3339.substr(14, 2) + rfc3339.substr(17, 2) + "Z";
}

// Control characters other than tab are not allowed in a value; line breaks are handled
// by the callers before this.
bool IsForbiddenControl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

// A URI value: not TEXT-escaped, but control characters (which could end the line) dropped.
std::string CleanUri(const std::string& s) {
  std::string out;
  for (char c : s)
    if (!IsForbiddenControl(static_cast<unsigned char>(c))) out += c;
  return out;
}

void AddLine(std::string& out, const std::string& line) { out += FoldLine(line); }

}  // namespace

std::string EscapeText(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':  // CRLF and a lone CR are both one line break
        out += "\\n";
        if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        break;
      default:
        if (!IsForbiddenControl(static_cast<unsigned char>(c))) out += c;
    }
  }
  return out;
}

std::string FoldLine(const std::string& line) {
  std::string out;
  out.reserve(line.size() + line.size() / 70 * 3 + 2);
  size_t pos = 0;
  size_t room = kMaxLineOctets;  // the first line has 75 octets, continuations 74 after the space
  while (line.size() - pos > room) {
    size_t cut = pos + room;
    // Back up to the start of a UTF-8 sequence (never split one); give up on garbage.
    while (cut > pos && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    if (cut == pos) cut = pos + room;
    out.append(line, pos, cut - pos);
    out += "\r\n ";
    pos = cut;
    room = kMaxLineOctets - 1;
  }
  out.append(line, pos, std::string::npos);
  out += "\r\n";
  return out;
}

std::string RenderCalendar(const std::string& name, const std::vector<CalendarEvent>& events,
                           TimeMs now) {
  std::string out;
  const std::string title = EscapeText(name);
  AddLine(out, "BEGIN:VCALENDAR");
  AddLine(out, "VERSION:2.0");
  AddLine(out, "PRODID:-//Klaxon//On-call 1.0//EN");
  AddLine(out, "CALSCALE:GREGORIAN");
  AddLine(out, "X-WR-CALNAME:" + title);
  AddLine(out, "NAME:" + title);
  AddLine(out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
  AddLine(out, "X-PUBLISHED-TTL:PT1H");
  const std::string stamp = FormatUtc(now);
  for (const CalendarEvent& e : events) {
    if (e.end <= e.start) continue;  // DTEND must follow DTSTART; an empty shift is no event
    AddLine(out, "BEGIN:VEVENT");
    AddLine(out, "UID:" + EscapeText(e.uid));
    AddLine(out, "DTSTAMP:" + stamp);
    AddLine(out, "DTSTART:" + FormatUtc(e.start));
    AddLine(out, "DTEND:" + FormatUtc(e.end));
    AddLine(out, "SUMMARY:" + EscapeText(e.summary));
    AddLine(out, "DESCRIPTION:" + EscapeText(e.description));
    if (!e.url.empty()) AddLine(out, "URL:" + CleanUri(e.url));
    AddLine(out, "STATUS:CONFIRMED");
    AddLine(out, "TRANSP:TRANSPARENT");
    AddLine(out, "SEQUENCE:0");
    AddLine(out, "END:VEVENT");
  }
  AddLine(out, "END:VCALENDAR");
  return out;
}

}  // namespace klaxon::oncall
