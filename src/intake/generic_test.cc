#include "intake/generic.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_format.h"

namespace klaxon::intake {
namespace {

using nlohmann::json;

const TimeMs kNow = *ParseTime("2026-11-22T14:00:00Z");

std::vector<std::string> Fields(const Status& s) {
  std::vector<std::string> out;
  for (const auto& f : s.fields()) out.push_back(f.field);
  return out;
}

GenericMapping Mapping(const json& j) {
  auto m = GenericMapping::FromJson(j);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? m.value() : GenericMapping();
}

TEST(Generic, DefaultMappingSingleEvent) {
  const char* body = R"({
    "title": "Disk almost full", "dedup_key": "db-1/disk", "status": "firing",
    "severity": "critical", "labels": {"host": "db-1", "env": "prod", "shard": 3, "primary": true},
    "description": "/var at 97%", "url": "https://monitor.example/db-1"
  })";
  auto r = ParseGenericWebhook(body, GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const NormalizedAlert& a = (*r)[0];
  EXPECT_TRUE(a.firing);
  EXPECT_FALSE(a.ends_at);
  EXPECT_EQ(a.starts_at, kNow);
  EXPECT_EQ(a.labels, (Labels{{"alertname", "Disk almost full"},
                              {"dedup_key", "db-1/disk"},
                              {"env", "prod"},
                              {"host", "db-1"},
                              {"primary", "true"},
                              {"severity", "critical"},
                              {"shard", "3"}}));
  EXPECT_EQ(a.annotations.at("summary"), "Disk almost full");
  EXPECT_EQ(a.annotations.at("description"), "/var at 97%");
  EXPECT_EQ(json::parse(a.annotations.at("payload")), json::parse(body));
  EXPECT_EQ(a.generator_url, "https://monitor.example/db-1");
  EXPECT_EQ(a.fingerprint, Fingerprint({{"dedup_key", "db-1/disk"}}));
}

TEST(Generic, ArrayOfEvents) {
  auto r = ParseGenericWebhook(R"([
    {"title": "A", "message": "first", "link": "http://x.example/a"},
    {"title": "B", "status": "RESOLVED"},
    {"title": "C", "labels": {"alertname": "Custom"}}
  ])",
                               GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].labels, (Labels{{"alertname", "A"}}));
  EXPECT_EQ((*r)[0].annotations.at("description"), "first");
  EXPECT_EQ((*r)[0].generator_url, "http://x.example/a");
  EXPECT_FALSE((*r)[1].firing);
  EXPECT_EQ((*r)[2].labels.at("alertname"), "Custom");  // the labels' own alertname wins
  EXPECT_EQ((*r)[2].annotations.at("summary"), "C");
}

TEST(Generic, EmptyArrayIsNoAlerts) {
  auto r = ParseGenericWebhook("[]", GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
}

TEST(Generic, CustomMapping) {
  GenericMapping m = Mapping({{"title", "/alert/name"},
                              {"dedup_key", "/alert/id"},
                              {"status", "/state"},
                              {"severity", "/alert/priority"},
                              {"resolved_values", {"OK"}},
                              {"labels", "/tags"},
                              {"events", "/items"}});
  auto r = ParseGenericWebhook(R"({"source": "uptime", "items": [
    {"alert": {"name": "Site down", "id": "site-7", "priority": "P1"}, "state": "ALERT",
     "tags": {"site": "shop"}},
    {"alert": {"name": "Site down", "id": "site-7"}, "state": "ok"},
    {"alert": {"name": "Site down", "id": "site-8"}, "state": "resolved"}
  ]})",
                               m, kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  const NormalizedAlert& a = (*r)[0];
  EXPECT_TRUE(a.firing);
  EXPECT_EQ(a.labels, (Labels{{"alertname", "Site down"},
                              {"dedup_key", "site-7"},
                              {"severity", "P1"},
                              {"site", "shop"}}));
  EXPECT_FALSE((*r)[1].firing);  // "ok" matches "OK" case-insensitively
  EXPECT_EQ((*r)[1].ends_at, kNow);
  EXPECT_EQ((*r)[1].fingerprint, a.fingerprint);
  EXPECT_TRUE((*r)[2].firing);  // "resolved" is not among this mapping's values
}

TEST(Generic, NumericDedupKeyIsStringified) {
  auto r = ParseGenericWebhook(R"({"title": "T", "dedup_key": 4711})", GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].labels.at("dedup_key"), "4711");
  EXPECT_EQ((*r)[0].fingerprint, Fingerprint({{"dedup_key", "4711"}}));
}

TEST(Generic, StatusResolved) {
  for (const char* status : {"resolved", "OK", "Closed", "recovered", "resolve"}) {
    json body = {{"title", "T"}, {"status", status}};
    auto r = ParseGenericWebhook(body.dump(), GenericMapping(), kNow);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE((*r)[0].firing) << status;
    EXPECT_EQ((*r)[0].ends_at, kNow) << status;
  }
  for (const char* status : {"firing", "triggered", "unresolved", ""}) {
    json body = {{"title", "T"}, {"status", status}};
    auto r = ParseGenericWebhook(body.dump(), GenericMapping(), kNow);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE((*r)[0].firing) << status;
    EXPECT_FALSE((*r)[0].ends_at) << status;
  }
}

TEST(Generic, MissingTitleNamesThePointerWithTheEventIndex) {
  auto r = ParseGenericWebhook(R"([{"title": "a"}, {"title": "b"}, {"name": "c"}])",
                               GenericMapping(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"/2/title"});

  r = ParseGenericWebhook(R"({"title": ""})", GenericMapping(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"/title"});

  GenericMapping m = Mapping({{"title", "/alert/name"}, {"events", "/items"}});
  r = ParseGenericWebhook(R"({"items": [{"alert": {"name": 5}}]})", m, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"/items/0/alert/name"});
}

TEST(Generic, RejectsBadBodiesNamingTheField) {
  struct Case {
    const char* body;
    const char* field;
  };
  const std::string long_value(kLimits.max_label_value + 1, 'x');
  const std::string long_label = json{{"title", "T"}, {"labels", {{"k", long_value}}}}.dump();
  const std::string long_title = json{{"title", long_value}}.dump();
  const std::string long_key = json{{"title", "T"}, {"dedup_key", long_value}}.dump();
  const Case cases[] = {
      {"\"just a string\"", "/"},
      {"42", "/"},
      {"[1]", "/0"},
      {R"({"title": ["x"]})", "/title"},
      {R"({"title": "T", "labels": ["x"]})", "/labels"},
      {R"({"title": "T", "labels": {"a": {"b": 1}}})", "/labels/a"},
      {R"({"title": "T", "labels": {"bad-name": "x"}})", "/labels/bad-name"},
      {R"({"title": "T", "labels": {"a/b": "x"}})", "/labels/a~1b"},
      {R"({"title": "T", "severity": {"level": 1}})", "/severity"},
      {R"({"title": "T", "status": ["resolved"]})", "/status"},
      {long_label.c_str(), "/labels/k"},
      {long_title.c_str(), "/title"},
      {long_key.c_str(), "/dedup_key"},
  };
  for (const Case& c : cases) {
    auto r = ParseGenericWebhook(c.body, GenericMapping(), kNow);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.body;
    EXPECT_EQ(Fields(r.status()), std::vector<std::string>{c.field}) << c.body;
  }
}

TEST(Generic, TooManyLabels) {
  json labels = json::object();
  for (size_t i = 0; i < kLimits.max_labels; ++i) labels["l" + std::to_string(i)] = "v";
  auto r =
      ParseGenericWebhook(json{{"title", "T"}, {"labels", labels}}.dump(), GenericMapping(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"/labels"});
}

TEST(Generic, MalformedJsonIsBadRequest) {
  auto r = ParseGenericWebhook(R"({"title": )", GenericMapping(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
}

TEST(Generic, TooManyEventsIsTooLarge) {
  json events = json::array();
  for (size_t i = 0; i <= kLimits.max_alerts; ++i) events.push_back({{"title", "T"}});
  auto r = ParseGenericWebhook(events.dump(), GenericMapping(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kTooLarge);

  events.erase(events.size() - 1);
  r = ParseGenericWebhook(events.dump(), GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), kLimits.max_alerts);
}

TEST(Generic, MissingEventsArrayNamesItsPointer) {
  GenericMapping m = Mapping({{"events", "/items"}});
  for (const char* body : {R"({"other": []})", R"({"items": {"title": "T"}})", "[]"}) {
    auto r = ParseGenericWebhook(body, m, kNow);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"/items"}) << body;
  }
}

TEST(Generic, PayloadIsCutToTheAnnotationLimit) {
  json body = {{"title", "T"}, {"blob", std::string(2 * kLimits.max_annotation, 'x')}};
  auto r = ParseGenericWebhook(body.dump(), GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE((*r)[0].annotations.at("payload").size(), kLimits.max_annotation);
  EXPECT_EQ((*r)[0].annotations.at("payload").substr(0, 15), R"({"blob":"xxxxxx)");
}

TEST(Generic, OnlyHttpLinksBecomeTheGeneratorUrl) {
  auto r = ParseGenericWebhook(
      R"J({"title": "T", "url": "javascript:alert(1)", "link": "HTTPS://ok.example/"})J",
      GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].generator_url, "HTTPS://ok.example/");
  r = ParseGenericWebhook(R"({"title": "T", "url": 5, "description": 7})", GenericMapping(), kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].generator_url, "");
  EXPECT_EQ((*r)[0].annotations.count("description"), 0u);
}

TEST(Generic, EmptyPointerLeavesAFieldUnread) {
  GenericMapping m = Mapping({{"labels", ""}, {"dedup_key", ""}, {"status", ""}});
  auto r = ParseGenericWebhook(
      R"({"title": "T", "labels": {"a": "b"}, "dedup_key": "k", "status": "resolved"})", m, kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].labels, (Labels{{"alertname", "T"}}));
  EXPECT_TRUE((*r)[0].firing);
}

TEST(Generic, PointersEscapeAndIndexArrays) {
  GenericMapping m = Mapping({{"title", "/a~1b/0/t~0x"}, {"severity", "/sev/01"}});
  auto r = ParseGenericWebhook(R"({"a/b": [{"t~x": "escaped"}], "sev": ["x", "y"]})", m, kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].annotations.at("summary"), "escaped");
  EXPECT_EQ((*r)[0].labels.count("severity"), 0u);  // "01" is not an array index
}

TEST(GenericMapping, BadPointerIsRejected) {
  for (const json& j : {json{{"title", "title"}}, json{{"labels", "/a~2"}}, json{{"title", ""}},
                        json{{"events", "/x~"}}}) {
    auto m = GenericMapping::FromJson(j);
    ASSERT_FALSE(m.ok()) << j.dump();
    EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(Fields(m.status()), std::vector<std::string>{"/mapping/" + j.begin().key()});
  }
  auto m = GenericMapping::FromJson({{"status", 3}});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(Fields(m.status()), std::vector<std::string>{"/mapping/status"});
  m = GenericMapping::FromJson({{"resolved_values", {"ok", 1}}});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(Fields(m.status()), std::vector<std::string>{"/mapping/resolved_values/1"});

  GenericMapping bad;
  bad.title = "title";
  auto r = ParseGenericWebhook(R"({"title": "T"})", bad, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Fields(r.status()), std::vector<std::string>{"/mapping/title"});
}

TEST(GenericMapping, UnknownKeyIsRejected) {
  auto m = GenericMapping::FromJson({{"title", "/name"}, {"summary", "/text"}});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Fields(m.status()), std::vector<std::string>{"/mapping/summary"});
  m = GenericMapping::FromJson(json::array());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(Fields(m.status()), std::vector<std::string>{"/mapping"});
}

TEST(GenericMapping, RoundTripsThroughJson) {
  GenericMapping m = Mapping({{"title", "/alert/name"}, {"resolved_values", {"OK"}}});
  EXPECT_EQ(m.title, "/alert/name");
  EXPECT_EQ(m.dedup_key, "/dedup_key");  // absent keys keep their defaults
  auto back = GenericMapping::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), m.ToJson());
  EXPECT_EQ(GenericMapping().ToJson(), json::parse(R"({
    "title": "/title", "dedup_key": "/dedup_key", "status": "/status", "severity": "/severity",
    "labels": "/labels", "events": "",
    "resolved_values": ["resolved", "ok", "closed", "recovered", "resolve"]})"));
}

TEST(Generic, FingerprintIsStable) {
  // The same dedup key is the same alert whatever else the event says.
  auto a = ParseGenericWebhook(R"({"title": "A", "dedup_key": "k1", "labels": {"x": "1"}})",
                               GenericMapping(), kNow);
  auto b = ParseGenericWebhook(R"({"title": "B", "dedup_key": "k1", "severity": "low"})",
                               GenericMapping(), kNow + 60000);
  auto c = ParseGenericWebhook(R"({"title": "A", "dedup_key": "k2", "labels": {"x": "1"}})",
                               GenericMapping(), kNow);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ((*a)[0].fingerprint, (*b)[0].fingerprint);
  EXPECT_NE((*a)[0].fingerprint, (*c)[0].fingerprint);

  // Without one it is the label set's: same labels, same alert; other labels, another.
  auto d = ParseGenericWebhook(R"({"title": "A", "labels": {"x": "1"}, "status": "firing"})",
                               GenericMapping(), kNow);
  auto e = ParseGenericWebhook(R"({"labels": {"x": 1}, "title": "A", "status": "resolved"})",
                               GenericMapping(), kNow);
  auto f = ParseGenericWebhook(R"({"title": "A", "labels": {"x": "2"}})", GenericMapping(), kNow);
  ASSERT_TRUE(d.ok() && e.ok() && f.ok());
  EXPECT_EQ((*d)[0].fingerprint, Fingerprint({{"alertname", "A"}, {"x", "1"}}));
  EXPECT_EQ((*d)[0].fingerprint, (*e)[0].fingerprint);
  EXPECT_NE((*d)[0].fingerprint, (*f)[0].fingerprint);
}

}  // namespace
}  // namespace klaxon::intake
