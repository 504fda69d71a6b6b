// The quarterly response-time review: two Reports (this period and the previous one) side
// by side, as Markdown (for a postmortem repository or a chat message) and as a printable,
// self-contained HTML page.
//
// Both carry the same content, in this order:
//   1. the title and the two periods (local dates and times in the current report's
//      time zone) with what was left out (drills, noise);
//   2. headline numbers — incidents, still open, reopened, MTTA and MTTR (mean, median,
//      p90), time to mitigate (mean), acknowledged / resolved / restored within target,
//      updates on cadence — with the previous value and the change: "+2 (+40%)" for
//      counts, "-1m 34s (-24%)" for durations, "+10 pts" for rates (percentage points).
//      "—" where a side has no value; the percentage is left out when the previous value
//      is 0;
//   3. the incidents that missed a target (which targets, time to ack and to resolve);
//   4. the slowest acknowledgements;
//   5. repeat offenders (services and alerts, with their count in the previous period);
//   6. action-item follow-through (done, open, overdue, done of all) and reviews (due,
//      published, late).
// The HTML page adds SVG charts (svg.h): the weekly trend, incidents by severity and by
// service.
//
// Escaping: in Markdown every table cell and the title are plain text — newlines and
// control characters become spaces, and \ ` * _ [ ] < > | ~ & # are backslash-escaped,
// so no user text can open a link, inline HTML or a new table cell. In HTML every user
// string goes through EscapeXml; the page has no scripts and no external resources (inline
// CSS, with @media print rules so it prints on A4/Letter without the screen margins).
//
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "analytics/analytics.h"

namespace klaxon::analytics {

std::string ComparisonMarkdown(const Report& current, const Report& previous,
                               const std::string& title);

std::string ComparisonHtml(const Report& current, const Report& previous, const std::string& title);

// Plain text as Markdown text (see above).
std::string EscapeMarkdown(std::string_view text);

}  // namespace klaxon::analytics
