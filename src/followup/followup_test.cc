#include <gtest/gtest.h>

#include "followup/action_items.h"
#include "followup/webhooks.h"

namespace klaxon::followup {
namespace {

constexpr TimeMs kDay = 86'400'000;

TEST(ActionItemReminders, ADayBeforeTheDayAfterThenWeekly) {
  TimeMs created = 0, due = 10 * kDay;
  EXPECT_EQ(NextActionReminder(created, due, 0), due - kDay);
  EXPECT_EQ(NextActionReminder(created, due, 1), due + kDay);
  EXPECT_EQ(NextActionReminder(created, due, 2), due + 8 * kDay);
  EXPECT_EQ(NextActionReminder(created, due, 3), due + 15 * kDay);
}

TEST(ActionItemReminders, HalfWayForItemsDueSoonAndNoneWithoutADueTime) {
  EXPECT_EQ(NextActionReminder(0, 12 * 3'600'000, 0), 6 * 3'600'000);
  EXPECT_EQ(NextActionReminder(5, 5, 0), 5);  // due at once: at the due time
  EXPECT_EQ(NextActionReminder(0, std::nullopt, 0), std::nullopt);
}

TEST(Webhooks, PatternsMatchKindsExactlyOrByPrefix) {
  EXPECT_TRUE(WebhookMatches("action_item.*", "action_item.created"));
  EXPECT_TRUE(WebhookMatches("action_item.created", "action_item.created"));
  EXPECT_TRUE(WebhookMatches("*", "incident.declared"));
  EXPECT_FALSE(WebhookMatches("action_item.*", "action_items.created"));
  EXPECT_FALSE(WebhookMatches("action_item.created", "action_item.updated"));
  EXPECT_FALSE(WebhookMatches("action_item", "action_item.created"));
  EXPECT_FALSE(WebhookMatches(".*", "incident.declared"));
}

}  // namespace
}  // namespace klaxon::followup
