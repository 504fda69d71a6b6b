#include "analytics/comparison.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "analytics/analytics_test_fixture.h"

namespace klaxon::analytics {
namespace {

using fixture::kHour;
using fixture::kMinute;
using fixture::kSecond;

// The fixture plus incident 13, so that the previous period [2026-09-28T03:00Z,
// 2026-10-26T04:00Z) holds two incidents:
//   1  ack 5m (target 5m: met)       resolved 1h (target 4h: met)   checkout
//  13  ack 3m20s (target 15m: met)   resolved 3h (target 2h: missed) checkout
// MTTA 200000 300000 → mean 250000 (4m 10s), median (rank 1) 3m 20s, p90 (rank 2) 5m.
// MTTR 3600000 10800000 → mean 7200000 (2h), median 1h, p90 3h.
std::vector<IncidentFacts> WithPrevious() {
  auto all = fixture::Incidents();
  auto i13 = fixture::Incident(13, "2026-10-20T12:00:00Z", "SEV-2", 2, "checkout", "payments");
  i13.acknowledged_at = i13.created_at + 3 * kMinute + 20 * kSecond;
  i13.resolved_at = i13.created_at + 3 * kHour;
  i13.ack_target = 15 * kMinute;
  i13.resolve_target = 2 * kHour;
  i13.alertnames = {"CheckoutErrorRate"};
  all.push_back(i13);
  return all;
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

class AnalyticsComparison : public ::testing::Test {
 protected:
  AnalyticsComparison()
      : current_(Compute(WithPrevious(), {}, fixture::Period())),
        previous_(Compute(WithPrevious(), {}, PreviousPeriod(fixture::Period()))) {}

  Report current_;
  Report previous_;
};

TEST_F(AnalyticsComparison, MarkdownHeadlineShowsTheChanges) {
  ASSERT_EQ(previous_.incidents, 2);
  auto md = ComparisonMarkdown(current_, previous_, "Q4 review | <payments> & co");
  EXPECT_EQ(md.rfind("# Q4 review \\| \\<payments\\> \\& co\n\n", 0), 0u) << md;
  EXPECT_NE(md.find("This period: 2026-10-26 00:00 to 2026-11-23 00:00 (America/New\\_York), 7 "
                    "incidents. Previous period: 2026-09-27 23:00 to 2026-10-26 00:00, 2 "
                    "incidents. Left out this period: drills (1) and incidents marked noise (2)."),
            std::string::npos)
      << md;
  const char* rows[] = {
      "| Measure | This period | Previous period | Change |\n|---|---:|---:|---:|\n",
      "| Incidents | 7 | 2 | +5 (+250%) |\n",
      "| Still open | 2 | 0 | +2 |\n",  // no percentage from 0
      "| Reopened | 1 | 0 | +1 |\n",
      "| MTTA (mean) | 5m 6s | 4m 10s | +56s (+22%) |\n",  // 56000 / 250000 = 22.4 %
      "| MTTA (median) | 4m 30s | 3m 20s | +1m 10s (+35%) |\n",
      "| MTTA (p90) | 10m | 5m | +5m (+100%) |\n",
      "| Time to mitigate (mean) | 20m | \u2014 | \u2014 |\n",
      "| MTTR (mean) | 3h 18m | 2h | +1h 18m (+65%) |\n",  // 4680000 / 7200000
      "| MTTR (median) | 2h | 1h | +1h (+100%) |\n",
      "| MTTR (p90) | 10h | 3h | +7h (+233%) |\n",
      "| Acknowledged within target | 5/6 (83%) | 2/2 (100%) | -17 pts |\n",
      "| Resolved within target | 3/6 (50%) | 1/2 (50%) | 0 pts |\n",
      "| Restored within RTO | 1/2 (50%) | \u2014 | \u2014 |\n",
      "| Updates on cadence | 5/11 (45%) | \u2014 | \u2014 |\n",
  };
  for (const char* row : rows) EXPECT_NE(md.find(row), std::string::npos) << row << "\n" << md;

  // The other way round, the changes are negative.
  auto back = ComparisonMarkdown(previous_, current_, "Q3");
  EXPECT_NE(back.find("| Incidents | 2 | 7 | -5 (-71%) |\n"), std::string::npos) << back;
  EXPECT_NE(back.find("| MTTA (mean) | 4m 10s | 5m 6s | -56s (-18%) |\n"), std::string::npos);
}

TEST_F(AnalyticsComparison, MarkdownListsMissesSlowAcksOffendersAndFollowThrough) {
  auto md = ComparisonMarkdown(current_, previous_, "Q4");
  const char* parts[] = {
      "## Incidents that missed a target\n\n| Incident | Title | Severity | Service | Missed | "
      "Time to ack | Time to resolve |\n|---|---|---|---|---|---:|---:|\n"
      "| INC-2 | Checkout \"slow\", again | SEV-1 | checkout | rto | 4m 30s | 1h |\n"
      "| INC-5 | Latency \\[click\\](http://x) \\| spike | SEV-2 | checkout | resolve | 1m | 3h |\n"
      "| INC-6 | \\<img src=x onerror=alert(1)\\> | SEV-1 | search | ack, resolve | not "
      "acknowledged | open |\n"
      "| INC-7 | @here api errors | SEV-2 | api | resolve | 8m | 10h |\n",
      "## Slowest acknowledgements\n\n| Incident | Title | Severity | Service | Time to ack |\n"
      "|---|---|---|---|---:|\n| INC-4 | Search index stale in eu-west | SEV-3 | search | 10m |\n",
      "## Repeat offenders\n\n### Services\n\n| Service | Incidents | Previous period |\n"
      "|---|---:|---:|\n| checkout | 3 | 2 |\n| api | 2 | 0 |\n| search | 2 | 0 |\n",
      "### Alerts\n\n| Alert | Incidents | Previous period |\n|---|---:|---:|\n"
      "| CheckoutErrorRate | 3 | 2 |\n| ApiErrors | 2 | 0 |\n",
      "## Action-item follow-through\n\n",
      "| Action items done | 2 | 0 | +2 |\n",
      "| Action items open | 4 | 0 | +4 |\n",
      "| Action items overdue | 2 | 0 | +2 |\n",
      "| Done of all | 2/6 (33%) | \u2014 | \u2014 |\n",
      "| Reviews due | 4 | 0 | +4 |\n",
      "| Reviews published | 2 | 0 | +2 |\n",
      "| Reviews late | 2 | 0 | +2 |\n",
  };
  for (const char* part : parts) EXPECT_NE(md.find(part), std::string::npos) << part << "\n" << md;
  EXPECT_EQ(md.find("<svg"), std::string::npos);
}

TEST_F(AnalyticsComparison, MarkdownOfEmptyPeriods) {
  Query q = fixture::Period();
  auto empty = Compute({}, {}, q);
  auto md = ComparisonMarkdown(empty, empty, "Nothing happened");
  EXPECT_NE(md.find("| Incidents | 0 | 0 | 0 |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| MTTA (mean) | \u2014 | \u2014 | \u2014 |\n"), std::string::npos);
  EXPECT_NE(md.find("## Incidents that missed a target\n\nNone.\n"), std::string::npos);
  EXPECT_NE(md.find("### Services\n\nNone with more than one incident.\n"), std::string::npos);
}

TEST(AnalyticsMarkdown, EscapesEverythingThatCouldBecomeMarkup) {
  EXPECT_EQ(EscapeMarkdown("plain text 1.5 - ok"), "plain text 1.5 - ok");
  EXPECT_EQ(EscapeMarkdown("a|b"), "a\\|b");
  EXPECT_EQ(EscapeMarkdown("[x](javascript:y)"), "\\[x\\](javascript:y)");
  EXPECT_EQ(EscapeMarkdown("<b>*_`~#&\\"), "\\<b\\>\\*\\_\\`\\~\\#\\&\\\\");
  EXPECT_EQ(EscapeMarkdown("two\nlines\r\tx"), "two lines  x");
}

TEST_F(AnalyticsComparison, HtmlIsSelfContainedAndEscaped) {
  auto html = ComparisonHtml(current_, previous_, "<script>alert(1)</script>");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(html.find("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;img src=x onerror=alert(1)&gt;</td>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("<td>Checkout &quot;slow&quot;, again</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">+5 (+250%)</td>"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  // Three charts: the weekly trend, by severity, by service.
  EXPECT_EQ(Count(html, "<svg "), 3u);
  EXPECT_EQ(Count(html, "</svg>"), 3u);
  EXPECT_NE(html.find("aria-label=\"Incidents by severity\""), std::string::npos);
  EXPECT_EQ(Count(html, "<table>"), Count(html, "</table>"));
  EXPECT_EQ(Count(html, "<tr>"), Count(html, "</tr>"));
  // Nothing is loaded from elsewhere.
  for (const char* external : {"<link", "<iframe", "url(", "@import", "href="}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
}

}  // namespace
}  // namespace klaxon::analytics
