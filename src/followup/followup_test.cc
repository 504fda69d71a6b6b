#include <gtest/gtest.h>

#include "followup/action_items.h"
#include "followup/webhooks.h"
#include "store/test_store.h"

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

// A subscription change that rolls back leaves the cache trusted again: before, it stayed
// counted as pending for good, and every later event read the subscriptions anew. The
// test sees which: a row deleted behind the service's back (raw SQL, no change recorded)
// is still delivered to from the cache, and no longer once the cache is read again.
TEST(Webhooks, ARolledBackChangeLeavesTheCacheInUse) {
  store::TempStore db("klaxon_webhooks_test");
  ASSERT_TRUE(db.status().ok()) << db.status().ToString();
  ManualClock clock(1'700'000'000'000);
  events::EventBus bus;
  events::EventLog log(clock, bus);
  Webhooks hooks(clock, log);
  int delivered = 0;
  hooks.SetEnqueue([&](store::Tx&, const WebhookDelivery&) {
    ++delivered;
    return Status::Ok();
  });
  hooks.Install();
  const events::Actor admin{"user", 1, "admin"};
  auto append = [&] {
    return db->Write([&](store::Tx& tx) {
      return log.Append(tx, events::Event::Of("incident.declared", admin, {}, 1)).status();
    });
  };
  ASSERT_TRUE(
      db->Write([&](store::Tx& tx) {
          return hooks.Create(tx, "mirror", "http://127.0.0.1:9/x", {"incident.*"}, admin).status();
        }).ok());
  EXPECT_FALSE(db->Write([&](store::Tx& tx) {
                   auto r =
                       hooks.Create(tx, "other", "http://127.0.0.1:9/y", {"incident.*"}, admin);
                   return r.ok() ? Internal("rolled back on purpose") : r.status();
                 }).ok());
  ASSERT_TRUE(append().ok());
  EXPECT_EQ(delivered, 1) << "the committed subscription, not the rolled-back one";
  ASSERT_TRUE(db->Write([](store::Tx& tx) { return tx.Exec("DELETE FROM webhooks"); }).ok());
  ASSERT_TRUE(append().ok());
  EXPECT_EQ(delivered, 2) << "the cache is in use: nothing is pending";
}

}  // namespace
}  // namespace klaxon::followup
