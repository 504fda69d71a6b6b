// Server-side SVG charts for the analytics reports: a horizontal bar chart and a weekly
// trend of incident count, MTTA and MTTR. Self-contained SVG documents (no scripts, no
// external references, no ids) that can be served alone or embedded inline in HTML.
//
// Accessibility: the root has role="img" and aria-label set to the title, and a <title>
// as its first child; every bar and point carries a <title> with its label and value.
// Determinism: the output depends only on the arguments (fixed layout, coordinates with
// one decimal, no randomness), so it can be compared in tests and cached.
// All text is cleaned (invalid UTF-8 becomes U+FFFD, control characters are dropped) and
// escaped.
//
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/analytics.h"

namespace klaxon::analytics {

inline constexpr size_t kMaxBars = 30;  // BarChartSvg draws the first kMaxBars bars

// `s` as valid UTF-8 (invalid bytes → U+FFFD) without C0 controls other than tab, line
// feed and carriage return, DEL or U+FFFE/U+FFFF, with & < > " ' escaped: safe as XML
// and HTML text and as a quoted attribute value.
std::string EscapeXml(std::string_view s);

// One horizontal bar per (label, value), in the given order: the label on the left
// (shortened to 28 characters with "…"; the full text is in the bar's <title>), the bar
// scaled to the largest value, the value and `unit` on the right. Negative and non-finite
// values are drawn as 0. viewBox "0 0 640 H" with H = 48 + 28 × bars (one row reading "No
// data" when there are none); exactly one <rect> per bar.
std::string BarChartSvg(const std::string& title,
                        const std::vector<std::pair<std::string, double>>& bars,
                        const std::string& unit);

// Three panels over the same weeks (Report::by_week): incidents per week as bars, MTTA
// (mean) and MTTR (mean) as lines with a point per week that has a value (a week without
// one breaks the line). Each panel has its own scale, labelled with its maximum. Week
// labels ("W45") under the last panel, thinned to at most 13. viewBox "0 0 720 420";
// exactly one <rect> per week.
std::string WeeklyTrendSvg(const std::string& title, const std::vector<Group>& weeks);

}  // namespace klaxon::analytics
