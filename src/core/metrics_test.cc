#include "core/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

namespace klaxon {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(Metrics, CounterWithoutLabels) {
  Metrics m;
  m.Describe("klaxon_up", "gauge", "1 when the server runs");
  m.Set("klaxon_up", {}, 1);
  EXPECT_EQ(m.Render(),
            "# HELP klaxon_up 1 when the server runs\n# TYPE klaxon_up gauge\nklaxon_up 1\n");
}

TEST(Metrics, CountersAccumulatePerLabelSet) {
  Metrics m;
  m.Describe("http_requests_total", "counter", "Requests served");
  m.Add("http_requests_total", {{"route", "/a"}, {"code", "200"}});
  m.Add("http_requests_total", {{"route", "/a"}, {"code", "200"}});
  m.Add("http_requests_total", {{"route", "/a"}, {"code", "500"}}, 3);
  m.Add("http_requests_total", {{"route", "/b"}, {"code", "200"}}, 0.5);
  auto lines = Lines(m.Render());
  EXPECT_THAT(lines, Contains("# HELP http_requests_total Requests served"));
  EXPECT_THAT(lines, Contains("# TYPE http_requests_total counter"));
  EXPECT_THAT(lines, Contains("http_requests_total{route=\"/a\",code=\"200\"} 2"));
  EXPECT_THAT(lines, Contains("http_requests_total{route=\"/a\",code=\"500\"} 3"));
  EXPECT_THAT(lines, Contains("http_requests_total{route=\"/b\",code=\"200\"} 0.5"));
  EXPECT_EQ(lines.size(), 5u);
}

TEST(Metrics, SetReplacesTheValue) {
  Metrics m;
  m.Describe("open_incidents", "gauge", "Open incidents");
  m.Set("open_incidents", {{"severity", "SEV-1"}}, 4);
  m.Set("open_incidents", {{"severity", "SEV-1"}}, 2);
  EXPECT_THAT(Lines(m.Render()), Contains("open_incidents{severity=\"SEV-1\"} 2"));
}

TEST(Metrics, LargeCountsAreNotInScientificNotation) {
  Metrics m;
  m.Describe("c", "counter", "c");
  m.Add("c", {}, 123456789012);
  EXPECT_THAT(Lines(m.Render()), Contains("c 123456789012"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m;
  m.Describe("c", "counter", "c");
  m.Add("c", {{"path", "a\"b\\c\nd"}});
  EXPECT_THAT(Lines(m.Render()), Contains(R"(c{path="a\"b\\c\nd"} 1)"));
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Metrics m;
  m.Describe("req_seconds", "histogram", "Request duration");
  const Metrics::Labels l = {{"route", "/x"}};
  m.Observe("req_seconds", l, 0.0001);  // first bucket
  m.Observe("req_seconds", l, 0.001);   // exactly on a bound: le is inclusive
  m.Observe("req_seconds", l, 0.3);     // 0.5 bucket
  m.Observe("req_seconds", l, 60);      // only +Inf
  auto lines = Lines(m.Render());
  EXPECT_THAT(lines, Contains("# TYPE req_seconds histogram"));
  EXPECT_THAT(lines, Contains("req_seconds_bucket{route=\"/x\",le=\"0.0005\"} 1"));
  EXPECT_THAT(lines, Contains("req_seconds_bucket{route=\"/x\",le=\"0.001\"} 2"));
  EXPECT_THAT(lines, Contains("req_seconds_bucket{route=\"/x\",le=\"0.25\"} 2"));
  EXPECT_THAT(lines, Contains("req_seconds_bucket{route=\"/x\",le=\"0.5\"} 3"));
  EXPECT_THAT(lines, Contains("req_seconds_bucket{route=\"/x\",le=\"10\"} 3"));
  EXPECT_THAT(lines, Contains("req_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4"));
  EXPECT_THAT(lines, Contains("req_seconds_sum{route=\"/x\"} 60.3011"));
  EXPECT_THAT(lines, Contains("req_seconds_count{route=\"/x\"} 4"));
  // One line per bucket plus +Inf, _sum and _count, plus HELP and TYPE.
  EXPECT_EQ(lines.size(), DurationBuckets().size() + 1 + 2 + 2);
}

TEST(Metrics, HistogramBucketCountsNeverDecrease) {
  Metrics m;
  m.Describe("h", "histogram", "h");
  for (double v : {0.002, 0.02, 0.2, 2.0, 20.0, 0.0007, 7.0}) m.Observe("h", {}, v);
  uint64_t prev = 0;
  int buckets = 0;
  for (const auto& line : Lines(m.Render())) {
    if (!line.starts_with("h_bucket{")) continue;
    ++buckets;
    uint64_t n = std::stoull(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(n, prev) << line;
    prev = n;
  }
  EXPECT_EQ(buckets, static_cast<int>(DurationBuckets().size() + 1));
  EXPECT_EQ(prev, 7u);
}

TEST(Metrics, HistogramWithoutLabels) {
  Metrics m;
  m.Describe("commit_seconds", "histogram", "Commit duration");
  m.Observe("commit_seconds", {}, 0.004);
  auto lines = Lines(m.Render());
  EXPECT_THAT(lines, Contains("commit_seconds_bucket{le=\"0.0025\"} 0"));
  EXPECT_THAT(lines, Contains("commit_seconds_bucket{le=\"0.005\"} 1"));
  EXPECT_THAT(lines, Contains("commit_seconds_bucket{le=\"+Inf\"} 1"));
  EXPECT_THAT(lines, Contains("commit_seconds_sum 0.004"));
  EXPECT_THAT(lines, Contains("commit_seconds_count 1"));
  EXPECT_THAT(m.Render(), Not(HasSubstr("{,")));
}

TEST(Metrics, EveryFamilyHasHelpAndTypeBeforeItsSamples) {
  Metrics m;
  m.Describe("b_total", "counter", "B");
  m.Describe("a_seconds", "histogram", "A");
  m.Add("b_total", {{"k", "v"}});
  m.Observe("a_seconds", {}, 1);
  std::string seen_type;
  for (const auto& line : Lines(m.Render())) {
    if (line.starts_with("# TYPE ")) {
      seen_type = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.starts_with("#")) continue;
    EXPECT_TRUE(line.starts_with(seen_type)) << line << " after TYPE " << seen_type;
  }
}

TEST(Metrics, ConcurrentAddsAreNotLost) {
  Metrics m;
  m.Describe("c", "counter", "c");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) m.Add("c", {{"k", "v"}});
    });
  for (auto& t : threads) t.join();
  EXPECT_THAT(Lines(m.Render()), Contains("c{k=\"v\"} 4000"));
}

}  // namespace
}  // namespace klaxon
