#include "remediation/automation.h"

#include <gtest/gtest.h>

namespace klaxon::remediation {
namespace {

constexpr TimeMs kMinute = 60000;
constexpr TimeMs kT0 = 1'790'000'000'000;  // any instant

playbook::AutomationRule Rule(TimeMs for_ms, TimeMs cooldown, int max_runs) {
  playbook::AutomationRule r;
  r.name = "rollback on 5xx";
  r.selector = {{"alertname", "=", "CheckoutErrorRate"}};
  r.condition = {"annotation", "value", ">", 0.05};
  r.for_ms = for_ms;
  r.action = "rollback checkout";
  r.cooldown = cooldown;
  r.max_runs = max_runs;
  return r;
}

TEST(RemediationAutomation, RunsOnceTheConditionHeldForFor) {
  auto rule = Rule(5 * kMinute, 15 * kMinute, 1);
  RuleState s;
  EXPECT_EQ(Observe(rule, s, true, kT0), Decision::kWaiting);
  EXPECT_EQ(s.holding_since, kT0);
  EXPECT_EQ(NextCheck(rule, s), kT0 + 5 * kMinute);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 4 * kMinute), Decision::kWaiting);
  EXPECT_EQ(s.holding_since, kT0);  // unchanged while it keeps holding
  EXPECT_EQ(Observe(rule, s, true, kT0 + 5 * kMinute), Decision::kRun);
  EXPECT_EQ(s.runs, 1);
  EXPECT_EQ(s.last_run_at, kT0 + 5 * kMinute);
  EXPECT_EQ(s.holding_since, std::nullopt);
}

TEST(RemediationAutomation, ForZeroRunsOnTheFirstObservation) {
  auto rule = Rule(0, 15 * kMinute, 1);
  RuleState s;
  EXPECT_EQ(Observe(rule, s, false, kT0), Decision::kIdle);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 1), Decision::kRun);
  EXPECT_EQ(s.runs, 1);
}

TEST(RemediationAutomation, AnInterruptionRestartsTheWait) {
  auto rule = Rule(5 * kMinute, 15 * kMinute, 1);
  RuleState s;
  EXPECT_EQ(Observe(rule, s, true, kT0), Decision::kWaiting);
  EXPECT_EQ(Observe(rule, s, false, kT0 + 3 * kMinute), Decision::kIdle);
  EXPECT_EQ(s.holding_since, std::nullopt);
  EXPECT_EQ(NextCheck(rule, s), std::nullopt);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 4 * kMinute), Decision::kWaiting);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 8 * kMinute), Decision::kWaiting);  // held 4m
  EXPECT_EQ(NextCheck(rule, s), kT0 + 9 * kMinute);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 9 * kMinute), Decision::kRun);
  EXPECT_EQ(s.runs, 1);
}

TEST(RemediationAutomation, CooldownHoldsBackTheNextRun) {
  auto rule = Rule(1 * kMinute, 15 * kMinute, 3);
  RuleState s;
  const TimeMs run1 = kT0 + kMinute;
  EXPECT_EQ(Observe(rule, s, true, kT0), Decision::kWaiting);
  EXPECT_EQ(Observe(rule, s, true, run1), Decision::kRun);
  // Still holding after the run: `for` counts again from the next observation...
  EXPECT_EQ(Observe(rule, s, true, run1 + kMinute), Decision::kWaiting);
  EXPECT_EQ(s.holding_since, run1 + kMinute);
  // ...and once it has held long enough, the cooldown decides.
  EXPECT_EQ(Observe(rule, s, true, run1 + 3 * kMinute), Decision::kCoolingDown);
  EXPECT_EQ(s.runs, 1);
  EXPECT_EQ(NextCheck(rule, s), run1 + 15 * kMinute);
  EXPECT_EQ(Observe(rule, s, true, run1 + 15 * kMinute - 1), Decision::kCoolingDown);
  EXPECT_EQ(Observe(rule, s, true, run1 + 15 * kMinute), Decision::kRun);
  EXPECT_EQ(s.runs, 2);
  EXPECT_EQ(s.last_run_at, run1 + 15 * kMinute);
}

TEST(RemediationAutomation, AConditionThatStopsDuringTheCooldownStartsOver) {
  auto rule = Rule(2 * kMinute, 10 * kMinute, 3);
  RuleState s;
  EXPECT_EQ(Observe(rule, s, true, kT0), Decision::kWaiting);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 2 * kMinute), Decision::kRun);
  EXPECT_EQ(Observe(rule, s, false, kT0 + 5 * kMinute), Decision::kIdle);
  EXPECT_EQ(NextCheck(rule, s), std::nullopt);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 11 * kMinute), Decision::kWaiting);  // cooldown over
  EXPECT_EQ(NextCheck(rule, s), kT0 + 13 * kMinute);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 13 * kMinute), Decision::kRun);
}

TEST(RemediationAutomation, StopsAtMaxRuns) {
  auto rule = Rule(0, 0, 2);
  RuleState s;
  EXPECT_EQ(Observe(rule, s, true, kT0), Decision::kRun);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 1), Decision::kRun);
  EXPECT_EQ(s.runs, 2);
  EXPECT_EQ(Observe(rule, s, true, kT0 + 2), Decision::kMaxRunsReached);
  EXPECT_EQ(Observe(rule, s, false, kT0 + 3), Decision::kMaxRunsReached);
  EXPECT_EQ(s.runs, 2);
  EXPECT_EQ(s.holding_since, std::nullopt);
  EXPECT_EQ(NextCheck(rule, s), std::nullopt);
}

TEST(RemediationAutomation, DisabledNeverRuns) {
  auto rule = Rule(0, 0, 5);
  rule.enabled = false;
  RuleState s;
  s.holding_since = kT0;
  EXPECT_EQ(Observe(rule, s, true, kT0 + kMinute), Decision::kDisabled);
  EXPECT_EQ(s.runs, 0);
  EXPECT_EQ(s.holding_since, std::nullopt);  // re-enabling does not count the old wait
  EXPECT_EQ(NextCheck(rule, s), std::nullopt);
}

TEST(RemediationAutomation, NextCheckIsTheLaterOfForAndCooldown) {
  auto rule = Rule(5 * kMinute, 15 * kMinute, 3);
  RuleState s;
  EXPECT_EQ(NextCheck(rule, s), std::nullopt);  // nothing holding
  s.holding_since = kT0;
  EXPECT_EQ(NextCheck(rule, s), kT0 + 5 * kMinute);
  s.last_run_at = kT0 - 20 * kMinute;  // cooldown long over
  EXPECT_EQ(NextCheck(rule, s), kT0 + 5 * kMinute);
  s.last_run_at = kT0 - 2 * kMinute;  // cooldown ends at kT0 + 13m
  EXPECT_EQ(NextCheck(rule, s), kT0 + 13 * kMinute);
  // At that moment, with the condition still holding, Observe runs.
  EXPECT_EQ(Observe(rule, s, true, kT0 + 13 * kMinute), Decision::kRun);
}

TEST(RemediationAutomation, ObserveAlertAppliesSelectorAndCondition) {
  auto rule = Rule(0, 0, 5);
  RuleState s;
  playbook::LabelMap other{{"alertname", "DiskFull"}};
  playbook::LabelMap labels{{"alertname", "CheckoutErrorRate"}, {"service", "checkout"}};
  EXPECT_EQ(ObserveAlert(rule, s, other, {{"value", "0.9"}}, kT0), std::nullopt);
  EXPECT_EQ(s, RuleState{});
  EXPECT_EQ(ObserveAlert(rule, s, labels, {{"value", "0.01"}}, kT0), Decision::kIdle);
  EXPECT_EQ(ObserveAlert(rule, s, labels, {{"value", "n/a"}}, kT0), Decision::kIdle);
  EXPECT_EQ(ObserveAlert(rule, s, labels, {{"value", "0.12"}}, kT0), Decision::kRun);
}

TEST(RemediationAutomation, StateRoundTripsThroughJson) {
  RuleState s;
  EXPECT_EQ(s.ToJson(),
            (nlohmann::json{{"holding_since", nullptr}, {"runs", 0}, {"last_run_at", nullptr}}));
  EXPECT_EQ(RuleState::FromJson(s.ToJson()), s);
  s.holding_since = kT0;
  s.runs = 2;
  s.last_run_at = kT0 - kMinute;
  EXPECT_EQ(s.ToJson()["holding_since"], kT0);
  EXPECT_EQ(RuleState::FromJson(s.ToJson()), s);
  // Lenient: junk gives defaults, never an exception.
  EXPECT_EQ(RuleState::FromJson(nullptr), RuleState{});
  EXPECT_EQ(RuleState::FromJson(nlohmann::json::array()), RuleState{});
  EXPECT_EQ(RuleState::FromJson({{"runs", "two"}, {"last_run_at", "yesterday"}}), RuleState{});
  EXPECT_EQ(RuleState::FromJson({{"runs", -3}}).runs, 0);
}

TEST(RemediationAutomation, DecisionNames) {
  EXPECT_STREQ(DecisionName(Decision::kIdle), "idle");
  EXPECT_STREQ(DecisionName(Decision::kWaiting), "waiting");
  EXPECT_STREQ(DecisionName(Decision::kRun), "run");
  EXPECT_STREQ(DecisionName(Decision::kCoolingDown), "cooling_down");
  EXPECT_STREQ(DecisionName(Decision::kMaxRunsReached), "max_runs_reached");
  EXPECT_STREQ(DecisionName(Decision::kDisabled), "disabled");
}

}  // namespace
}  // namespace klaxon::remediation
