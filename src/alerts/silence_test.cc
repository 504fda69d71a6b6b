#include "alerts/silence.h"

#include <gtest/gtest.h>

namespace klaxon::alerts {
namespace {

Matcher M(const std::string& name, const std::string& op, const std::string& value) {
  auto m = ParseMatcher({{"name", name}, {"op", op}, {"value", value}}, "/matchers/0");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.value();
}

TEST(Silence, EqualityAndNegation) {
  intake::Labels l = {{"alertname", "HighLatency"}, {"service", "checkout"}};
  EXPECT_TRUE(M("service", "=", "checkout").Matches(l));
  EXPECT_FALSE(M("service", "!=", "checkout").Matches(l));
  EXPECT_TRUE(M("team", "=", "").Matches(l)) << "an absent label equals the empty string";
  EXPECT_TRUE(M("team", "!=", "payments").Matches(l));
}

TEST(Silence, RegexesAreAnchored) {
  intake::Labels l = {{"instance", "api-12:8080"}};
  EXPECT_TRUE(M("instance", "=~", "api-[0-9]+:8080").Matches(l));
  EXPECT_FALSE(M("instance", "=~", "api-1").Matches(l)) << "must match the whole value";
  EXPECT_TRUE(M("instance", "!~", "db-.*").Matches(l));
  EXPECT_FALSE(M("instance", "!~", "api-.*").Matches(l));
  EXPECT_TRUE(M("instance", "=~", "db|api-12:8080").Matches(l)) << "alternation stays anchored";
}

TEST(Silence, EveryMatcherMustMatchWithinTheWindow) {
  Silence s;
  s.matchers = {M("alertname", "=", "HighLatency"), M("service", "=~", "check.*")};
  s.starts_at = 1000;
  s.ends_at = 2000;
  EXPECT_TRUE(s.Matches({{"alertname", "HighLatency"}, {"service", "checkout"}}));
  EXPECT_FALSE(s.Matches({{"alertname", "HighLatency"}, {"service", "search"}}));
  EXPECT_FALSE(s.ActiveAt(999));
  EXPECT_TRUE(s.ActiveAt(1000));
  EXPECT_FALSE(s.ActiveAt(2000));
  s.expired_at = 1500;
  EXPECT_FALSE(s.ActiveAt(1200));
  EXPECT_EQ(s.ToJson(1200)["state"], "expired");
  Silence empty;
  empty.starts_at = 0;
  empty.ends_at = 10;
  EXPECT_FALSE(empty.Matches({{"a", "b"}})) << "a silence without matchers silences nothing";
}

TEST(Silence, BadMatchersNameTheField) {
  EXPECT_EQ(ParseMatcher({{"name", "a"}, {"op", "~="}, {"value", "x"}}, "/matchers/2")
                .status()
                .fields()[0]
                .field,
            "/matchers/2/op");
  EXPECT_EQ(ParseMatcher({{"name", "a"}, {"op", "=~"}, {"value", "("}}, "/matchers/0")
                .status()
                .fields()[0]
                .field,
            "/matchers/0/value");
  EXPECT_EQ(ParseMatcher({{"op", "="}, {"value", "x"}}, "/m").status().fields()[0].field,
            "/m/name");
  EXPECT_FALSE(
      ParseMatcher({{"name", "a"}, {"op", "=~"}, {"value", std::string(1001, 'a')}}, "/m").ok());
}

}  // namespace
}  // namespace klaxon::alerts
