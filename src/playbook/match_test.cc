#include "playbook/match.h"

#include <gtest/gtest.h>

namespace klaxon::playbook {
namespace {

TEST(PlaybookMatch, MatchersFollowAlertmanager) {
  LabelMap l{{"alertname", "CheckoutErrorRate"}, {"env", "prod"}};
  EXPECT_TRUE(Matches({"alertname", "=", "CheckoutErrorRate"}, l));
  EXPECT_FALSE(Matches({"alertname", "!=", "CheckoutErrorRate"}, l));
  EXPECT_TRUE(Matches({"alertname", "=~", "Checkout.*"}, l));
  EXPECT_FALSE(Matches({"alertname", "=~", "Checkout"}, l));  // anchored
  EXPECT_TRUE(Matches({"env", "!~", "stag.*"}, l));
  EXPECT_TRUE(Matches({"team", "=", ""}, l));    // absent matches as ""
  EXPECT_FALSE(Matches({"env", "=~", "("}, l));  // invalid regex never matches
  EXPECT_FALSE(Matches({"env", "!~", "("}, l));
  EXPECT_TRUE(MatchesAll({}, l));
}

TEST(PlaybookMatch, ConditionsCompareNumbers) {
  LabelMap labels{{"code", "503"}};
  LabelMap ann{{"value", "0.12"}, {"p99_seconds", " 2 "}, {"text", "high"}};
  EXPECT_TRUE(Holds({"annotation", "value", ">", 0.1}, labels, ann));
  EXPECT_FALSE(Holds({"annotation", "value", ">", 0.12}, labels, ann));
  EXPECT_TRUE(Holds({"annotation", "value", ">=", 0.12}, labels, ann));
  EXPECT_TRUE(Holds({"annotation", "p99_seconds", "==", 2}, labels, ann));
  EXPECT_TRUE(Holds({"label", "code", ">=", 500}, labels, ann));
  EXPECT_FALSE(Holds({"annotation", "text", ">", 0}, labels, ann));
  EXPECT_FALSE(Holds({"annotation", "missing", "<", 1}, labels, ann));
  EXPECT_EQ(Describe({"annotation", "value", ">", 0.1}), "> 0.1");
  EXPECT_EQ(Describe({"annotation", "p99_seconds", ">=", 2}), "p99_seconds >= 2");
}

TEST(PlaybookMatch, ClassifyTakesTheFirstRuleThatHolds) {
  std::vector<ClassificationRule> rules(3);
  rules[0].name = "checkout down";
  rules[0].match = {{"alertname", "=", "CheckoutDown"}};
  rules[0].severity = "SEV-0";
  rules[1].name = "error rate > 10%";
  rules[1].match = {{"alertname", "=", "CheckoutErrorRate"}};
  rules[1].conditions = {{"annotation", "value", ">", 0.1}};
  rules[1].severity = "SEV-1";
  rules[2].name = "everything else";
  rules[2].severity = "SEV-3";
  auto c = Classify(rules, {{"alertname", "CheckoutErrorRate"}}, {{"value", "0.2"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->severity, "SEV-1");
  EXPECT_EQ(c->rule, "error rate > 10%");
  c = Classify(rules, {{"alertname", "CheckoutErrorRate"}}, {{"value", "0.05"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rule, "everything else");
  rules.pop_back();
  EXPECT_FALSE(Classify(rules, {{"alertname", "Other"}}, {}));
}

}  // namespace
}  // namespace klaxon::playbook
