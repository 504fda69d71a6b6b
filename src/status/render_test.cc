#include "status/render.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/time_format.h"

namespace klaxon::status {
namespace {

using json = nlohmann::json;

TimeMs T(const char* s) { return ParseTime(s).value_or(0); }
constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1))
    ++n;
  return n;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------------------------------
// Fixture: a page with a group of two, two top-level components (one only shown when
// degraded), two incidents and three maintenances.

Component MakeComponent(int64_t id, std::string public_id, std::string name, int position,
                        std::optional<int64_t> group = std::nullopt, bool is_group = false) {
  Component c;
  c.id = id;
  c.public_id = std::move(public_id);
  c.name = std::move(name);
  c.position = position;
  c.group_id = group;
  c.is_group = is_group;
  c.created_at = T("2024-01-10T08:00:00Z");
  c.updated_at = T("2024-05-01T10:15:02Z");
  c.service_ids = {77, 78};
  return c;
}

Update MakeUpdate(std::string id, std::string status, std::string body, TimeMs at) {
  Update u;
  u.id = 1;
  u.public_id = std::move(id);
  u.status = std::move(status);
  u.body = std::move(body);
  u.created_at = at;
  u.display_at = at;
  return u;
}

Snapshot MakeSnapshot() {
  Snapshot s;
  s.page.id = "k1x4n0demo01";
  s.page.name = "Acme Status";
  s.page.url = "https://status.acme.example";
  s.page.links = {{"Home", "https://acme.example"}, {"Support", "https://acme.example/help"}};
  s.page.about = "Live status of Acme services.";
  s.now = T("2024-05-01T10:20:00Z");
  s.updated_at = T("2024-05-01T10:15:02Z");

  s.components.push_back(MakeComponent(1, "grp0apiedge01", "API", 1, std::nullopt, true));
  s.components.back().showcase = false;
  s.components.push_back(MakeComponent(2, "cmp0apieu0001", "API (EU)", 1, 1));
  s.components.back().status = ComponentStatus::kDegraded;
  s.components.back().description = "Public REST API, EU region";
  s.components.push_back(MakeComponent(3, "cmp0apius0001", "API (US)", 2, 1));
  s.components.push_back(MakeComponent(4, "cmp0website01", "Website", 2));
  s.components.push_back(MakeComponent(5, "cmp0hidden001", "Legacy FTP", 3));
  s.components.back().only_show_if_degraded = true;
  s.components.back().showcase = false;

  Incident a;
  a.id = 10;
  a.public_id = "inc0latency01";
  a.name = "Elevated API latency in EU";
  a.status = "identified";
  a.impact = "minor";
  a.internal_incident_id = 4242;
  a.created_at = T("2024-05-01T10:05:00Z");
  a.updated_at = T("2024-05-01T10:15:02Z");
  a.started_at = T("2024-05-01T10:01:00Z");
  a.component_ids = {2};
  a.updates.push_back(MakeUpdate("upd0000000002", "identified",
                                 "A faulty cache node was found and is being replaced.",
                                 T("2024-05-01T10:15:02Z")));
  a.updates.back().affected.push_back(
      {"cmp0apieu0001", "API (EU)", "degraded_performance", "degraded_performance"});
  a.updates.push_back(MakeUpdate("upd0000000001", "investigating",
                                 "We are looking into slow API responses in EU.",
                                 T("2024-05-01T10:05:00Z")));
  s.incidents.push_back(a);

  Incident b;
  b.id = 9;
  b.public_id = "inc0website01";
  b.name = "Website unavailable";
  b.status = "resolved";
  b.impact = "major";
  b.created_at = T("2024-04-29T12:00:00Z");
  b.updated_at = T("2024-04-29T13:00:00Z");
  b.started_at = T("2024-04-29T11:55:00Z");
  b.resolved_at = T("2024-04-29T13:00:00Z");
  b.component_ids = {4};
  b.postmortem = "The load balancer certificate expired.";
  b.updates.push_back(
      MakeUpdate("upd0000000004", "resolved", "The website is back.", T("2024-04-29T13:00:00Z")));
  b.updates.push_back(MakeUpdate("upd0000000003", "investigating", "The website is down.",
                                 T("2024-04-29T12:00:00Z")));
  s.incidents.push_back(b);

  auto maintenance = [&](int64_t id, std::string pid, std::string name, std::string status,
                         TimeMs from, TimeMs until) {
    Incident m;
    m.id = id;
    m.public_id = std::move(pid);
    m.kind = "maintenance";
    m.name = std::move(name);
    m.status = std::move(status);
    m.impact = "maintenance";
    m.created_at = from - 7 * kDay;
    m.updated_at = from - 7 * kDay;
    m.started_at = from;
    m.scheduled_for = from;
    m.scheduled_until = until;
    m.component_ids = {3};
    m.updates.push_back(
        MakeUpdate(m.public_id + "u", m.status, "Planned work on " + m.name, m.created_at));
    return m;
  };
  s.maintenances.push_back(maintenance(22, "mnt0upcoming1", "Database upgrade", "scheduled",
                                       T("2024-05-03T02:00:00Z"), T("2024-05-03T04:00:00Z")));
  s.maintenances.push_back(maintenance(21, "mnt0running01", "Network maintenance", "in_progress",
                                       T("2024-05-01T10:00:00Z"), T("2024-05-01T12:00:00Z")));
  s.maintenances.push_back(maintenance(20, "mnt0complete1", "Storage migration", "completed",
                                       T("2024-04-30T02:00:00Z"), T("2024-04-30T03:00:00Z")));
  return s;
}

std::set<std::string> Keys(const json& j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

const std::set<std::string> kComponentKeys = {"id",
                                              "name",
                                              "status",
                                              "created_at",
                                              "updated_at",
                                              "position",
                                              "description",
                                              "showcase",
                                              "start_date",
                                              "group_id",
                                              "page_id",
                                              "group",
                                              "only_show_if_degraded"};
const std::set<std::string> kIncidentKeys = {
    "id",         "name",          "status",      "impact",    "created_at", "updated_at",
    "started_at", "monitoring_at", "resolved_at", "shortlink", "page_id",    "incident_updates",
    "components"};
const std::set<std::string> kUpdateKeys = {"id",
                                           "status",
                                           "body",
                                           "incident_id",
                                           "created_at",
                                           "updated_at",
                                           "display_at",
                                           "affected_components",
                                           "deliver_notifications",
                                           "custom_tweet",
                                           "tweet_id"};
const std::set<std::string> kComponentStatuses = {
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"};

// Digits as '9' (shape checks without std::regex).
std::string Shape(const std::string& s) {
  std::string out = s;
  for (auto& c : out)
    if (std::isdigit(static_cast<unsigned char>(c))) c = '9';
  return out;
}

// RFC 3339 with milliseconds and "Z" or an offset.
bool IsTimestamp(const json& j) {
  if (!j.is_string()) return false;
  std::string shape = Shape(j.get<std::string>());
  if (shape.size() == 24) {
    if (shape != "9999-99-99T99:99:99.999Z") return false;
  } else if (shape.size() == 29) {
    if (shape.substr(0, 23) != "9999-99-99T99:99:99.999" ||
        (shape[23] != '+' && shape[23] != '-') || shape.substr(24) != "99:99")
      return false;
  } else {
    return false;
  }
  return ParseTime(j.get<std::string>()).has_value();
}

// "Wed, 01 May 2024 10:15:02 +0000"
bool IsRfc822(const std::string& s) {
  static const std::set<std::string> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const std::set<std::string> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return s.size() == 31 && kDays.count(s.substr(0, 3)) && kMonths.count(s.substr(8, 3)) &&
         Shape(s.substr(3, 5)) == ", 99 " && Shape(s.substr(11)) == " 9999 99:99:99 +9999" &&
         s.substr(25) == " +0000";
}

void ExpectPage(const json& page) {
  EXPECT_EQ(Keys(page), (std::set<std::string>{"id", "name", "url", "time_zone", "updated_at"}));
  EXPECT_EQ(page["id"], "k1x4n0demo01");
  EXPECT_EQ(page["name"], "Acme Status");
  EXPECT_EQ(page["url"], "https://status.acme.example");
  EXPECT_EQ(page["time_zone"], "Etc/UTC");
  EXPECT_EQ(page["updated_at"], "2024-05-01T10:15:02.000Z");
}

void ExpectComponent(const json& c) {
  std::set<std::string> keys = kComponentKeys;
  if (c.value("group", false)) keys.insert("components");
  EXPECT_EQ(Keys(c), keys) << c.dump();
  EXPECT_TRUE(c["id"].is_string());
  EXPECT_TRUE(c["name"].is_string());
  EXPECT_TRUE(kComponentStatuses.count(c["status"].get<std::string>())) << c["status"];
  EXPECT_TRUE(IsTimestamp(c["created_at"])) << c["created_at"];
  EXPECT_TRUE(IsTimestamp(c["updated_at"])) << c["updated_at"];
  EXPECT_TRUE(c["position"].is_number_integer());
  EXPECT_TRUE(c["description"].is_null() || c["description"].is_string());
  EXPECT_TRUE(c["showcase"].is_boolean());
  EXPECT_TRUE(c["start_date"].is_null() ||
              Shape(c["start_date"].get<std::string>()) == "9999-99-99");
  EXPECT_TRUE(c["group_id"].is_null() || c["group_id"].is_string());
  EXPECT_EQ(c["page_id"], "k1x4n0demo01");
  EXPECT_TRUE(c["group"].is_boolean());
  EXPECT_TRUE(c["only_show_if_degraded"].is_boolean());
}

void ExpectIncident(const json& i, bool maintenance) {
  std::set<std::string> keys = kIncidentKeys;
  if (maintenance) keys.insert({"scheduled_for", "scheduled_until"});
  if (i.contains("postmortem_body")) keys.insert("postmortem_body");
  EXPECT_EQ(Keys(i), keys) << i.dump();
  std::set<std::string> statuses =
      maintenance ? std::set<std::string>{"scheduled", "in_progress", "verifying", "completed"}
                  : std::set<std::string>{"investigating", "identified", "monitoring", "resolved",
                                          "postmortem"};
  EXPECT_TRUE(statuses.count(i["status"].get<std::string>())) << i["status"];
  std::set<std::string> impacts = {"none", "minor", "major", "critical", "maintenance"};
  EXPECT_TRUE(impacts.count(i["impact"].get<std::string>()));
  for (const char* k : {"created_at", "updated_at", "started_at"}) EXPECT_TRUE(IsTimestamp(i[k]));
  for (const char* k : {"monitoring_at", "resolved_at"})
    EXPECT_TRUE(i[k].is_null() || IsTimestamp(i[k])) << k;
  if (maintenance) {
    EXPECT_TRUE(IsTimestamp(i["scheduled_for"]));
    EXPECT_TRUE(IsTimestamp(i["scheduled_until"]));
  }
  EXPECT_EQ(i["shortlink"],
            "https://status.acme.example/status/incidents/" + i["id"].get<std::string>());
  EXPECT_EQ(i["page_id"], "k1x4n0demo01");
  ASSERT_TRUE(i["incident_updates"].is_array());
  std::string prev;
  for (const auto& u : i["incident_updates"]) {
    EXPECT_EQ(Keys(u), kUpdateKeys) << u.dump();
    EXPECT_TRUE(statuses.count(u["status"].get<std::string>()));
    EXPECT_EQ(u["incident_id"], i["id"]);
    EXPECT_TRUE(u["body"].is_string());
    for (const char* k : {"created_at", "updated_at", "display_at"}) EXPECT_TRUE(IsTimestamp(u[k]));
    EXPECT_TRUE(u["affected_components"].is_null() || u["affected_components"].is_array());
    if (u["affected_components"].is_array()) {
      EXPECT_FALSE(u["affected_components"].empty());
      for (const auto& a : u["affected_components"])
        EXPECT_EQ(Keys(a), (std::set<std::string>{"code", "name", "old_status", "new_status"}));
    }
    EXPECT_EQ(u["deliver_notifications"], true);
    EXPECT_TRUE(u["custom_tweet"].is_null());
    EXPECT_TRUE(u["tweet_id"].is_null());
    // Newest first.
    auto at = u["display_at"].get<std::string>();
    if (!prev.empty()) {
      EXPECT_GE(prev, at);
    }
    prev = at;
  }
  ASSERT_TRUE(i["components"].is_array());
  for (const auto& c : i["components"]) ExpectComponent(c);
}

// ---------------------------------------------------------------------------------------
// JSON

TEST(StatusRenderJson, TopLevelKeysOfEveryEndpoint) {
  Snapshot s = MakeSnapshot();
  EXPECT_EQ(Keys(SummaryJson(s)), (std::set<std::string>{"page", "components", "incidents",
                                                         "scheduled_maintenances", "status"}));
  EXPECT_EQ(Keys(StatusJson(s)), (std::set<std::string>{"page", "status"}));
  EXPECT_EQ(Keys(ComponentsJson(s)), (std::set<std::string>{"page", "components"}));
  EXPECT_EQ(Keys(IncidentsJson(s, false)), (std::set<std::string>{"page", "incidents"}));
  EXPECT_EQ(Keys(IncidentsJson(s, true)), (std::set<std::string>{"page", "incidents"}));
  for (const char* f : {"all", "upcoming", "active"})
    EXPECT_EQ(Keys(MaintenancesJson(s, f)),
              (std::set<std::string>{"page", "scheduled_maintenances"}));
  for (const json& j : {SummaryJson(s), StatusJson(s), ComponentsJson(s), IncidentsJson(s, false),
                        MaintenancesJson(s, "all")})
    ExpectPage(j["page"]);
}

TEST(StatusRenderJson, StatusIsTheOverallIndicator) {
  Snapshot s = MakeSnapshot();
  json st = StatusJson(s)["status"];
  EXPECT_EQ(Keys(st), (std::set<std::string>{"indicator", "description"}));
  Indicator ind = Overall(s);
  EXPECT_EQ(st["indicator"], ind.indicator);
  EXPECT_EQ(st["description"], ind.description);
  EXPECT_EQ(st["indicator"], "minor");

  s.components[3].status = ComponentStatus::kMajorOutage;
  EXPECT_EQ(StatusJson(s)["status"]["indicator"], "critical");
  EXPECT_EQ(SummaryJson(s)["status"]["indicator"], "critical");
}

TEST(StatusRenderJson, ComponentsFlatWithGroupChildrenAndPositions) {
  Snapshot s = MakeSnapshot();
  json list = ComponentsJson(s)["components"];
  ASSERT_EQ(list.size(), 5u);  // groups and children, all of them (also hidden ones)
  std::map<std::string, json> by_id;
  for (const auto& c : list) {
    ExpectComponent(c);
    by_id[c["id"]] = c;
  }
  const json& group = by_id["grp0apiedge01"];
  EXPECT_EQ(group["group"], true);
  EXPECT_EQ(group["components"], json({"cmp0apieu0001", "cmp0apius0001"}));
  EXPECT_TRUE(group["group_id"].is_null());
  EXPECT_TRUE(group["start_date"].is_null());
  EXPECT_TRUE(group["description"].is_null());
  EXPECT_EQ(group["showcase"], false);

  const json& eu = by_id["cmp0apieu0001"];
  EXPECT_EQ(eu["group"], false);
  EXPECT_FALSE(eu.contains("components"));
  EXPECT_EQ(eu["group_id"], "grp0apiedge01");
  EXPECT_EQ(eu["status"], "degraded_performance");
  EXPECT_EQ(eu["description"], "Public REST API, EU region");
  EXPECT_EQ(eu["start_date"], "2024-01-10");
  EXPECT_EQ(eu["created_at"], "2024-01-10T08:00:00.000Z");
  EXPECT_EQ(eu["showcase"], true);

  // Positions within the parent: 1, 2 in the group; 1, 2, 3 at the top level.
  EXPECT_EQ(eu["position"], 1);
  EXPECT_EQ(by_id["cmp0apius0001"]["position"], 2);
  EXPECT_EQ(group["position"], 1);
  EXPECT_EQ(by_id["cmp0website01"]["position"], 2);
  EXPECT_EQ(by_id["cmp0hidden001"]["position"], 3);
  EXPECT_EQ(by_id["cmp0hidden001"]["only_show_if_degraded"], true);

  // Every group's children are exactly the components naming it as group_id.
  for (const auto& c : list) {
    if (!c["group"].get<bool>()) continue;
    std::set<std::string> children(c["components"].begin(), c["components"].end());
    std::set<std::string> naming;
    for (const auto& o : list)
      if (o["group_id"] == c["id"]) naming.insert(o["id"]);
    EXPECT_EQ(children, naming);
  }
}

TEST(StatusRenderJson, ChildOfAMissingGroupIsTopLevel) {
  Snapshot s = MakeSnapshot();
  s.components[3].group_id = 999;  // no such row
  s.components[4].group_id = 4;    // not a group (itself)
  json list = ComponentsJson(s)["components"];
  EXPECT_TRUE(list[3]["group_id"].is_null());
  EXPECT_TRUE(list[4]["group_id"].is_null());
}

TEST(StatusRenderJson, IncidentShapeAndNoInternalData) {
  Snapshot s = MakeSnapshot();
  json list = IncidentsJson(s, false)["incidents"];
  ASSERT_EQ(list.size(), 2u);
  for (const auto& i : list) ExpectIncident(i, false);
  const json& a = list[0];
  EXPECT_EQ(a["id"], "inc0latency01");
  EXPECT_EQ(a["status"], "identified");
  EXPECT_EQ(a["impact"], "minor");
  EXPECT_EQ(a["started_at"], "2024-05-01T10:01:00.000Z");
  EXPECT_TRUE(a["monitoring_at"].is_null());
  EXPECT_TRUE(a["resolved_at"].is_null());
  EXPECT_EQ(a["shortlink"], "https://status.acme.example/status/incidents/inc0latency01");
  ASSERT_EQ(a["incident_updates"].size(), 2u);
  EXPECT_EQ(a["incident_updates"][0]["id"], "upd0000000002");
  EXPECT_EQ(a["incident_updates"][1]["id"], "upd0000000001");
  EXPECT_EQ(a["incident_updates"][0]["affected_components"][0],
            json({{"code", "cmp0apieu0001"},
                  {"name", "API (EU)"},
                  {"old_status", "degraded_performance"},
                  {"new_status", "degraded_performance"}}));
  EXPECT_TRUE(a["incident_updates"][1]["affected_components"].is_null());
  ASSERT_EQ(a["components"].size(), 1u);
  EXPECT_EQ(a["components"][0]["id"], "cmp0apieu0001");
  EXPECT_FALSE(a.contains("postmortem_body"));

  const json& b = list[1];
  EXPECT_EQ(b["resolved_at"], "2024-04-29T13:00:00.000Z");
  EXPECT_EQ(b["postmortem_body"], "The load balancer certificate expired.");

  for (const json& j :
       {SummaryJson(s), ComponentsJson(s), IncidentsJson(s, false), MaintenancesJson(s, "all")}) {
    std::string dump = j.dump();
    EXPECT_EQ(dump.find("internal_incident_id"), std::string::npos);
    EXPECT_EQ(dump.find("service_ids"), std::string::npos);
    EXPECT_EQ(dump.find("4242"), std::string::npos);
  }
}

TEST(StatusRenderJson, IncidentsNewestFirstWithUpdatesNewestFirst) {
  Snapshot s = MakeSnapshot();
  std::reverse(s.incidents.begin(), s.incidents.end());  // oldest first in the snapshot
  std::reverse(s.incidents[1].updates.begin(), s.incidents[1].updates.end());
  json list = IncidentsJson(s, false)["incidents"];
  EXPECT_EQ(list[0]["id"], "inc0latency01");
  EXPECT_EQ(list[1]["id"], "inc0website01");
  EXPECT_EQ(list[0]["incident_updates"][0]["id"], "upd0000000002");
}

TEST(StatusRenderJson, UnresolvedFilterAndSummaryIncidents) {
  Snapshot s = MakeSnapshot();
  for (const char* st : {"monitoring", "investigating", "postmortem", "resolved"}) {
    Incident i = s.incidents[0];
    i.public_id = std::string("inc0") + st;
    i.status = st;
    s.incidents.push_back(i);
  }
  std::set<std::string> ids;
  json unresolved = IncidentsJson(s, true)["incidents"];
  for (const auto& i : unresolved) {
    EXPECT_TRUE(i["status"] == "investigating" || i["status"] == "identified" ||
                i["status"] == "monitoring");
    ids.insert(i["id"]);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"inc0latency01", "inc0monitoring", "inc0investigating"}));
  std::set<std::string> summary;
  json summary_list = SummaryJson(s)["incidents"];
  for (const auto& i : summary_list) summary.insert(i["id"]);
  EXPECT_EQ(summary, ids);
  EXPECT_EQ(IncidentsJson(s, false)["incidents"].size(), 6u);
}

TEST(StatusRenderJson, FiftyMostRecentIncidents) {
  Snapshot s = MakeSnapshot();
  s.incidents.clear();
  for (int k = 0; k < 60; ++k) {
    Incident i;
    i.id = k + 1;
    i.public_id = "inc" + std::to_string(k);
    i.name = "Incident " + std::to_string(k);
    i.status = "resolved";
    i.impact = "none";
    i.created_at = T("2024-01-01T00:00:00Z") + k * kHour;
    i.updated_at = i.created_at;
    i.started_at = i.created_at;
    s.incidents.push_back(i);
  }
  std::reverse(s.incidents.begin() + 10, s.incidents.end());  // some disorder
  json list = IncidentsJson(s, false)["incidents"];
  ASSERT_EQ(list.size(), 50u);
  EXPECT_EQ(list[0]["id"], "inc59");
  EXPECT_EQ(list[49]["id"], "inc10");
  for (size_t k = 1; k < list.size(); ++k)
    EXPECT_GT(list[k - 1]["created_at"].get<std::string>(),
              list[k]["created_at"].get<std::string>());
}

TEST(StatusRenderJson, MaintenanceFiltersAndShape) {
  Snapshot s = MakeSnapshot();
  auto ids = [](const json& list) {
    std::vector<std::string> out;
    for (const auto& m : list) out.push_back(m["id"]);
    return out;
  };
  json all = MaintenancesJson(s, "all")["scheduled_maintenances"];
  for (const auto& m : all) ExpectIncident(m, true);
  EXPECT_EQ(ids(all),
            (std::vector<std::string>{"mnt0upcoming1", "mnt0running01", "mnt0complete1"}));
  EXPECT_EQ(all[0]["impact"], "maintenance");
  EXPECT_EQ(all[0]["scheduled_for"], "2024-05-03T02:00:00.000Z");
  EXPECT_EQ(all[0]["scheduled_until"], "2024-05-03T04:00:00.000Z");
  EXPECT_EQ(ids(MaintenancesJson(s, "upcoming")["scheduled_maintenances"]),
            (std::vector<std::string>{"mnt0upcoming1"}));
  EXPECT_EQ(ids(MaintenancesJson(s, "active")["scheduled_maintenances"]),
            (std::vector<std::string>{"mnt0running01"}));
  EXPECT_EQ(ids(SummaryJson(s)["scheduled_maintenances"]),
            (std::vector<std::string>{"mnt0upcoming1", "mnt0running01"}));
  EXPECT_EQ(ids(MaintenancesJson(s, "bogus")["scheduled_maintenances"]), ids(all));

  s.maintenances[1].status = "verifying";
  EXPECT_EQ(ids(MaintenancesJson(s, "active")["scheduled_maintenances"]),
            (std::vector<std::string>{"mnt0running01"}));
  // A scheduled one whose window has begun is in progress by the clock.
  s.maintenances[0].scheduled_for = s.now - kMinute;
  json active = MaintenancesJson(s, "active")["scheduled_maintenances"];
  EXPECT_EQ(ids(active), (std::vector<std::string>{"mnt0upcoming1", "mnt0running01"}));
  EXPECT_EQ(active[0]["status"], "in_progress");
  EXPECT_TRUE(MaintenancesJson(s, "upcoming")["scheduled_maintenances"].empty());
}

TEST(StatusRenderJson, FiftyMostRecentMaintenances) {
  Snapshot s = MakeSnapshot();
  Incident base = s.maintenances[2];
  s.maintenances.clear();
  for (int k = 0; k < 55; ++k) {
    Incident m = base;
    m.public_id = "mnt" + std::to_string(k);
    m.created_at = T("2024-01-01T00:00:00Z") + k * kDay;
    s.maintenances.insert(s.maintenances.begin(), m);
  }
  json list = MaintenancesJson(s, "all")["scheduled_maintenances"];
  ASSERT_EQ(list.size(), 50u);
  EXPECT_EQ(list[0]["id"], "mnt54");
  EXPECT_EQ(list[49]["id"], "mnt5");
}

TEST(StatusRenderJson, TimestampsCarryThePageOffset) {
  Snapshot s = MakeSnapshot();
  s.page.time_zone = "Europe/Berlin";
  json j = IncidentsJson(s, false);
  EXPECT_EQ(j["page"]["time_zone"], "Europe/Berlin");
  EXPECT_EQ(j["page"]["updated_at"], "2024-05-01T12:15:02.000+02:00");
  EXPECT_EQ(j["incidents"][0]["created_at"], "2024-05-01T12:05:00.000+02:00");
  EXPECT_EQ(ParseTime(j["incidents"][0]["created_at"].get<std::string>()),
            T("2024-05-01T10:05:00Z"));
  // The component started on January 10th local time.
  EXPECT_EQ(ComponentsJson(s)["components"][1]["start_date"], "2024-01-10");
  EXPECT_EQ(ComponentsJson(s)["components"][1]["created_at"], "2024-01-10T09:00:00.000+01:00");

  s.page.time_zone = "America/New_York";
  EXPECT_EQ(StatusJson(s)["page"]["updated_at"], "2024-05-01T06:15:02.000-04:00");
  EXPECT_TRUE(IsTimestamp("2024-05-01T06:15:02.000-04:00"));
  EXPECT_FALSE(IsTimestamp("2024-05-01T06:15:02-04:00"));
  EXPECT_FALSE(IsTimestamp("2024-05-01"));
  EXPECT_TRUE(IsRfc822("Wed, 01 May 2024 10:15:02 +0000"));
  EXPECT_FALSE(IsRfc822("Wed, 1 May 2024 10:15:02 GMT"));
  s.page.time_zone = "No/Such_Zone";
  EXPECT_EQ(StatusJson(s)["page"]["updated_at"], "2024-05-01T10:15:02.000Z");
}

TEST(StatusRenderJson, InvalidUtf8CannotBreakTheDump) {
  Snapshot s = MakeSnapshot();
  s.page.name = std::string("Bad \xC3\x28 \xFF name");
  s.incidents[0].updates[0].body = std::string("\xED\xA0\x80 surrogate");
  s.components[1].name = std::string("\xF0\x28\x8C\x28");
  std::string dump;
  EXPECT_NO_THROW(dump = SummaryJson(s).dump());
  json back = json::parse(dump);
  EXPECT_EQ(back["page"]["name"], "Bad \xEF\xBF\xBD( \xEF\xBF\xBD name");
  EXPECT_NO_THROW(IncidentsJson(s, false).dump());
  EXPECT_NO_THROW(ComponentsJson(s).dump());
}

TEST(StatusRenderJson, UnsafePageUrlIsNotPublished) {
  Snapshot s = MakeSnapshot();
  s.page.url = "javascript:alert(1)";
  json j = SummaryJson(s);
  EXPECT_EQ(j["page"]["url"], "");
  EXPECT_EQ(j["incidents"][0]["shortlink"], "/status/incidents/inc0latency01");
  EXPECT_EQ(j.dump().find("javascript"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// HTML

// The opening tags of an HTML document: name and attributes. Fails the test when a tag
// cannot be read (a broken attribute would show as an unknown attribute name).
struct Tag {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
};

std::vector<Tag> Tags(const std::string& html, std::string* text = nullptr) {
  std::vector<Tag> out;
  size_t i = 0;
  while (i < html.size()) {
    size_t lt = html.find('<', i);
    if (text) text->append(html, i, (lt == std::string::npos ? html.size() : lt) - i);
    if (lt == std::string::npos) break;
    i = lt + 1;
    if (html.compare(i, 1, "!") == 0) {  // doctype
      size_t gt = html.find('>', i);
      i = gt == std::string::npos ? html.size() : gt + 1;
      continue;
    }
    bool closing = html.compare(i, 1, "/") == 0;
    if (closing) ++i;
    Tag t;
    while (i < html.size() && (std::isalnum(static_cast<unsigned char>(html[i]))))
      t.name += html[i++];
    while (i < html.size() && html[i] != '>') {
      if (std::isspace(static_cast<unsigned char>(html[i]))) {
        ++i;
        continue;
      }
      std::string name, value;
      while (i < html.size() && !std::isspace(static_cast<unsigned char>(html[i])) &&
             html[i] != '=' && html[i] != '>')
        name += html[i++];
      if (i < html.size() && html[i] == '=') {
        ++i;
        if (i < html.size() && html[i] == '"') {
          size_t end = html.find('"', i + 1);
          value = html.substr(i + 1, end - i - 1);
          i = end + 1;
        } else {
          while (i < html.size() && !std::isspace(static_cast<unsigned char>(html[i])) &&
                 html[i] != '>')
            value += html[i++];
          name = "UNQUOTED:" + name;
        }
      }
      t.attrs.emplace_back(name, value);
    }
    ++i;
    if (!closing) out.push_back(std::move(t));
  }
  return out;
}

// Decodes the entities we emit (&amp; &lt; &gt; &quot; &#39; &apos; numeric).
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    std::string ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out += '&';
    else if (ent == "lt")
      out += '<';
    else if (ent == "gt")
      out += '>';
    else if (ent == "quot")
      out += '"';
    else if (ent == "apos" || ent == "#39")
      out += '\'';
    else
      out += "&" + ent + ";";
    i = semi;
  }
  return out;
}

const std::set<std::string> kAllowedTags = {
    "html",    "head", "meta", "title", "link",    "body", "a",      "header", "div",
    "img",     "nav",  "ul",   "li",    "main",    "h1",   "h2",     "h3",     "p",
    "section", "span", "time", "bdi",   "article", "ol",   "strong", "footer"};
const std::set<std::string> kAllowedAttrs = {
    "lang",       "charset",         "name",        "content",  "rel",     "href", "type",
    "title",      "class",           "id",          "tabindex", "src",     "alt",  "referrerpolicy",
    "aria-label", "aria-labelledby", "aria-hidden", "role",     "datetime"};

// Structural safety of a rendered page: known tags and attributes only, no event
// handlers, no inline scripts or styles, links and images only to our paths or http(s).
void ExpectSafeHtml(const std::string& html) {
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  std::vector<Tag> tags = Tags(html);
  ASSERT_FALSE(tags.empty());
  for (const Tag& t : tags) {
    EXPECT_TRUE(kAllowedTags.count(t.name)) << "tag <" << t.name << ">";
    for (const auto& [name, value] : t.attrs) {
      EXPECT_TRUE(kAllowedAttrs.count(name)) << "attribute " << name << " on <" << t.name << ">";
      EXPECT_EQ(value.find('<'), std::string::npos) << name;
      EXPECT_EQ(value.find('>'), std::string::npos) << name;
      if (name == "href" || name == "src") {
        std::string v = Lower(Unescape(value));
        EXPECT_TRUE(v.rfind("/status", 0) == 0 || v.rfind("#", 0) == 0 ||
                    v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0)
            << name << "=" << value;
      }
    }
  }
  EXPECT_EQ(Count(html, "<title>"), 1u);
  EXPECT_EQ(Count(html, "</title>"), 1u);
  EXPECT_EQ(Lower(html).find("<script"), std::string::npos);
  EXPECT_EQ(Lower(html).find("<style"), std::string::npos);
  EXPECT_EQ(Lower(html).find("javascript:"), std::string::npos);
  EXPECT_EQ(html.find("data:"), std::string::npos);
}

std::vector<const Tag*> WithClass(const std::vector<Tag>& tags, const std::string& cls) {
  std::vector<const Tag*> out;
  for (const auto& t : tags)
    for (const auto& [n, v] : t.attrs)
      if (n == "class") {
        std::string padded = " " + v + " ";
        if (padded.find(" " + cls + " ") != std::string::npos) out.push_back(&t);
      }
  return out;
}

std::string Attr(const Tag& t, const std::string& name) {
  for (const auto& [n, v] : t.attrs)
    if (n == name) return v;
  return "";
}

TEST(StatusRenderHtml, HomeStructure) {
  Snapshot s = MakeSnapshot();
  std::string html = RenderHome(s);
  ExpectSafeHtml(html);
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(html.find("<title>Acme Status</title>"), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"/status/status.css\">"), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"alternate\" type=\"application/atom+xml\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/status/feed.atom\""), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"alternate\" type=\"application/rss+xml\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/status/feed.rss\""), std::string::npos);
  EXPECT_NE(html.find("<header"), std::string::npos);
  EXPECT_NE(html.find("<main id=\"main\""), std::string::npos);
  EXPECT_NE(html.find("<footer"), std::string::npos);
  EXPECT_NE(html.find("href=\"#main\""), std::string::npos);  // skip link
  EXPECT_NE(html.find("<h1><bdi>Acme Status</bdi></h1>"), std::string::npos);
  EXPECT_NE(html.find("Live status of Acme services."), std::string::npos);
  EXPECT_NE(html.find("href=\"https://acme.example\""), std::string::npos);
  EXPECT_NE(html.find("<bdi>Support</bdi>"), std::string::npos);
  EXPECT_NE(html.find("href=\"/status/history/2024-05\""), std::string::npos);
  EXPECT_EQ(html.find(" style="), std::string::npos);
}

TEST(StatusRenderHtml, OverallIndicatorBanner) {
  Snapshot s = MakeSnapshot();
  std::string html = RenderHome(s);
  EXPECT_NE(html.find("overall overall-minor"), std::string::npos);
  EXPECT_NE(html.find(Overall(s).description), std::string::npos);

  s.components[1].status = ComponentStatus::kOperational;
  s.incidents.erase(s.incidents.begin());
  s.maintenances.erase(s.maintenances.begin() + 1);
  html = RenderHome(s);
  EXPECT_NE(html.find("overall overall-none"), std::string::npos);
  EXPECT_NE(html.find("All Systems Operational"), std::string::npos);
  EXPECT_EQ(html.find("Active incidents"), std::string::npos);
  EXPECT_EQ(html.find("Maintenance in progress"), std::string::npos);

  s.components[2].status = ComponentStatus::kMaintenance;
  html = RenderHome(s);
  EXPECT_NE(html.find("overall overall-maintenance"), std::string::npos);
}

TEST(StatusRenderHtml, ActiveIncidentsAndMaintenance) {
  Snapshot s = MakeSnapshot();
  std::string html = RenderHome(s);
  size_t active = html.find("<h2 id=\"active-title\">Active incidents</h2>");
  ASSERT_NE(active, std::string::npos);
  size_t link = html.find("href=\"/status/incidents/inc0latency01\"", active);
  ASSERT_NE(link, std::string::npos);
  // Latest update first, then the earlier one.
  size_t latest = html.find("A faulty cache node was found", active);
  size_t earlier = html.find("We are looking into slow API responses", active);
  ASSERT_NE(latest, std::string::npos);
  ASSERT_NE(earlier, std::string::npos);
  EXPECT_LT(latest, earlier);
  EXPECT_NE(html.find("Minor impact"), std::string::npos);
  EXPECT_NE(html.find("<strong>Identified</strong>"), std::string::npos);

  size_t running = html.find("Maintenance in progress");
  size_t upcoming = html.find("Scheduled maintenance");
  ASSERT_NE(running, std::string::npos);
  ASSERT_NE(upcoming, std::string::npos);
  EXPECT_NE(html.find("Network maintenance", running), std::string::npos);
  EXPECT_NE(html.find("Database upgrade", upcoming), std::string::npos);
  EXPECT_NE(html.find("<time datetime=\"2024-05-03T02:00:00.000Z\">May 3, 2024 02:00 UTC</time>"),
            std::string::npos);
  // The resolved incident is not active (only in past incidents).
  size_t components = html.find("<h2 id=\"components-title\">");
  EXPECT_EQ(html.substr(0, components).find("Website unavailable"), std::string::npos);
}

TEST(StatusRenderHtml, ComponentsByGroupWithStatus) {
  Snapshot s = MakeSnapshot();
  std::string html = RenderHome(s);
  size_t group = html.find("<h3 class=\"component-name\"><bdi>API</bdi></h3>");
  ASSERT_NE(group, std::string::npos);
  size_t eu = html.find("<bdi>API (EU)</bdi>", group);
  size_t us = html.find("<bdi>API (US)</bdi>", group);
  size_t web = html.find("<bdi>Website</bdi>", group);
  ASSERT_NE(eu, std::string::npos);
  ASSERT_NE(us, std::string::npos);
  ASSERT_NE(web, std::string::npos);
  EXPECT_LT(eu, us);
  EXPECT_LT(us, web);
  // The group shows its worst child.
  EXPECT_NE(html.find("st-degraded_performance", group), std::string::npos);
  EXPECT_NE(html.find("Degraded performance"), std::string::npos);
  EXPECT_NE(html.find("Public REST API, EU region"), std::string::npos);
  // Hidden while operational, shown when not.
  EXPECT_EQ(html.find("Legacy FTP"), std::string::npos);
  s.components[4].status = ComponentStatus::kPartialOutage;
  html = RenderHome(s);
  EXPECT_NE(html.find("<bdi>Legacy FTP</bdi>"), std::string::npos);
  EXPECT_NE(html.find("Partial outage"), std::string::npos);
}

TEST(StatusRenderHtml, UptimeBarsHaveNinetyDays) {
  Snapshot s = MakeSnapshot();
  // API (US) had a major outage of 42 minutes yesterday; the website is a month old.
  s.components[3].created_at = T("2024-04-01T00:00:00Z");
  s.history.push_back({3, ComponentStatus::kMajorOutage, T("2024-04-30T08:00:00Z")});
  s.history.push_back({3, ComponentStatus::kOperational, T("2024-04-30T08:42:00Z")});
  std::string html = RenderHome(s);
  std::vector<Tag> tags = Tags(html);
  auto bars = WithClass(tags, "bar");
  // Showcase components: API (EU), API (US), Website (not the group, not hidden ones).
  ASSERT_EQ(bars.size(), 3u);
  for (const Tag* b : bars) {
    EXPECT_EQ(Attr(*b, "role"), "img");
    EXPECT_NE(Attr(*b, "aria-label").find("over the past 90 days"), std::string::npos);
  }
  EXPECT_EQ(WithClass(tags, "day").size(), 3u * 90u);
  // Every bar: 90 consecutive day elements.
  size_t pos = 0;
  for (int k = 0; k < 3; ++k) {
    pos = html.find("class=\"bar\"", pos);
    ASSERT_NE(pos, std::string::npos);
    size_t end = html.find("</div>", pos);
    EXPECT_EQ(Count(html.substr(pos, end - pos), "class=\"day "), 90u);
    ++pos;
  }
  auto major = WithClass(tags, "day-major_outage");
  ASSERT_EQ(major.size(), 1u);
  EXPECT_EQ(Unescape(Attr(*major[0], "title")), "2024-04-30: 42 minutes down, 42 min major outage");
  // Days before the component existed have no data; today ends the bar.
  EXPECT_FALSE(WithClass(tags, "day-nodata").empty());
  EXPECT_NE(html.find("title=\"2024-05-01: 0 minutes down\""), std::string::npos);
  EXPECT_NE(html.find("99."), std::string::npos);
  EXPECT_NE(html.find("% uptime"), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"Uptime of API (US) over the past 90 days: 99."),
            std::string::npos);
  EXPECT_NE(html.find("100.00 % uptime"), std::string::npos);  // the others
}

TEST(StatusRenderHtml, PastIncidentsOfSevenDays) {
  Snapshot s = MakeSnapshot();
  std::string html = RenderHome(s);
  size_t past = html.find("<h2 id=\"past-title\">Past incidents</h2>");
  ASSERT_NE(past, std::string::npos);
  std::string tail = html.substr(past);
  for (const char* day : {"May 1, 2024", "Apr 30, 2024", "Apr 29, 2024", "Apr 25, 2024"})
    EXPECT_NE(tail.find(std::string("<h3>") + day + "</h3>"), std::string::npos) << day;
  EXPECT_EQ(tail.find("<h3>Apr 24, 2024</h3>"), std::string::npos);
  size_t d29 = tail.find("<h3>Apr 29, 2024</h3>");
  EXPECT_NE(tail.find("Website unavailable", d29), std::string::npos);
  EXPECT_NE(tail.find("The website is back.", d29), std::string::npos);
  // The completed maintenance on Apr 30, the open incident on May 1.
  size_t d30 = tail.find("<h3>Apr 30, 2024</h3>");
  EXPECT_NE(tail.find("Storage migration", d30), std::string::npos);
  EXPECT_NE(tail.find("Elevated API latency in EU"), std::string::npos);
  EXPECT_EQ(Count(tail, "No incidents reported."), 4u);  // Apr 25-28
}

TEST(StatusRenderHtml, IncidentPage) {
  Snapshot s = MakeSnapshot();
  s.page.time_zone = "Europe/Berlin";
  std::string html = RenderIncident(s, s.incidents[1]);
  ExpectSafeHtml(html);
  EXPECT_NE(html.find("<title>Website unavailable \u00B7 Acme Status</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1 id=\"incident-title\"><bdi>Website unavailable</bdi></h1>"),
            std::string::npos);
  EXPECT_NE(html.find("Major impact"), std::string::npos);
  EXPECT_NE(html.find("Affected: <bdi>Website</bdi>"), std::string::npos);
  size_t resolved = html.find("<strong>Resolved</strong>");
  size_t investigating = html.find("<strong>Investigating</strong>");
  ASSERT_NE(resolved, std::string::npos);
  ASSERT_NE(investigating, std::string::npos);
  EXPECT_LT(resolved, investigating);
  // 13:00 UTC is 15:00 in Berlin (summer time).
  EXPECT_NE(
      html.find("<time datetime=\"2024-04-29T15:00:00.000+02:00\">Apr 29, 2024 15:00 CEST</time>"),
      std::string::npos);
  EXPECT_NE(html.find("Postmortem"), std::string::npos);
  EXPECT_NE(html.find("The load balancer certificate expired."), std::string::npos);

  std::string m = RenderIncident(s, s.maintenances[0]);
  ExpectSafeHtml(m);
  EXPECT_NE(m.find("Scheduled from"), std::string::npos);
  EXPECT_NE(m.find("Affected: <bdi>API (US)</bdi>"), std::string::npos);
  EXPECT_EQ(m.find("Postmortem"), std::string::npos);
}

TEST(StatusRenderHtml, HistoryByMonth) {
  Snapshot s = MakeSnapshot();
  std::string html = RenderHistory(s, "2024-04");
  ExpectSafeHtml(html);
  EXPECT_NE(html.find("<h2 id=\"month-title\">April 2024</h2>"), std::string::npos);
  EXPECT_NE(html.find("Website unavailable"), std::string::npos);
  EXPECT_NE(html.find("Storage migration"), std::string::npos);
  EXPECT_EQ(html.find("Elevated API latency"), std::string::npos);  // May
  EXPECT_NE(html.find("rel=\"prev\" href=\"/status/history/2024-03\""), std::string::npos);
  EXPECT_NE(html.find("rel=\"next\" href=\"/status/history/2024-05\""), std::string::npos);
  // Newest day first.
  EXPECT_LT(html.find("Apr 30, 2024"), html.find("Apr 29, 2024"));

  html = RenderHistory(s, "2024-05");
  EXPECT_NE(html.find("Elevated API latency"), std::string::npos);
  EXPECT_NE(html.find("Database upgrade"), std::string::npos);  // scheduled in May
  EXPECT_EQ(html.find("rel=\"next\""), std::string::npos);      // no future months

  html = RenderHistory(s, "2023-12");
  EXPECT_NE(html.find("No incidents reported this month."), std::string::npos);
  EXPECT_NE(html.find("href=\"/status/history/2024-01\""), std::string::npos);

  // A bad month renders the current one.
  html = RenderHistory(s, "../../etc");
  EXPECT_NE(html.find("May 2024"), std::string::npos);
  EXPECT_TRUE(IsHistoryMonth("2024-05"));
  EXPECT_FALSE(IsHistoryMonth("2024-13"));
  EXPECT_FALSE(IsHistoryMonth("2024-00"));
  EXPECT_FALSE(IsHistoryMonth("24-05"));
  EXPECT_FALSE(IsHistoryMonth("2024-5x"));
  EXPECT_FALSE(IsHistoryMonth("1969-12"));
  EXPECT_FALSE(IsHistoryMonth("2024-05-01"));
}

TEST(StatusRenderHtml, StylesheetAndAccentColor) {
  std::string_view css = StatusCss();
  EXPECT_NE(css.find("prefers-color-scheme: dark"), std::string_view::npos);
  EXPECT_NE(css.find("overflow-wrap: anywhere"), std::string_view::npos);
  EXPECT_NE(css.find(".day-major_outage"), std::string_view::npos);
  PageSettings p;
  p.accent_color = "#ABC";
  std::string with = StatusCss(p);
  EXPECT_NE(with.find("--accent: #aabbcc; --accent-text: #000000;"), std::string::npos);
  p.accent_color = "#102030";
  EXPECT_NE(StatusCss(p).find("--accent: #102030; --accent-text: #ffffff;"), std::string::npos);
  for (const char* bad : {"red", "#12345", "#1234567", "#12345g", "#fff;}body{display:none}",
                          "url(javascript:alert(1))", "", "#fff\n"}) {
    p.accent_color = bad;
    std::string css2 = StatusCss(p);
    EXPECT_NE(css2.find("--accent: #2563eb;"), std::string::npos) << bad;
    EXPECT_EQ(css2.find("display:none"), std::string::npos);
    EXPECT_EQ(css2.find("javascript"), std::string::npos);
  }
  EXPECT_EQ(ValidColor("#AbC"), "#abc");
  EXPECT_EQ(ValidColor("#a1b2c3"), "#a1b2c3");
  EXPECT_FALSE(ValidColor("a1b2c3"));
}

// ---------------------------------------------------------------------------------------
// Building blocks

TEST(StatusRenderText, EscapeAndClean) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(CleanText("a\u202Eb\u2066c\u2069d\u202Ae"), "abcde");
  EXPECT_EQ(CleanText("x\x01y\x7Fz\tq\n"), "xyz\tq\n");
  EXPECT_EQ(CleanText("\xC2\x85"), "");      // C1 control
  EXPECT_EQ(CleanText("\xEF\xBF\xBE"), "");  // U+FFFE
  EXPECT_EQ(CleanText("caf\xC3\xA9 \xE2\x9C\x94 \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x9C\x94 \xF0\x9F\x98\x80");
  EXPECT_EQ(CleanText("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(CleanText("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
  EXPECT_EQ(CleanText("\xD7\x90\xD7\x91"), "\xD7\x90\xD7\x91");  // Hebrew stays
}

TEST(StatusRenderText, SafeHttpUrl) {
  EXPECT_EQ(SafeHttpUrl("https://example.com/a?b=1&c=2"), "https://example.com/a?b=1&c=2");
  EXPECT_EQ(SafeHttpUrl("  HTTP://Example.com  "), "http://Example.com");
  for (const char* bad :
       {"javascript:alert(1)", " javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
        "vbscript:msgbox", "//evil.example", "/relative", "https:/evil", "https:///evil",
        "https:", "https://", "https:\\\\evil", "java\tscript:alert(1)",
        "https://x.example/\"><img src=x onerror=alert(1)>", "https://a b", "ftp://x",
        "https://x.example/\xE2\x80\xAE", "https://x.example/\x01", ""}) {
    EXPECT_FALSE(SafeHttpUrl(bad)) << bad;
  }
}

// ---------------------------------------------------------------------------------------
// Feeds: a small XML reader (well-formedness, elements, text).

struct XmlNode {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<std::unique_ptr<XmlNode>> children;
  std::string text;  // decoded character data directly inside
  std::string At(const std::string& attr) const {
    auto it = attrs.find(attr);
    return it == attrs.end() ? "" : it->second;
  }
  const XmlNode* Child(const std::string& n) const {
    for (const auto& c : children)
      if (c->name == n) return c.get();
    return nullptr;
  }
  std::vector<const XmlNode*> All(const std::string& n) const {
    std::vector<const XmlNode*> out;
    for (const auto& c : children)
      if (c->name == n) out.push_back(c.get());
    return out;
  }
};

class XmlReader {
 public:
  explicit XmlReader(const std::string& s) : s_(s) {}

  // The root element, or nullptr with error() set.
  std::unique_ptr<XmlNode> Parse() {
    if (!ValidChars()) return nullptr;
    if (s_.compare(0, 5, "<?xml") == 0) {
      size_t end = s_.find("?>");
      if (end == std::string::npos) return Fail("unterminated declaration");
      pos_ = end + 2;
    }
    SkipSpace();
    auto root = Element();
    if (!root) return nullptr;
    SkipSpace();
    if (pos_ != s_.size()) return Fail("content after the root element");
    return root;
  }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<XmlNode> Fail(const std::string& why) {
    if (error_.empty()) error_ = why + " at " + std::to_string(pos_);
    return nullptr;
  }
  bool ValidChars() {
    for (size_t i = 0; i < s_.size(); ++i) {
      auto c = static_cast<unsigned char>(s_[i]);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        error_ = "control character at " + std::to_string(i);
        return false;
      }
    }
    return true;
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  static bool NameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '-' || c == '_' ||
           c == '.';
  }
  std::string Name() {
    std::string n;
    while (pos_ < s_.size() && NameChar(s_[pos_])) n += s_[pos_++];
    return n;
  }
  // Decodes references; false on a bare '&' or an unknown entity.
  bool Decode(std::string_view raw, std::string& out) {
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos) return false;
      std::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "amp")
        out += '&';
      else if (ent == "lt")
        out += '<';
      else if (ent == "gt")
        out += '>';
      else if (ent == "quot")
        out += '"';
      else if (ent == "apos")
        out += '\'';
      else if (ent.size() > 1 && ent[0] == '#') {
        std::string digits(ent.substr(ent[1] == 'x' ? 2 : 1));
        if (digits.empty()) return false;
        for (char c : digits)
          if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
        long cp = std::stol(digits, nullptr, ent[1] == 'x' ? 16 : 10);
        if (cp < 0x20 && cp != 9 && cp != 10 && cp != 13) return false;
        if (cp < 0x80)
          out += static_cast<char>(cp);
        else
          out += "?";
      } else {
        return false;
      }
      i = semi;
    }
    return true;
  }
  std::unique_ptr<XmlNode> Element() {
    if (pos_ >= s_.size() || s_[pos_] != '<') return Fail("expected an element");
    ++pos_;
    auto node = std::make_unique<XmlNode>();
    node->name = Name();
    if (node->name.empty()) return Fail("empty element name");
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unterminated tag");
      if (s_.compare(pos_, 2, "/>") == 0) {
        pos_ += 2;
        return node;
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string an = Name();
      if (an.empty() || node->attrs.count(an)) return Fail("bad or repeated attribute");
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '=') return Fail("attribute without value");
      ++pos_;
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) return Fail("unquoted");
      char q = s_[pos_++];
      size_t end = s_.find(q, pos_);
      if (end == std::string::npos) return Fail("unterminated attribute");
      std::string_view raw(s_.data() + pos_, end - pos_);
      if (raw.find('<') != std::string_view::npos) return Fail("< in attribute");
      std::string value;
      if (!Decode(raw, value)) return Fail("bad reference in attribute");
      node->attrs[an] = value;
      pos_ = end + 1;
    }
    // Content.
    while (true) {
      size_t lt = s_.find('<', pos_);
      if (lt == std::string::npos) return Fail("unterminated element " + node->name);
      std::string_view raw(s_.data() + pos_, lt - pos_);
      if (raw.find("]]>") != std::string_view::npos) return Fail("]]> in text");
      if (!Decode(raw, node->text)) return Fail("bad reference in text");
      pos_ = lt;
      if (s_.compare(pos_, 2, "</") == 0) {
        pos_ += 2;
        std::string close = Name();
        if (close != node->name)
          return Fail("mismatched </" + close + "> for <" + node->name + ">");
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '>') return Fail("bad end tag");
        ++pos_;
        return node;
      }
      if (s_.compare(pos_, 2, "<!") == 0 || s_.compare(pos_, 2, "<?") == 0)
        return Fail("unexpected markup declaration");
      auto child = Element();
      if (!child) return nullptr;
      node->children.push_back(std::move(child));
    }
  }

  const std::string s_;
  size_t pos_ = 0;
  std::string error_;
};

std::unique_ptr<XmlNode> ParseXml(const std::string& s) {
  XmlReader r(s);
  auto root = r.Parse();
  EXPECT_TRUE(root) << r.error();
  return root;
}

TEST(StatusRenderFeed, XmlReaderRejectsBrokenDocuments) {
  for (const char* bad : {"<a>", "<a></b>", "<a>x & y</a>", "<a>x < y</a>", "<a b=c/>",
                          "<a>]]></a>", "<a/><b/>", "<a>&bogus;</a>", "<a b=\"<\"/>"}) {
    XmlReader r(bad);
    EXPECT_FALSE(r.Parse()) << bad;
  }
  XmlReader ok("<?xml version=\"1.0\"?>\n<a x=\"1\"><b>t &amp; &lt;u&gt;</b><c/></a>\n");
  auto root = ok.Parse();
  ASSERT_TRUE(root) << ok.error();
  EXPECT_EQ(root->Child("b")->text, "t & <u>");
}

TEST(StatusRenderFeed, Atom) {
  Snapshot s = MakeSnapshot();
  std::string xml = RenderAtom(s);
  auto feed = ParseXml(xml);
  ASSERT_TRUE(feed);
  EXPECT_EQ(feed->name, "feed");
  EXPECT_EQ(feed->At("xmlns"), "http://www.w3.org/2005/Atom");
  EXPECT_EQ(feed->Child("title")->text, "Acme Status");
  EXPECT_EQ(feed->Child("id")->text, "https://status.acme.example/status");
  EXPECT_TRUE(IsTimestamp(feed->Child("updated")->text));
  EXPECT_TRUE(feed->Child("author"));
  bool self = false;
  for (const XmlNode* l : feed->All("link"))
    if (l->At("rel") == "self") {
      self = true;
      EXPECT_EQ(l->At("href"), "https://status.acme.example/status/feed.atom");
    }
  EXPECT_TRUE(self);
  auto entries = feed->All("entry");
  ASSERT_EQ(entries.size(), 5u);  // 2 incidents + 3 maintenances
  // Most recently updated first.
  EXPECT_EQ(entries[0]->Child("title")->text, "Elevated API latency in EU");
  std::string prev;
  for (const XmlNode* e : entries) {
    for (const char* k : {"title", "id", "updated", "published", "content", "link"})
      EXPECT_TRUE(e->Child(k)) << k;
    EXPECT_TRUE(IsTimestamp(e->Child("updated")->text));
    std::string u = e->Child("updated")->text;
    if (!prev.empty()) {
      EXPECT_GE(prev, u);
    }
    prev = u;
    EXPECT_EQ(e->Child("content")->At("type"), "text");
    EXPECT_EQ(e->Child("id")->text, e->Child("link")->At("href"));
  }
  EXPECT_EQ(entries[0]->Child("id")->text,
            "https://status.acme.example/status/incidents/inc0latency01");
  const std::string& content = entries[0]->Child("content")->text;
  size_t latest = content.find("A faulty cache node");
  size_t earlier = content.find("We are looking into slow");
  ASSERT_NE(latest, std::string::npos);
  ASSERT_NE(earlier, std::string::npos);
  EXPECT_LT(latest, earlier);
  EXPECT_NE(content.find("Identified (May 1, 2024 10:15 UTC)"), std::string::npos);
  EXPECT_NE(content.find("Affected: API (EU)"), std::string::npos);
}

TEST(StatusRenderFeed, Rss) {
  Snapshot s = MakeSnapshot();
  std::string xml = RenderRss(s);
  auto rss = ParseXml(xml);
  ASSERT_TRUE(rss);
  EXPECT_EQ(rss->name, "rss");
  EXPECT_EQ(rss->At("version"), "2.0");
  const XmlNode* channel = rss->Child("channel");
  ASSERT_TRUE(channel);
  EXPECT_EQ(channel->Child("link")->text, "https://status.acme.example/status");
  EXPECT_TRUE(channel->Child("description"));
  EXPECT_TRUE(IsRfc822(channel->Child("lastBuildDate")->text));
  auto items = channel->All("item");
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0]->Child("title")->text, "Elevated API latency in EU");
  EXPECT_EQ(items[0]->Child("pubDate")->text, "Wed, 01 May 2024 10:15:02 +0000");
  EXPECT_EQ(items[0]->Child("guid")->text,
            "https://status.acme.example/status/incidents/inc0latency01");
  EXPECT_EQ(items[0]->Child("guid")->At("isPermaLink"), "true");
  for (const XmlNode* item : items) {
    EXPECT_TRUE(IsRfc822(item->Child("pubDate")->text));
    for (const char* k : {"title", "link", "guid", "description"}) EXPECT_TRUE(item->Child(k)) << k;
  }
  EXPECT_NE(items[0]->Child("description")->text.find("A faulty cache node"), std::string::npos);
}

TEST(StatusRenderFeed, FiftyMostRecentlyUpdated) {
  Snapshot s = MakeSnapshot();
  Incident base = s.incidents[1];
  s.incidents.clear();
  s.maintenances.clear();
  for (int k = 0; k < 70; ++k) {
    Incident i = base;
    i.public_id = "inc" + std::to_string(k);
    i.name = "Incident " + std::to_string(k);
    i.created_at = T("2024-01-01T00:00:00Z") + k * kHour;
    i.updated_at = T("2024-03-01T00:00:00Z") + ((k * 37) % 70) * kHour;  // scrambled
    s.incidents.push_back(i);
  }
  auto atom = ParseXml(RenderAtom(s));
  auto rss = ParseXml(RenderRss(s));
  ASSERT_TRUE(atom);
  ASSERT_TRUE(rss);
  auto entries = atom->All("entry");
  ASSERT_EQ(entries.size(), 50u);
  EXPECT_EQ(rss->Child("channel")->All("item").size(), 50u);
  EXPECT_EQ(entries[0]->Child("updated")->text, "2024-03-03T21:00:00.000Z");   // 69 hours in
  EXPECT_EQ(entries[49]->Child("updated")->text, "2024-03-01T20:00:00.000Z");  // 20 hours in
}

// ---------------------------------------------------------------------------------------
// Hostile values everywhere.

const std::string kScript = "<script>alert(1)</script>";
const std::string kBreakout = "\"><img src=x onerror=alert(1)>";
const std::string kSingleBreakout = "'><svg onload=alert(1)>";
const std::string kRlo = "\u202Egnp.exe\u202C \u2066isolate \u202Bembed";

Snapshot HostileSnapshot() {
  Snapshot s = MakeSnapshot();
  const std::string big(100 * 1024, 'W');
  s.page.name = kScript + kBreakout + "</title>" + kRlo;
  s.page.about = kBreakout + kSingleBreakout + "]]>" + big;
  s.page.url = "javascript:alert(1)";
  s.page.logo_url = "javascript:alert(1)";
  s.page.accent_color = "#fff;}body{background:url(javascript:alert(1))}";
  s.page.time_zone = kScript;
  s.page.links = {{kScript, "javascript:alert(1)"},
                  {kBreakout, "JAVASCRIPT:alert(1)"},
                  {"data", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},
                  {"vb", "vbscript:msgbox(1)"},
                  {"rel", "//evil.example/x"},
                  {"q", "https://ok.example/\"onmouseover=\"alert(1)"},
                  {kSingleBreakout + kRlo, "https://ok.example/?a=1&b=<2>"},
                  {"fine " + kScript, "https://fine.example/?a=1&b=2"}};
  for (auto& c : s.components) {
    c.name = kScript + kRlo + c.name;
    c.description = kBreakout + "]]>" + big;
    c.public_id = kBreakout + c.public_id;
  }
  s.components[3].name = big;
  auto hostile = [&](Incident& i) {
    i.name = kScript + "</title>" + kBreakout + kRlo + i.name;
    i.public_id = "../" + kBreakout + i.public_id;
    i.postmortem = "]]>" + kScript + kBreakout + big;
    i.impact = kBreakout;
    for (auto& u : i.updates) {
      u.body = kScript + "\n" + kBreakout + "\n]]>\n" + kRlo + "\n" + big + "\x01\x1b";
      u.status = kBreakout;
      u.public_id = kBreakout;
      for (auto& a : u.affected) a.name = kScript;
    }
  };
  for (auto& i : s.incidents) hostile(i);
  for (auto& m : s.maintenances) hostile(m);
  s.incidents[1].impact = "major";
  return s;
}

void ExpectNoHostileText(const std::string& out) {
  for (const std::string& bad :
       {kScript, kBreakout, kSingleBreakout, std::string("<script"), std::string("<img src=x"),
        std::string("<svg"), std::string("javascript:"), std::string("vbscript:"),
        std::string("data:text"), std::string("//evil.example"), std::string("onmouseover=\"")}) {
    EXPECT_EQ(Lower(out).find(Lower(bad)), std::string::npos) << bad;
  }
  for (const char* bidi :
       {"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069"})
    EXPECT_EQ(out.find(bidi), std::string::npos);
  EXPECT_EQ(out.find('\x01'), std::string::npos);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

TEST(StatusRenderSafety, HostileValuesInHtmlPages) {
  Snapshot s = HostileSnapshot();
  std::vector<std::string> pages = {RenderHome(s),
                                    RenderIncident(s, s.incidents[0]),
                                    RenderIncident(s, s.incidents[1]),
                                    RenderIncident(s, s.maintenances[1]),
                                    RenderHistory(s, "2024-04"),
                                    RenderHistory(s, "2024-05"),
                                    RenderHistory(s, kScript)};
  for (const std::string& html : pages) {
    ExpectSafeHtml(html);
    ExpectNoHostileText(html);
    EXPECT_EQ(html.find("<title>"), html.rfind("<title>"));
    // The escaped forms are there (the text is shown, not dropped).
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("&lt;/title&gt;"), std::string::npos);
    // The only images are none (the logo URL is unsafe).
    EXPECT_EQ(html.find("<img"), std::string::npos);
    // User text is isolated.
    EXPECT_NE(html.find("<bdi>&lt;script&gt;"), std::string::npos);
  }
  const std::string& home = pages[0];
  EXPECT_NE(home.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  // Only the http(s) header link survives, with its & escaped in the attribute.
  EXPECT_NE(home.find("href=\"https://fine.example/?a=1&amp;b=2\""), std::string::npos);
  EXPECT_EQ(home.find("ok.example"), std::string::npos);
  // The 100 KB string is there, escaped, and the stylesheet wraps long words.
  EXPECT_NE(home.find(std::string(100 * 1024, 'W')), std::string::npos);
  EXPECT_NE(StatusCss().find("overflow-wrap: anywhere"), std::string_view::npos);
  // Incident links: public ids are percent-encoded path segments.
  std::vector<Tag> tags = Tags(home);
  for (const Tag& t : tags) {
    std::string href = Attr(t, "href");
    if (href.rfind("/status/incidents/", 0) == 0) {
      std::string id = href.substr(18);
      EXPECT_EQ(id.find('/'), std::string::npos) << href;
      EXPECT_EQ(id.find('"'), std::string::npos) << href;
      EXPECT_EQ(id.find("&"), std::string::npos) << href;
    }
    // Class names never carry user data.
    std::string cls = Attr(t, "class");
    EXPECT_EQ(cls.find('&'), std::string::npos) << cls;
  }
  // The uptime bars are still 90 days each with hostile names.
  EXPECT_EQ(WithClass(tags, "day").size() % 90, 0u);
  EXPECT_FALSE(WithClass(tags, "day").empty());
  // The stylesheet ignores the hostile accent color.
  std::string css = StatusCss(s.page);
  EXPECT_NE(css.find("--accent: #2563eb;"), std::string::npos);
  EXPECT_EQ(css.find("javascript"), std::string::npos);
}

TEST(StatusRenderSafety, HostileValuesInFeeds) {
  Snapshot s = HostileSnapshot();
  for (const std::string& xml : {RenderAtom(s), RenderRss(s)}) {
    ExpectNoHostileText(xml);
    EXPECT_EQ(xml.find("]]>"), std::string::npos);
    EXPECT_EQ(xml.find("<![CDATA["), std::string::npos);
    auto root = ParseXml(xml);
    ASSERT_TRUE(root);
  }
  auto atom = ParseXml(RenderAtom(s));
  ASSERT_TRUE(atom);
  // Without a safe page URL, ids are URNs and links relative paths.
  EXPECT_EQ(atom->Child("id")->text.rfind("urn:klaxon-status:", 0), 0u);
  auto entries = atom->All("entry");
  ASSERT_EQ(entries.size(), 5u);
  for (const XmlNode* e : entries) {
    EXPECT_EQ(e->Child("id")->text.rfind("urn:klaxon-status:", 0), 0u);
    EXPECT_EQ(e->Child("link")->At("href").rfind("/status/incidents/", 0), 0u);
    // Atom text content decodes to the original text (the text is shown as text).
    EXPECT_NE(e->Child("title")->text.find(kScript + "</title>"), std::string::npos);
    EXPECT_NE(e->Child("content")->text.find(kScript), std::string::npos);
    EXPECT_NE(e->Child("content")->text.find("]]>"), std::string::npos);
    EXPECT_EQ(e->Child("content")->At("type"), "text");
  }
  auto rss = ParseXml(RenderRss(s));
  ASSERT_TRUE(rss);
  for (const XmlNode* item : rss->Child("channel")->All("item")) {
    EXPECT_EQ(item->Child("guid")->At("isPermaLink"), "false");
    // The description is HTML for readers: user text stays escaped after XML decoding,
    // our only markup is <br>.
    const std::string& html = item->Child("description")->text;
    EXPECT_EQ(Lower(html).find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
    std::string stripped = html;
    for (size_t p; (p = stripped.find("<br>")) != std::string::npos;) stripped.erase(p, 4);
    EXPECT_EQ(stripped.find('<'), std::string::npos);
  }
}

TEST(StatusRenderSafety, HostileValuesInJson) {
  Snapshot s = HostileSnapshot();
  for (const json& j : {SummaryJson(s), StatusJson(s), ComponentsJson(s), IncidentsJson(s, false),
                        IncidentsJson(s, true), MaintenancesJson(s, "all"),
                        MaintenancesJson(s, "active"), MaintenancesJson(s, "upcoming")}) {
    std::string dump;
    ASSERT_NO_THROW(dump = j.dump());
    json back = json::parse(dump);
    EXPECT_EQ(back, j);
    EXPECT_EQ(dump.find("javascript:"), std::string::npos);  // page url dropped
    EXPECT_EQ(dump.find("internal_incident_id"), std::string::npos);
    EXPECT_EQ(dump.find("service_ids"), std::string::npos);
  }
  // Text is data in JSON: kept as is (consumers escape it for their context).
  json inc = IncidentsJson(s, false)["incidents"][0];
  EXPECT_EQ(inc["name"].get<std::string>().rfind(kScript, 0), 0u);
  EXPECT_EQ(inc["impact"], "none");  // not an impact: the safe default
}

}  // namespace
}  // namespace klaxon::status
