#include "analytics/svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/analytics_test_fixture.h"

namespace klaxon::analytics {
namespace {

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// Whether the elements of `svg` nest properly (every start tag closed in order, or
// self-closing) and no text contains a raw '<' or '&' outside an entity.
::testing::AssertionResult WellFormed(const std::string& svg) {
  std::vector<std::string> open;
  size_t i = 0;
  while (i < svg.size()) {
    if (svg[i] == '&') {
      size_t semi = svg.find(';', i);
      std::string entity = svg.substr(i, semi == std::string::npos ? 1 : semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&#39;") {
        return ::testing::AssertionFailure() << "bad entity at " << i;
      }
      i += entity.size();
      continue;
    }
    if (svg[i] != '<') {
      ++i;
      continue;
    }
    size_t end = svg.find('>', i);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unclosed tag at " << i;
    std::string tag = svg.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string::npos) {
      return ::testing::AssertionFailure() << "'<' inside a tag at " << i;
    }
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) {
        return ::testing::AssertionFailure() << "unexpected </" << name << "> at " << i;
      }
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find(' ')));
    }
    i = end + 1;
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> not closed";
  return ::testing::AssertionSuccess();
}

TEST(AnalyticsSvg, BarChartDrawsOneRectPerBarWithEscapedLabels) {
  std::vector<std::pair<std::string, double>> bars = {
      {"checkout & co", 3}, {"api", 1.5}, {"x\"y<z>", -2}, {"nan", std::nan("")}};
  auto svg = BarChartSvg("Incidents by <service>", bars, "incidents");
  EXPECT_TRUE(WellFormed(svg)) << svg;
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 160\"", 0), 0u)
      << svg;  // 48 + 28 × 4
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("role=\"img\" aria-label=\"Incidents by &lt;service&gt;\""),
            std::string::npos);
  EXPECT_NE(svg.find("<title>Incidents by &lt;service&gt;</title>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<rect"), 4u);
  EXPECT_EQ(Count(svg, "<g>"), 4u);
  // The largest value gets the whole 340 units; negative and NaN values are 0.
  EXPECT_NE(svg.find("width=\"340.0\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"170.0\""), std::string::npos);
  EXPECT_EQ(Count(svg, "width=\"0.0\""), 2u);
  EXPECT_NE(svg.find(">checkout &amp; co</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>checkout &amp; co: 3 incidents</title>"), std::string::npos);
  EXPECT_NE(svg.find(">1.5 incidents</text>"), std::string::npos);
  EXPECT_NE(svg.find(">x&quot;y&lt;z&gt;</text>"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  // Deterministic.
  EXPECT_EQ(svg, BarChartSvg("Incidents by <service>", bars, "incidents"));
}

TEST(AnalyticsSvg, BarChartEdgeCases) {
  auto empty = BarChartSvg("Nothing", {}, "");
  EXPECT_TRUE(WellFormed(empty));
  EXPECT_NE(empty.find("viewBox=\"0 0 640 76\""), std::string::npos);
  EXPECT_NE(empty.find(">No data</text>"), std::string::npos);
  EXPECT_EQ(Count(empty, "<rect"), 0u);

  // Long labels are shortened on the axis and whole in the tooltip; no unit, no suffix.
  std::string label(40, 'a');
  auto one = BarChartSvg("t", {{label, 2}}, "");
  EXPECT_NE(one.find(">" + std::string(27, 'a') + "\u2026</text>"), std::string::npos) << one;
  EXPECT_NE(one.find("<title>" + label + ": 2</title>"), std::string::npos);

  std::vector<std::pair<std::string, double>> many;
  for (int i = 0; i < 40; ++i) many.emplace_back("bar " + std::to_string(i), i);
  auto capped = BarChartSvg("Many", many, "x");
  EXPECT_EQ(Count(capped, "<rect"), kMaxBars);
  EXPECT_TRUE(WellFormed(capped));
}

TEST(AnalyticsSvg, EscapeXmlCleansText) {
  EXPECT_EQ(EscapeXml("a&b<c>\"d'e"), "a&amp;b&lt;c&gt;&quot;d&#39;e");
  EXPECT_EQ(EscapeXml("caf\xC3\xA9 \xE2\x9C\x93"), "caf\xC3\xA9 \xE2\x9C\x93");  // kept
  EXPECT_EQ(EscapeXml("bad \xFF byte"), "bad \xEF\xBF\xBD byte");                // U+FFFD
  EXPECT_EQ(EscapeXml("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong: invalid
  EXPECT_EQ(EscapeXml("bell\x07 nul"), "bell nul");
  EXPECT_EQ(EscapeXml(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(EscapeXml("tab\tnl\n"), "tab\tnl\n");
}

TEST(AnalyticsSvg, WeeklyTrend) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  auto svg = WeeklyTrendSvg("Weekly <trend>", r.by_week);
  EXPECT_TRUE(WellFormed(svg)) << svg;
  EXPECT_NE(svg.find("viewBox=\"0 0 720 420\""), std::string::npos);
  EXPECT_NE(svg.find("aria-label=\"Weekly &lt;trend&gt;\""), std::string::npos);
  EXPECT_EQ(Count(svg, "<rect"), 4u);  // one bar per week, the empty week's of height 0
  EXPECT_NE(svg.find("height=\"0.0\""), std::string::npos);
  EXPECT_NE(svg.find("<title>2026-W44: 3 incidents</title>"), std::string::npos);
  // MTTA and MTTR points for W44, W45 and W47; the empty W46 breaks each line in two.
  EXPECT_EQ(Count(svg, "<circle"), 6u);
  std::vector<std::string> paths;
  for (size_t at = svg.find("<path d=\""); at != std::string::npos;
       at = svg.find("<path d=\"", at + 1)) {
    size_t start = at + 9;
    paths.push_back(svg.substr(start, svg.find('"', start) - start));
  }
  ASSERT_EQ(paths.size(), 2u);
  for (const auto& d : paths) {
    EXPECT_EQ(d.rfind("M", 0), 0u) << d;
    EXPECT_EQ(Count(d, " L"), 1u) << d;  // W44 → W45
    EXPECT_EQ(Count(d, " M"), 1u) << d;  // W47 alone
  }
  EXPECT_NE(svg.find("<title>2026-W44: MTTA (mean) 5m 30s</title>"), std::string::npos);
  EXPECT_NE(svg.find("MTTR (mean), max 10h"), std::string::npos);
  for (const char* label : {">W44<", ">W45<", ">W46<", ">W47<"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  EXPECT_EQ(svg, WeeklyTrendSvg("Weekly <trend>", r.by_week));

  auto none = WeeklyTrendSvg("Empty", {});
  EXPECT_TRUE(WellFormed(none));
  EXPECT_NE(none.find(">No data</text>"), std::string::npos);
}

}  // namespace
}  // namespace klaxon::analytics
