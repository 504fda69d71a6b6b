#include "oncall/ical.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/time_format.h"

namespace klaxon::oncall {
namespace {

TimeMs T(const char* s) { return ParseTime(s).value_or(0); }

// RFC 5545 unfolding: a CRLF followed by one space or tab is removed.
std::string Unfold(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "\r\n ") == 0 || s.compare(i, 3, "\r\n\t") == 0) {
      i += 2;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out += (c == 'n' || c == 'N') ? '\n' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The physical lines (without their CRLF); fails the test on a bare CR or LF.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t crlf = text.find("\r\n", pos);
    EXPECT_NE(crlf, std::string::npos) << "text must end with CRLF";
    if (crlf == std::string::npos) break;
    std::string line = text.substr(pos, crlf - pos);
    EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos) << "bare CR or LF in: " << line;
    lines.push_back(line);
    pos = crlf + 2;
  }
  return lines;
}

// A continuation line must not start inside a UTF-8 sequence.
bool StartsInsideUtf8Sequence(const std::string& line) {
  return line.size() > 1 && line[0] == ' ' && (static_cast<unsigned char>(line[1]) & 0xC0) == 0x80;
}

TEST(ICal, EscapesTextBackslashFirst) {
  EXPECT_EQ(EscapeText("a\\b;c,d\ne:f"), "a\\\\b\\;c\\,d\\ne:f");  // colons stay
  EXPECT_EQ(EscapeText("\\n"), "\\\\n");                           // a literal backslash-n
  EXPECT_EQ(EscapeText("one\r\ntwo\rthree"), "one\\ntwo\\nthree");
  EXPECT_EQ(EscapeText(std::string("bell\a and nul") + '\0' + "!\ttab"), "bell and nul!\ttab");
}

TEST(ICal, EscapingRoundTrips) {
  for (std::string s : {"", "plain", "semi;colon, comma\\back\\slash\nnew line",
                        "\\;\\,\\n trailing \\", "Zoë 🚨 on call; ½ day"}) {
    EXPECT_EQ(Unescape(EscapeText(s)), s);
  }
}

TEST(ICal, FoldsAtSeventyFiveOctets) {
  std::string exactly75(75, 'a');
  EXPECT_EQ(FoldLine(exactly75), exactly75 + "\r\n");
  std::string s76(76, 'b');
  EXPECT_EQ(FoldLine(s76), std::string(75, 'b') + "\r\n b\r\n");
  // 75 + 74 + 74 + 3: continuation lines carry at most 74 octets after their space.
  std::string long_line(226, 'c');
  std::string want = std::string(75, 'c') + "\r\n " + std::string(74, 'c') + "\r\n " +
                     std::string(74, 'c') + "\r\n " + std::string(3, 'c') + "\r\n";
  EXPECT_EQ(FoldLine(long_line), want);
  EXPECT_EQ(FoldLine(""), "\r\n");
}

TEST(ICal, FoldsBeforeAMultibyteCharacter) {
  // 74 ASCII octets, then "ë" (C3 AB): octet 75 would split it, so the fold comes first.
  std::string line = std::string(74, 'x') + "\xC3\xAB" + "end";
  EXPECT_EQ(FoldLine(line), std::string(74, 'x') + "\r\n \xC3\xAB" + "end\r\n");
  // A 4-octet emoji straddling the limit moves whole to the next line.
  std::string emoji = std::string(73, 'y') + "\xF0\x9F\x9A\xA8" + "z";
  EXPECT_EQ(FoldLine(emoji), std::string(73, 'y') + "\r\n \xF0\x9F\x9A\xA8" + "z\r\n");
  // A long run of 2-octet characters: every line ≤ 75 octets, none starts mid-sequence.
  std::string many;
  for (int i = 0; i < 200; ++i) many += "\xC3\xA9";
  std::string folded = FoldLine(many);
  for (const std::string& l : Lines(folded)) {
    EXPECT_LE(l.size(), 75u);
    EXPECT_FALSE(StartsInsideUtf8Sequence(l));
  }
  EXPECT_EQ(Unfold(folded), many + "\r\n");
}

TEST(ICal, MatchesTheComposedExampleOfTheWireFormatNotes) {
  // /work/shared/specs/wire-formats.md §8, plus NAME and X-PUBLISHED-TTL which we also send.
  CalendarEvent e{
      "shift-3f2c9a7e-1b44-4c1e-9d6a-0e5f7b2a9c11@klaxon.example",
      T("2024-05-06T09:00:00Z"),
      T("2024-05-13T09:00:00Z"),
      "On call: Ada Lovelace (Payments primary)",
      "Primary on-call for Payments; escalation after 5 min, then Zo\xC3\xAB (secondary).\n"
      "Runbook: https://klaxon.example/runbooks/payments",
      "https://klaxon.example/schedules/payments"};
  std::string want =
      "BEGIN:VCALENDAR\r\n"
      "VERSION:2.0\r\n"
      "PRODID:-//Klaxon//On-call 1.0//EN\r\n"
      "CALSCALE:GREGORIAN\r\n"
      "X-WR-CALNAME:Payments primary on-call\r\n"
      "NAME:Payments primary on-call\r\n"
      "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"
      "X-PUBLISHED-TTL:PT1H\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:shift-3f2c9a7e-1b44-4c1e-9d6a-0e5f7b2a9c11@klaxon.example\r\n"
      "DTSTAMP:20240501T120000Z\r\n"
      "DTSTART:20240506T090000Z\r\n"
      "DTEND:20240513T090000Z\r\n"
      "SUMMARY:On call: Ada Lovelace (Payments primary)\r\n"
      "DESCRIPTION:Primary on-call for Payments\\; escalation after 5 min\\, then Zo\r\n"
      " \xC3\xAB (secondary).\\nRunbook: https://klaxon.example/runbooks/payments\r\n"
      "URL:https://klaxon.example/schedules/payments\r\n"
      "STATUS:CONFIRMED\r\n"
      "TRANSP:TRANSPARENT\r\n"
      "SEQUENCE:0\r\n"
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  EXPECT_EQ(RenderCalendar("Payments primary on-call", {e}, T("2024-05-01T12:00:00.750Z")), want);
}

std::vector<CalendarEvent> SampleEvents() {
  return {
      {"shift-3-12-1762092000000@klaxon", T("2026-11-02T14:00:00Z"), T("2026-11-09T14:00:00Z"),
       "On call: Zoë Ångström, ops; \"primary\"",
       "Escalation: after 5 min, page secondary\\backup.\nRunbook: https://x.example/rb?a=1;b=2 " +
           std::string(120, '=') + " 🚨🚨🚨 end",
       "https://klaxon.example/schedules/3"},
      {"override-7@klaxon", T("2026-11-08T20:00:00Z"), T("2026-11-10T02:00:00Z"), "Override: Bob",
       "", ""},
  };
}

TEST(ICal, EveryLineIsShortCrlfTerminatedAndUnfoldsToTheSource) {
  std::string cal =
      RenderCalendar("Payments, primary; \"EU\"", SampleEvents(), T("2026-11-01T00:00:00Z"));
  ASSERT_GE(cal.size(), 2u);
  EXPECT_EQ(cal.substr(cal.size() - 2), "\r\n");
  std::vector<std::string> lines = Lines(cal);
  for (const std::string& l : lines) {
    EXPECT_LE(l.size(), 75u) << l;
    EXPECT_FALSE(StartsInsideUtf8Sequence(l)) << l;
  }
  // Logical lines after unfolding: the escaped values come back exactly.
  std::vector<std::string> logical = Lines(Unfold(cal));
  std::vector<std::string> summaries, descriptions, urls, names;
  for (const std::string& l : logical) {
    if (l.rfind("SUMMARY:", 0) == 0) summaries.push_back(Unescape(l.substr(8)));
    if (l.rfind("DESCRIPTION:", 0) == 0) descriptions.push_back(Unescape(l.substr(12)));
    if (l.rfind("URL:", 0) == 0) urls.push_back(l.substr(4));
    if (l.rfind("X-WR-CALNAME:", 0) == 0) names.push_back(Unescape(l.substr(13)));
  }
  auto events = SampleEvents();
  EXPECT_EQ(summaries, (std::vector<std::string>{events[0].summary, events[1].summary}));
  EXPECT_EQ(descriptions, (std::vector<std::string>{events[0].description, ""}));
  EXPECT_EQ(urls, (std::vector<std::string>{events[0].url}));  // none for the empty URL
  EXPECT_EQ(names, (std::vector<std::string>{"Payments, primary; \"EU\""}));
  EXPECT_EQ(std::count(logical.begin(), logical.end(), "BEGIN:VEVENT"), 2);
  EXPECT_EQ(std::count(logical.begin(), logical.end(), "DTSTART:20261108T200000Z"), 1);
  EXPECT_EQ(std::count(logical.begin(), logical.end(), "DTEND:20261110T020000Z"), 1);
  EXPECT_EQ(std::count(logical.begin(), logical.end(), "DTSTAMP:20261101T000000Z"), 2);
}

TEST(ICal, StableOutputAndEmptyEventsDropped) {
  auto events = SampleEvents();
  TimeMs now = T("2026-11-01T00:00:00Z");
  EXPECT_EQ(RenderCalendar("x", events, now), RenderCalendar("x", events, now));
  events.push_back(
      {"empty@klaxon", T("2026-11-03T00:00:00Z"), T("2026-11-03T00:00:00Z"), "e", "", ""});
  EXPECT_EQ(RenderCalendar("x", events, now).find("empty@klaxon"), std::string::npos);
  std::string none = RenderCalendar("x", {}, now);
  EXPECT_EQ(none.find("BEGIN:VEVENT"), std::string::npos);
  EXPECT_EQ(none.substr(none.size() - 15), "END:VCALENDAR\r\n");
}

// A second, independent parser: Debian's python3-icalendar, when installed.
std::string PythonWithICalendar() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    std::string probe = std::string(python) + " -c 'import icalendar' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return "";
}

TEST(ICal, ParsesWithPythonICalendar) {
  std::string python = PythonWithICalendar();
  if (python.empty()) GTEST_SKIP() << "python3 with the icalendar module is not installed";
  std::string path = testing::TempDir() + "klaxon_ical_test_" + std::to_string(::getpid()) + ".ics";
  std::string cal = RenderCalendar("Payments, primary", SampleEvents(), T("2026-11-01T00:00:00Z"));
  std::ofstream(path, std::ios::binary) << cal;
  const char* script =
      "import icalendar, json, sys\n"
      "cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n"
      "out = {'name': str(cal.get('X-WR-CALNAME')), 'version': str(cal.get('VERSION')), "
      "'events': []}\n"
      "for e in cal.walk('VEVENT'):\n"
      "  out['events'].append({'uid': str(e.get('UID')), 'summary': str(e.get('SUMMARY')),\n"
      "    'description': str(e.get('DESCRIPTION')),\n"
      "    'start': e.decoded('DTSTART').isoformat(), 'end': e.decoded('DTEND').isoformat()})\n"
      "print(json.dumps(out))\n";
  std::string script_path = path + ".py";
  std::ofstream(script_path) << script;
  std::string command = python + " " + script_path + " " + path;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0);
  std::remove(path.c_str());
  std::remove(script_path.c_str());
  auto j = nlohmann::json::parse(output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << output;
  auto events = SampleEvents();
  EXPECT_EQ(j["name"], "Payments, primary");
  EXPECT_EQ(j["version"], "2.0");
  ASSERT_EQ(j["events"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(j["events"][i]["uid"], events[i].uid);
    EXPECT_EQ(j["events"][i]["summary"], events[i].summary);
    EXPECT_EQ(j["events"][i]["description"], events[i].description);
  }
  EXPECT_EQ(j["events"][0]["start"], "2026-11-02T14:00:00+00:00");
  EXPECT_EQ(j["events"][1]["end"], "2026-11-10T02:00:00+00:00");
}

}  // namespace
}  // namespace klaxon::oncall
