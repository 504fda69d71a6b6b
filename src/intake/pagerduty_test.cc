#include "intake/pagerduty.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/time_format.h"

namespace klaxon::intake {
namespace {

using nlohmann::json;

const TimeMs kNow = *ParseTime("2026-11-22T14:00:00Z");
const std::string kKey = "5f0c2a9be1d84c7fa0b3e6d2c1a47e90";
const std::string kGenerated = "0123456789abcdef0123456789abcdef";

// The composed example of the wire-format notes (section 3).
json Example() {
  return json::parse(R"({
    "routing_key": "5f0c2a9be1d84c7fa0b3e6d2c1a47e90",
    "event_action": "trigger",
    "dedup_key": "checkout/high-error-rate",
    "payload": {
      "summary": "Checkout 5xx ratio above 5%",
      "source": "web-1.prod.example",
      "severity": "critical",
      "timestamp": "2024-05-01T10:02:13.408+0000",
      "component": "nginx",
      "group": "checkout",
      "class": "http-errors",
      "custom_details": {"ratio": 0.071, "window": "5m"}
    },
    "links": [{"href": "https://grafana.example/d/abc", "text": "Dashboard"}],
    "images": [{"src": "https://grafana.example/render/abc.png", "alt": "error ratio"}],
    "client": "Example Monitor",
    "client_url": "https://monitor.example"
  })");
}

std::vector<std::string> Fields(const Status& s) {
  std::vector<std::string> out;
  for (const auto& f : s.fields()) out.push_back(f.field);
  return out;
}

TEST(PagerDuty, TriggerBecomesAnAlertKeyedByDedupKey) {
  auto r = ParsePagerDutyEvent(Example().dump(), kNow, kGenerated);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, PagerDutyAction::kTrigger);
  EXPECT_EQ(r->routing_key, kKey);
  EXPECT_EQ(r->dedup_key, "checkout/high-error-rate");
  const NormalizedAlert& a = r->alert;
  EXPECT_TRUE(a.firing);
  EXPECT_EQ(a.fingerprint, DedupKeyFingerprint("checkout/high-error-rate"));
  EXPECT_EQ(a.fingerprint.size(), 16u);
  EXPECT_EQ(a.labels.at("dedup_key"), "checkout/high-error-rate");
  EXPECT_EQ(a.labels.at("severity"), "critical");
  EXPECT_EQ(a.labels.at("source"), "web-1.prod.example");
  EXPECT_EQ(a.labels.at("component"), "nginx");
  EXPECT_EQ(a.labels.at("group"), "checkout");
  EXPECT_EQ(a.labels.at("class"), "http-errors");
  EXPECT_EQ(a.annotations.at("summary"), "Checkout 5xx ratio above 5%");
  EXPECT_EQ(a.annotations.at("ratio"), "0.071");  // non-strings JSON-encoded
  EXPECT_EQ(a.annotations.at("window"), "5m");
  EXPECT_EQ(a.annotations.at("client"), "Example Monitor");
  EXPECT_EQ(json::parse(a.annotations.at("links"))[0]["text"], "Dashboard");
  EXPECT_EQ(json::parse(a.annotations.at("images"))[0]["alt"], "error ratio");
  EXPECT_EQ(a.generator_url, "https://monitor.example");
  EXPECT_EQ(a.starts_at, *ParseTime("2024-05-01T10:02:13.408Z"));  // "+0000" accepted
}

TEST(PagerDuty, FingerprintDependsOnTheDedupKeyOnly) {
  json e = Example();
  auto first = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
  e["payload"]["summary"] = "[FIRING:2] something else";
  e["payload"]["severity"] = "warning";
  auto second = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->alert.fingerprint, second->alert.fingerprint);
  EXPECT_NE(DedupKeyFingerprint("a"), DedupKeyFingerprint("b"));
}

TEST(PagerDuty, TriggerWithoutDedupKeyTakesTheGeneratedOne) {
  json e = Example();
  e.erase("dedup_key");
  auto r = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dedup_key, kGenerated);
  EXPECT_EQ(r->alert.labels.at("dedup_key"), kGenerated);
  EXPECT_EQ(r->alert.starts_at, *ParseTime("2024-05-01T10:02:13.408Z"));
}

TEST(PagerDuty, MinimalAcknowledgeAndResolve) {
  for (const char* action : {"acknowledge", "resolve"}) {
    json e = {{"routing_key", kKey}, {"event_action", action}, {"dedup_key", "k1"}};
    auto r = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
    ASSERT_TRUE(r.ok()) << action << ": " << r.status().ToString();
    EXPECT_EQ(r->dedup_key, "k1");
    EXPECT_FALSE(r->has_payload);
    EXPECT_EQ(r->alert.fingerprint, DedupKeyFingerprint("k1"));
    bool resolve = std::string(action) == "resolve";
    EXPECT_EQ(r->action, resolve ? PagerDutyAction::kResolve : PagerDutyAction::kAcknowledge);
    EXPECT_EQ(r->alert.firing, !resolve);
    if (resolve) {
      EXPECT_EQ(r->alert.ends_at, kNow);
    }
  }
  // Alertmanager's resolve carries the whole payload: accepted too.
  json e = Example();
  e["event_action"] = "resolve";
  auto r = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->has_payload);
  EXPECT_FALSE(r->alert.firing);
}

TEST(PagerDuty, KeyInTheUrlMakesRoutingKeyOptional) {
  json e = Example();
  e.erase("routing_key");
  EXPECT_EQ(Fields(ParsePagerDutyEvent(e.dump(), kNow, kGenerated).status()),
            std::vector<std::string>{"/routing_key"});
  EXPECT_TRUE(ParsePagerDutyEvent(e.dump(), kNow, kGenerated, true).ok());
}

TEST(PagerDuty, ReportsEveryErrorNamingItsField) {
  struct Case {
    std::function<void(json&)> edit;
    std::vector<std::string> fields;
  };
  std::vector<Case> cases = {
      {[](json& e) { e["routing_key"] = "short"; }, {"/routing_key"}},
      {[](json& e) { e["routing_key"] = 7; }, {"/routing_key"}},
      {[](json& e) { e.erase("event_action"); }, {"/event_action"}},
      {[](json& e) { e["event_action"] = "page"; }, {"/event_action"}},
      {[](json& e) { e["dedup_key"] = std::string(256, 'k'); }, {"/dedup_key"}},
      {[](json& e) { e.erase("payload"); }, {"/payload"}},
      {[](json& e) { e["payload"] = "text"; }, {"/payload"}},
      {[](json& e) {
         e["payload"].erase("summary");
         e["payload"].erase("source");
         e["payload"].erase("severity");
       },
       {"/payload/summary", "/payload/severity", "/payload/source"}},
      {[](json& e) { e["payload"]["summary"] = std::string(1025, 's'); }, {"/payload/summary"}},
      {[](json& e) { e["payload"]["summary"] = ""; }, {"/payload/summary"}},
      {[](json& e) { e["payload"]["severity"] = "page"; }, {"/payload/severity"}},
      {[](json& e) { e["payload"]["source"] = 1; }, {"/payload/source"}},
      {[](json& e) { e["payload"]["timestamp"] = "yesterday"; }, {"/payload/timestamp"}},
      {[](json& e) { e["payload"]["component"] = std::string(5000, 'c'); }, {"/payload/component"}},
      {[](json& e) {
         e["links"] = {{{"text", "no href"}}};
       },
       {"/links/0/href"}},
      {[](json& e) { e["images"] = "x"; }, {"/images"}},
      {[](json& e) { e["client_url"] = std::string(5000, 'u'); }, {"/client_url"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    json e = Example();
    cases[i].edit(e);
    auto r = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
    ASSERT_FALSE(r.ok()) << "case " << i;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << "case " << i;
    auto got = Fields(r.status());
    auto want = cases[i].fields;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << "case " << i << ": " << r.status().ToString();
  }
}

TEST(PagerDuty, AcknowledgeAndResolveNeedADedupKey) {
  for (const char* action : {"acknowledge", "resolve"}) {
    json e = {{"routing_key", kKey}, {"event_action", action}};
    EXPECT_EQ(Fields(ParsePagerDutyEvent(e.dump(), kNow, kGenerated).status()),
              std::vector<std::string>{"/dedup_key"})
        << action;
    e["dedup_key"] = "";
    EXPECT_EQ(Fields(ParsePagerDutyEvent(e.dump(), kNow, kGenerated).status()),
              std::vector<std::string>{"/dedup_key"})
        << action;
  }
}

TEST(PagerDuty, MalformedAndOversizedBodies) {
  EXPECT_EQ(ParsePagerDutyEvent("{", kNow, kGenerated).status().code(), Code::kBadRequest);
  EXPECT_EQ(ParsePagerDutyEvent("[]", kNow, kGenerated).status().code(), Code::kInvalidArgument);
  json e = Example();
  e["payload"]["custom_details"]["blob"] = std::string(kPagerDutyLimits.max_event, 'x');
  EXPECT_EQ(ParsePagerDutyEvent(e.dump(), kNow, kGenerated).status().code(), Code::kTooLarge);
}

TEST(PagerDuty, CustomDetailsAreBounded) {
  json e = Example();
  e["payload"]["custom_details"] = {{"firing", std::string(20000, 'f') + "é"}};
  auto r = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE(r->alert.annotations.at("firing").size(), kLimits.max_annotation);  // cut, not refused
  e["payload"]["custom_details"] = "plain text details";
  r = ParsePagerDutyEvent(e.dump(), kNow, kGenerated);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->alert.annotations.at("custom_details"), "plain text details");
  json many = json::object();
  for (int i = 0; i < 100; ++i) many["k" + std::to_string(i)] = i;
  e["payload"]["custom_details"] = many;
  EXPECT_EQ(Fields(ParsePagerDutyEvent(e.dump(), kNow, kGenerated).status()),
            std::vector<std::string>{"/payload/custom_details"});
}

}  // namespace
}  // namespace klaxon::intake
