#include "intake/alert.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time_format.h"

namespace klaxon::intake {
namespace {

const TimeMs kNow = *ParseTime("2026-11-22T14:00:00Z");

std::string Fixture(const std::string& rel) {
  std::ifstream f(std::string(KLAXON_SOURCE_DIR) + "/../shared/fixtures/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Fingerprint, MatchesAlertmanagerOnEveryFixture) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(KLAXON_SOURCE_DIR) + "/../shared/fixtures/alertmanager/raw")) {
    std::ifstream f(entry.path());
    auto doc = nlohmann::json::parse(f);
    for (const auto& a : doc["alerts"]) {
      Labels l = a["labels"].get<Labels>();
      EXPECT_EQ(Fingerprint(l), a["fingerprint"].get<std::string>()) << entry.path();
      ++checked;
    }
  }
  EXPECT_GT(checked, 5);
}

// What the request's thread prepares for the store is what the alerts table always held:
// the label set as a JSON object in key order, with Alertmanager's escapes decoded and
// JSON's own applied.
TEST(PrepareForStore, StoresLabelsAndAnnotationsAsJsonObjects) {
  auto r =
      ParseAlertmanagerWebhook(Fixture("alertmanager/raw/02-firing-new-alerts-added.json"), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->empty());
  EXPECT_TRUE((*r)[0].labels_json.empty()) << "the parsers leave it to PrepareForStore";
  PrepareForStore(*r);
  for (const NormalizedAlert& a : *r) {
    EXPECT_EQ(a.labels_json, nlohmann::json(a.labels).dump());
    EXPECT_EQ(a.annotations_json, nlohmann::json(a.annotations).dump());
    EXPECT_EQ(nlohmann::json::parse(a.labels_json).get<Labels>(), a.labels);
  }
  NormalizedAlert one;
  one.labels = {{"b", "say \"hi\"\n"}, {"a", "<&>"}};
  PrepareForStore(one);
  EXPECT_EQ(one.labels_json, R"({"a":"<&>","b":"say \"hi\"\n"})");
  EXPECT_EQ(one.annotations_json, "{}");
  one.labels_json = "kept";
  PrepareForStore(one);
  EXPECT_EQ(one.labels_json, "kept") << "prepared once";
}

TEST(AlertmanagerWebhook, ParsesRawFixtureWithEscapesAndUnicode) {
  auto r =
      ParseAlertmanagerWebhook(Fixture("alertmanager/raw/01-firing-first-notification.json"), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const auto& a = (*r)[0];
  EXPECT_TRUE(a.firing);
  EXPECT_FALSE(a.ends_at) << "Go zero time means no end";
  EXPECT_EQ(a.labels.at("alertname"), "HighLatency");
  EXPECT_EQ(a.annotations.at("summary"), "p99 latency > 500ms on checkout");
  EXPECT_NE(a.annotations.at("runbook_url").find("&lang=en"), std::string::npos);
  EXPECT_NE(a.annotations.at("description").find("café → naïve"), std::string::npos);
  EXPECT_EQ(a.fingerprint, "1fee5e31740cfc94");
}

TEST(AlertmanagerWebhook, ResolvedAlertsCarryTheirEnd) {
  auto r = ParseAlertmanagerWebhook(Fixture("alertmanager/raw/03-firing-some-resolved.json"), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int resolved = 0;
  for (const auto& a : *r)
    if (!a.firing) {
      ++resolved;
      EXPECT_TRUE(a.ends_at);
    }
  EXPECT_EQ(resolved, 1);
}

TEST(AlertmanagerWebhook, RejectsBadInputNamingTheField) {
  struct Case {
    std::string body, field;
    Code code;
  };
  std::vector<Case> cases = {
      {"{", "/", Code::kBadRequest},
      {"[]", "/", Code::kInvalidArgument},
      {R"({"version":"4"})", "/alerts", Code::kInvalidArgument},
      {R"({"version":"3","alerts":[]})", "/version", Code::kInvalidArgument},
      {R"({"alerts":[{"status":"firing"}]})", "/alerts/0/labels", Code::kInvalidArgument},
      {R"({"alerts":[{"status":"on","labels":{"a":"b"}}]})", "/alerts/0/status",
       Code::kInvalidArgument},
      {R"({"alerts":[{"status":"firing","labels":{"a":1}}]})", "/alerts/0/labels/a",
       Code::kInvalidArgument},
      {R"({"alerts":[{"status":"firing","labels":{"a":""}}]})", "/alerts/0/labels",
       Code::kInvalidArgument},
      {R"({"alerts":[{"status":"firing","labels":{"1a":"x"}}]})", "/alerts/0/labels/1a",
       Code::kInvalidArgument},
      {R"({"alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"yesterday"}]})",
       "/alerts/0/startsAt", Code::kInvalidArgument},
      {R"({"alerts":[{"status":"firing","labels":{"a":"b"}},{"status":"firing","labels":{"a":"b"},"startsAt":"2026-11-22T10:00:00Z","endsAt":"2026-11-22T09:00:00Z"}]})",
       "/alerts/1/endsAt", Code::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto r = ParseAlertmanagerWebhook(c.body, kNow);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), c.code) << c.body;
    ASSERT_FALSE(r.status().fields().empty()) << c.body;
    EXPECT_EQ(r.status().fields()[0].field, c.field) << c.body;
  }
}

TEST(AlertmanagerWebhook, NumberOutOfRangeIsMalformedNotACrash) {
  // Found by the fuzzer: nlohmann throws out_of_range (not parse_error) for 1e999.
  EXPECT_EQ(ParseAlertmanagerWebhook(R"({"alerts":[],"x":1e999})", kNow).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(ParsePostableAlerts("[1e999]", kNow).status().code(), Code::kBadRequest);
}

TEST(AlertmanagerWebhook, BoundsSizes) {
  nlohmann::json big = {{"version", "4"}, {"alerts", nlohmann::json::array()}};
  for (int i = 0; i < 1001; ++i)
    big["alerts"].push_back({{"status", "firing"}, {"labels", {{"i", std::to_string(i)}}}});
  EXPECT_EQ(ParseAlertmanagerWebhook(big.dump(), kNow).status().code(), Code::kTooLarge);
  nlohmann::json longv = {
      {"alerts", {{{"status", "firing"}, {"labels", {{"a", std::string(5000, 'x')}}}}}}};
  EXPECT_EQ(ParseAlertmanagerWebhook(longv.dump(), kNow).status().code(), Code::kInvalidArgument);
}

TEST(PostableAlerts, EndsAtDecidesFiringOrResolved) {
  auto r = ParsePostableAlerts(Fixture("prometheus/raw/02-post-api-v2-alerts-with-resolved.json"),
                               *ParseTime("2026-11-22T13:41:00Z"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->empty());
  auto lease = ParsePostableAlerts(
      R"([{"labels":{"alertname":"X"},"startsAt":"2026-11-22T13:00:00Z","endsAt":"2026-11-22T14:04:00Z"}])",
      kNow);
  ASSERT_TRUE(lease.ok());
  EXPECT_TRUE((*lease)[0].firing);
  auto past = ParsePostableAlerts(
      R"([{"labels":{"alertname":"X"},"startsAt":"2026-11-22T13:00:00Z","endsAt":"2026-11-22T13:59:00Z"}])",
      kNow);
  ASSERT_TRUE(past.ok());
  EXPECT_FALSE((*past)[0].firing);
  auto none = ParsePostableAlerts(R"([{"labels":{"alertname":"X"}}])", kNow);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)[0].firing);
  EXPECT_EQ((*none)[0].starts_at, kNow);
}

TEST(PostableAlerts, ErrorsNameTheIndex) {
  auto r = ParsePostableAlerts(R"([{"labels":{"a":"b"}},{"labels":{}}])", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().fields()[0].field, "/1/labels");
  EXPECT_EQ(ParsePostableAlerts("{}", kNow).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace klaxon::intake
