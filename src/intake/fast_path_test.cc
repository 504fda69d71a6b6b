// The intake fast path (internal::FastPostableAlerts) against the full parser: for every
// body it takes, the same alerts; for every body it is unsure of, nullopt, so the full
// parser reads it or names what is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time_format.h"
#include "intake/alert.h"
#include "intake/webhook_internal.h"

namespace klaxon::intake {
namespace {

const TimeMs kNow = *ParseTime("2026-11-22T14:00:00Z");

std::string Read(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every field the store and the engine read.
void ExpectSame(const std::vector<NormalizedAlert>& a, const std::vector<NormalizedAlert>& b,
                const std::string& body) {
  ASSERT_EQ(a.size(), b.size()) << body;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].fingerprint, b[i].fingerprint) << body;
    EXPECT_EQ(a[i].firing, b[i].firing) << body;
    EXPECT_EQ(a[i].labels, b[i].labels) << body;
    EXPECT_EQ(a[i].annotations, b[i].annotations) << body;
    EXPECT_EQ(a[i].starts_at, b[i].starts_at) << body;
    EXPECT_EQ(a[i].ends_at, b[i].ends_at) << body;
    EXPECT_EQ(a[i].generator_url, b[i].generator_url) << body;
  }
}

// The fast path's answer for `body` and the full parser's agree; returns whether the fast
// path took it.
bool Compare(const std::string& body) {
  auto fast = internal::FastPostableAlerts(body, kNow);
  auto slow = internal::SlowPostableAlerts(body, kNow);
  if (fast) {
    EXPECT_TRUE(slow.ok()) << body << " -> " << slow.status().message();
    if (slow.ok()) ExpectSame(*fast, *slow, body);
  }
  auto both = ParsePostableAlerts(body, kNow);
  EXPECT_EQ(both.ok(), slow.ok()) << body;
  if (both.ok() && slow.ok()) ExpectSame(*both, *slow, body);
  if (!both.ok() && !slow.ok()) {
    EXPECT_EQ(both.status().code(), slow.status().code()) << body;
    EXPECT_EQ(both.status().message(), slow.status().message()) << body;
  }
  return fast.has_value();
}

TEST(IntakeFastPath, TakesWhatPrometheusSendsAndReadsItAsTheFullParserDoes) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(KLAXON_SOURCE_DIR) +
                                                           "/../shared/fixtures/prometheus/raw")) {
    EXPECT_TRUE(Compare(Read(e.path()))) << e.path();
    ++files;
  }
  EXPECT_GE(files, 2);
  // The benchmark's body (bench/intake/alerts.lua) and a batch of many.
  std::string one =
      R"({"labels":{"alertname":"BenchAlert","instance":"r-1-0000001","job":"bench",)"
      R"("severity":"warning","cluster":"c1"},"annotations":{"summary":"bench alert"},)"
      R"("startsAt":"2026-11-22T13:59:00Z","endsAt":"2026-11-22T15:00:00Z",)"
      R"("generatorURL":"http://prometheus:9090/graph?g0.expr=up"})";
  std::string many = "[";
  for (int i = 0; i < 100; ++i) many += (i ? "," : "") + one;
  EXPECT_TRUE(Compare("[" + one + "]"));
  EXPECT_TRUE(Compare(many + "]"));
  // Above internal::kFastPathKeptBody: a parser of its own.
  std::string large = "[";
  for (int i = 0; i < 400; ++i) large += (i ? "," : "") + one;
  large += "]";
  ASSERT_GT(large.size(), internal::kFastPathKeptBody);
  EXPECT_TRUE(Compare(large));
  EXPECT_TRUE(Compare(" \n[ " + one + " ]\n "));
  EXPECT_TRUE(Compare("[]"));
}

TEST(IntakeFastPath, ReadsEscapesTimesNullsAndEmptyValuesAsTheFullParserDoes) {
  for (const char* body : {
           R"([{"labels":{"a":"x\"y\\z\n\u00e9\ud83d\ude00","b":""}}])",
           R"([{"labels":{"a\u0062":"1"},"annotations":{"s":"","t":"\t"}}])",
           R"([{"labels":{"a":"1"},"annotations":null,"generatorURL":null}])",
           R"([{"labels":{"a":"1"},"startsAt":null,"endsAt":""}])",
           R"([{"labels":{"a":"1"},"startsAt":"0001-01-01T00:00:00Z"}])",
           R"([{"labels":{"a":"1"},"endsAt":"2026-11-22T13:00:00Z"}])",
           R"([{"labels":{"a":"1"},"startsAt":"2026-11-22T12:00:00.123+02:00"}])",
           R"([{"labels":{"a":"1"},"endsAt":"2026-11-22T14:00:00Z"}])",
           R"([{"labels":{"a":"1"}},{"labels":{"a":"1"}}])",
       })
    EXPECT_TRUE(Compare(body)) << body;
}

TEST(IntakeFastPath, LeavesToTheFullParserWhatItIsUnsureOf) {
  std::string many_labels = R"([{"labels":{)";
  for (size_t i = 0; i <= kLimits.max_labels; ++i)
    many_labels += (i ? "," : "") + ("\"l" + std::to_string(i) + "\":\"v\"");
  many_labels += "}}]";
  std::string many_alerts = "[";
  for (size_t i = 0; i <= kLimits.max_alerts; ++i)
    many_alerts += std::string(i ? "," : "") + R"({"labels":{"a":"1"}})";
  many_alerts += "]";
  for (const std::string& body : std::vector<std::string>{
           "",
           "{}",
           "null",
           "[",
           "[1]",
           "[null]",
           "[[]]",
           R"([{"labels":{"a":"1"}}] [])",
           R"([{"labels":{"a":"1"}}] x)",
           R"([{"labels":{"a":"1"}},])",
           R"([{"labels":{"a":"1"},"status":"firing"}])",   // a key it does not know
           R"([{"labels":{"a":"1"},"labels":{"a":"2"}}])",  // a repeated key
           R"([{"labels":{"a":"1","a":"2"}}])",             // a repeated label
           R"([{"labels":{"a":"","a":"2"}}])",              //   after an empty one
           R"([{"labels":{"a":"1","b":""}, "annotations":{"s":"1","s":""}}])",
           R"([{"labels":{}}])",
           R"([{"labels":{"a":""}}])",
           R"([{"labels":null}])",
           R"([{"annotations":{"a":"1"}}])",
           R"([{"labels":{"1a":"1"}}])",
           R"([{"labels":{"a":1}}])",
           R"([{"labels":{"a":"1"},"annotations":{"s":2}}])",
           R"([{"labels":{"a":"1"},"startsAt":"yesterday"}])",
           R"([{"labels":{"a":"1"},"startsAt":5}])",
           R"([{"labels":{"a":"1"},"endsAt":nul}])",
           R"([{"labels":{"a":"1"},"startsAt":"2026-11-22T14:00:00Z",)"
           R"("endsAt":"2026-11-22T13:00:00Z"}])",
           R"([{"labels":{"a":"1"},"generatorURL":7}])",
           R"([{"labels":{"a":"x\q"}}])",
           "[{\"labels\":{\"a\":\"\x01\"}}]",
           "[{\"labels\":{\"a\":\"\xff\"}}]",
           R"([{"labels":{"a":"1"}}, 1e999])",
           many_labels,
           many_alerts,
           R"([{"labels":{"a":")" + std::string(kLimits.max_label_value + 1, 'x') + R"("}}])",
       })
    EXPECT_FALSE(Compare(body)) << body;
}

TEST(LabelsJson, WritesWhatNlohmannWrites) {
  Labels l = {{"a", "plain"},
              {"b", "quote \" backslash \\ slash /"},
              {"c", std::string("\b\f\n\r\t\x01\x1f\x7f", 8)},
              {"d", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
              {"e", ""},
              {"f\"g", "h"}};
  EXPECT_EQ(LabelsJson(l), nlohmann::json(l).dump());
  EXPECT_EQ(LabelsJson({}), "{}");
  // Not UTF-8: refused, as nlohmann refuses it.
  EXPECT_ANY_THROW(LabelsJson({{"a", "\xff"}}));
}

}  // namespace
}  // namespace klaxon::intake
