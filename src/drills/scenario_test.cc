#include "drills/scenario.h"

#include <gtest/gtest.h>

#include <set>

namespace klaxon::drills {
namespace {

using nlohmann::json;

constexpr TimeMs kMin = 60'000;
constexpr TimeMs kT0 = 1'764'061'200'000;  // 2025-11-25T09:00:00Z

json Minimal() { return {{"name", "db-failover"}, {"service", "checkout"}, {"severity", "SEV-1"}}; }

std::set<std::string> Fields(const Status& s) {
  std::set<std::string> out;
  for (const auto& f : s.fields()) out.insert(f.field);
  return out;
}

TEST(DrillScenario, DefaultsForAMinimalScenario) {
  auto s = ParseScenario(Minimal());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->time_limit, kDefaultTimeLimitMs);
  EXPECT_FALSE(s->allow_public);
  ASSERT_EQ(s->alerts.size(), 1u);
  EXPECT_EQ(s->alerts[0].labels.at("alertname"), "Drill");
  EXPECT_TRUE(s->expected_actions.empty());
  // The JSON round-trips.
  auto again = ParseScenario(s->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), s->ToJson());
}

TEST(DrillScenario, EveryWrongFieldIsNamed) {
  json body = Minimal();
  body["name"] = "a/b";
  body.erase("service");
  body["time_limit"] = "30s";
  body["allow_public"] = "yes";
  body["colour"] = "red";
  body["alerts"] = json::array({{{"labels", {{"drill_run", "1"}, {"n", 2}}}, {"extra", 1}}, 7});
  body["expected_actions"] = json::array({"dance",
                                          "assign_role",
                                          "acknowledge:now",
                                          {{"action", "post_update"}, {"within", "0s"}},
                                          "check_runbook_step:0",
                                          "check_runbook_step:3",
                                          "mark_moment:lunch",
                                          {{"action", "resolve"}, {"by", "me"}},
                                          42});
  auto s = ParseScenario(body);
  ASSERT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Fields(s.status()),
            (std::set<std::string>{
                "/name", "/service", "/time_limit", "/allow_public", "/colour",
                "/alerts/0/labels/drill_run", "/alerts/0/labels/n", "/alerts/0/extra", "/alerts/1",
                "/expected_actions/0", "/expected_actions/1", "/expected_actions/2",
                "/expected_actions/3/within", "/expected_actions/4", "/expected_actions/6",
                "/expected_actions/7/by", "/expected_actions/8"}))
      << s.status().ToString();
  EXPECT_EQ(ParseScenario(json::array()).status().code(), Code::kInvalidArgument);
  json many = Minimal();
  many["alerts"] = json::array();
  for (int i = 0; i < 21; ++i) many["alerts"].push_back({{"labels", {{"i", std::to_string(i)}}}});
  EXPECT_EQ(Fields(ParseScenario(many).status()), std::set<std::string>{"/alerts"});
}

TEST(DrillScenario, ExpectedActionsParseAndMatchTheirEvents) {
  json body = Minimal();
  body["expected_actions"] = json::array({"acknowledge",
                                          {{"action", "assign_role:commander"}, {"within", "10m"}},
                                          "run_action:failover",
                                          "check_runbook_step:2",
                                          "mark_moment:service_restored",
                                          "resolve"});
  auto s = ParseScenario(body);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto& x = s->expected_actions;
  ASSERT_EQ(x.size(), 6u);
  EXPECT_EQ(x[1].Name(), "assign_role:commander");
  EXPECT_EQ(x[1].within, 10 * kMin);
  auto ev = [](std::string kind, json data, events::Actor actor = {"user", 1, "ada"}) {
    return events::Event::Of(std::move(kind), std::move(actor), std::move(data), 7);
  };
  EXPECT_TRUE(x[0].MatchedBy(ev("incident.acknowledged", json::object())));
  EXPECT_FALSE(x[0].MatchedBy(ev("incident.resolved", json::object())));
  EXPECT_TRUE(x[1].MatchedBy(ev("incident.role_assigned", {{"role", "commander"}})));
  // The engine filling a role from its schedule is not someone assigning it.
  EXPECT_FALSE(x[1].MatchedBy(
      ev("incident.role_assigned", {{"role", "commander"}}, {"system", std::nullopt, "engine"})));
  EXPECT_FALSE(x[1].MatchedBy(ev("incident.role_assigned", {{"role", "scribe"}})));
  EXPECT_TRUE(x[2].MatchedBy(ev("incident.action_run", {{"action", "failover"}})));
  EXPECT_FALSE(x[2].MatchedBy(ev("incident.action_run", {{"action", "rollback"}})));
  EXPECT_TRUE(x[3].MatchedBy(ev("incident.runbook_step_checked", {{"step", 2}, {"done", true}})));
  EXPECT_FALSE(x[3].MatchedBy(ev("incident.runbook_step_checked", {{"step", 2}, {"done", false}})));
  EXPECT_FALSE(x[3].MatchedBy(ev("incident.runbook_step_checked", {{"step", 1}, {"done", true}})));
  EXPECT_TRUE(x[4].MatchedBy(ev("incident.moment_marked", {{"moment", "service_restored"}})));
  // What the drill did itself does not count: its resolution at the time limit, or the
  // drill integration's.
  EXPECT_TRUE(x[5].MatchedBy(ev("incident.resolved", json::object())));
  EXPECT_FALSE(x[5].MatchedBy(ev("incident.resolved", json::object(), DrillActor())));
  EXPECT_FALSE(
      x[5].MatchedBy(ev("incident.resolved", json::object(), {"integration", 3, "klaxon-drills"})));
}

TEST(DrillScenario, AlertsForARunCarryTheDrillLabels) {
  json body = Minimal();
  body["alerts"] = json::array(
      {{{"labels", {{"alertname", "DBDown"}, {"severity", "critical"}, {"service", "other"}}}},
       {{"labels", {{"instance", "db-2"}}}, {"annotations", {{"summary", "Replica lag"}}}}});
  auto s = ParseScenario(body);
  ASSERT_TRUE(s.ok());
  auto alerts = AlertsForRun(*s, 12, "checkout", kT0);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].labels.at("drill_run"), "12");
  EXPECT_EQ(alerts[0].labels.at("service"), "checkout");   // always the scenario's
  EXPECT_EQ(alerts[0].labels.at("severity"), "critical");  // the alert's own wins
  EXPECT_EQ(alerts[0].annotations.at("summary"), "Drill: db-failover");
  EXPECT_EQ(alerts[1].labels.at("severity"), "SEV-1");
  EXPECT_EQ(alerts[1].labels.at("alertname"), "Drill");
  EXPECT_EQ(alerts[1].annotations.at("summary"), "Replica lag");
  EXPECT_EQ(alerts[0].fingerprint, intake::Fingerprint(alerts[0].labels));
  EXPECT_NE(alerts[0].fingerprint, AlertsForRun(*s, 13, "checkout", kT0)[0].fingerprint);
  EXPECT_TRUE(alerts[0].firing);
  EXPECT_EQ(alerts[0].starts_at, kT0);
}

// A SEV-1 level: ack in 15m, resolve in 1h, updates every 20m, a commander required.
playbook::Severity Level() {
  playbook::Severity l;
  l.name = "SEV-1";
  l.ack_target = 15 * kMin;
  l.resolve_target = 60 * kMin;
  l.update_every = 20 * kMin;
  l.required_roles = {"commander"};
  return l;
}

RunFacts Facts(const playbook::Severity& level) {
  json body = Minimal();
  body["expected_actions"] =
      json::array({"acknowledge", {{"action", "run_action:failover"}, {"within", "10m"}}});
  body["time_limit"] = "45m";
  RunFacts f;
  f.run_id = 3;
  f.scenario = ParseScenario(body).value();
  f.status = "running";
  f.started_at = kT0;
  f.ends_at = kT0 + 45 * kMin;
  incidents::Incident inc;
  inc.id = 7;
  inc.title = "Primary database unreachable";
  inc.severity = "SEV-1";
  inc.drill = true;
  inc.created_at = kT0;
  f.incident = inc;
  f.level = &level;
  auto at = [](TimeMs t, std::string kind, json data, events::Actor a = {"user", 1, "ada"}) {
    events::Event e = events::Event::Of(std::move(kind), std::move(a), std::move(data), 7);
    e.at = t;
    return e;
  };
  f.events = {at(kT0, "incident.declared", {{"severity", "SEV-1"}}, {"integration", 3, "drills"}),
              at(kT0, "escalation.step_fired", {{"step", 1}}, events::Actor::System()),
              at(kT0 + 5 * kMin, "escalation.step_fired", {{"step", 2}}, events::Actor::System()),
              at(kT0 + 6 * kMin, "incident.acknowledged", json::object()),
              at(kT0 + 8 * kMin, "incident.role_assigned", {{"role", "commander"}, {"user", "bo"}}),
              at(kT0 + 12 * kMin, "incident.action_run", {{"action", "failover"}})};
  f.now = kT0 + 14 * kMin;
  return f;
}

std::map<std::string, std::string> States(const json& items) {
  std::map<std::string, std::string> out;
  for (const auto& i : items) out[i.value("name", i.value("action", ""))] = i["state"];
  return out;
}

TEST(DrillReport, WhileRunningWhatIsDoneIsJudgedAndTheRestPending) {
  playbook::Severity level = Level();
  json r = BuildReport(Facts(level));
  EXPECT_EQ(States(r["targets"]), (std::map<std::string, std::string>{{"classification", "met"},
                                                                      {"paged", "met"},
                                                                      {"acknowledge", "met"},
                                                                      {"role:commander", "met"},
                                                                      {"first_update", "pending"},
                                                                      {"resolve", "pending"},
                                                                      {"time_limit", "pending"}}));
  // The rollback came 2 minutes after its 10.
  EXPECT_EQ(States(r["expected_actions"]),
            (std::map<std::string, std::string>{{"acknowledge", "met"},
                                                {"run_action:failover", "missed"}}));
  EXPECT_EQ(r["targets"][2]["took"], "6m");
  EXPECT_EQ(r["targets"][2]["by"], "ada");
  EXPECT_EQ(r["targets"][3]["by"], "bo");
  EXPECT_EQ(r["paging"]["escalation_steps"], 2);
  EXPECT_EQ(r["paging"]["escalation_steps_before_ack"], 2);
  EXPECT_EQ(r["summary"],
            (json{{"met", 5}, {"missed", 1}, {"pending", 3}, {"result", "in_progress"}}));
  EXPECT_EQ(r["incident"]["title"], "[DRILL] Primary database unreachable");
}

TEST(DrillReport, AfterTheEndNothingIsPending) {
  playbook::Severity level = Level();
  RunFacts f = Facts(level);
  // The update came late (25 min for 20); the team resolved at 40 min: within the time
  // limit and the resolve target.
  events::Event up = events::Event::Of("incident.update_posted", {"user", 1, "ada"}, {}, 7);
  up.at = kT0 + 25 * kMin;
  events::Event res = events::Event::Of("incident.resolved", {"user", 1, "ada"}, {}, 7);
  res.at = kT0 + 40 * kMin;
  f.events.push_back(up);
  f.events.push_back(res);
  f.status = "finished";
  f.outcome = "resolved";
  f.finished_at = kT0 + 40 * kMin;
  f.now = kT0 + 90 * kMin;
  json r = BuildReport(f);
  auto t = States(r["targets"]);
  EXPECT_EQ(t["first_update"], "missed");
  EXPECT_EQ(t["resolve"], "met");
  EXPECT_EQ(t["time_limit"], "met");
  EXPECT_EQ(r["summary"]["result"], "failed");
  EXPECT_EQ(r["summary"]["pending"], 0);

  // Ended by the time limit instead: the drill's own resolution is not the team's.
  RunFacts g = Facts(level);
  events::Event timeout = events::Event::Of("incident.resolved", DrillActor(), {}, 7);
  timeout.at = kT0 + 45 * kMin;
  g.events.push_back(timeout);
  g.status = "finished";
  g.outcome = "time_limit";
  g.finished_at = kT0 + 45 * kMin;
  g.now = kT0 + 45 * kMin;
  auto u = States(BuildReport(g)["targets"]);
  EXPECT_EQ(u["resolve"], "missed");
  EXPECT_EQ(u["time_limit"], "missed");
  EXPECT_EQ(u["first_update"], "missed");
}

TEST(DrillReport, ACancelledRunIsJudgedAsOfTheCancel) {
  playbook::Severity level = Level();
  RunFacts f = Facts(level);
  f.status = "cancelled";
  f.outcome = "cancelled";
  f.finished_at = kT0 + 14 * kMin;
  f.now = kT0 + 3 * 60 * kMin;
  json r = BuildReport(f);
  auto t = States(r["targets"]);
  EXPECT_EQ(t["first_update"], "pending");  // due at 20 min: not yet when cancelled
  EXPECT_EQ(t["resolve"], "pending");
  EXPECT_EQ(t["acknowledge"], "met");
  EXPECT_EQ(r["summary"]["result"], "cancelled");
}

TEST(DrillReport, ClassificationRecordOnlyLevelsAndNoIncident) {
  playbook::Severity level = Level();
  level.page = playbook::PageMode::kNever;
  RunFacts f = Facts(level);
  f.events[0].data["severity"] = "SEV-3";  // the rules classified it lower
  json r = BuildReport(f);
  auto t = States(r["targets"]);
  EXPECT_EQ(t["classification"], "missed");
  EXPECT_FALSE(t.count("paged"));  // a record-only level pages nobody: no target
  EXPECT_EQ(r["targets"][0]["actual"], "SEV-3");

  RunFacts none;
  none.scenario = ParseScenario(Minimal()).value();
  none.status = "scheduled";
  EXPECT_EQ(BuildReport(none)["summary"]["result"], "scheduled");
  none.status = "failed";
  EXPECT_EQ(BuildReport(none)["summary"]["result"], "not_run");
}

TEST(DrillReport, MarkdownShowsTheTablesAndEscapesCells) {
  playbook::Severity level = Level();
  RunFacts f = Facts(level);
  f.scenario.name = "db | failover";
  json r = BuildReport(f);
  std::string md = ReportMarkdown(r);
  EXPECT_NE(md.find("# DRILL report: db \\| failover (run 3)"), std::string::npos) << md;
  EXPECT_NE(md.find("| acknowledge | 15m | 6m | ada | met |"), std::string::npos) << md;
  EXPECT_NE(md.find("| run_action:failover | 10m | 12m | ada | **MISSED** |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("Escalation steps fired: 2 (2 before acknowledgement)"), std::string::npos)
      << md;
}

}  // namespace
}  // namespace klaxon::drills
