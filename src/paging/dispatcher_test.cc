#include "paging/dispatcher.h"

#include <gtest/gtest.h>

namespace klaxon::paging {
namespace {

TEST(AddressBudgetTest, ABurstLeavesAtOnceThenTheRateHolds) {
  AddressBudget budget(/*rate=*/5, /*burst=*/3, /*now_ms=*/1000);
  EXPECT_EQ(budget.Take(1000), 0);
  EXPECT_EQ(budget.Take(1001), 0);
  EXPECT_EQ(budget.Take(1002), 0);
  // Empty: the next token comes 200 ms after the last refill (5 per second).
  int64_t wait = budget.Take(1002);
  EXPECT_GE(wait, 199);
  EXPECT_LE(wait, 200);
  EXPECT_GT(budget.Take(1100), 0);  // half a token by now
  EXPECT_EQ(budget.Take(1202), 0);  // one token
  EXPECT_GT(budget.Take(1203), 0);
}

TEST(AddressBudgetTest, RefillsUpToTheBurstOnly) {
  AddressBudget budget(5, 2, 0);
  EXPECT_EQ(budget.Take(0), 0);
  EXPECT_EQ(budget.Take(0), 0);
  // A minute of quiet refills two tokens, not 300.
  EXPECT_EQ(budget.Take(60'000), 0);
  EXPECT_EQ(budget.Take(60'000), 0);
  EXPECT_GT(budget.Take(60'000), 0);
}

TEST(AddressBudgetTest, ASlowRateStillAllowsOneDelivery) {
  AddressBudget budget(0.5, 0.2, 0);  // a burst under one is raised to one
  EXPECT_EQ(budget.Take(0), 0);
  int64_t wait = budget.Take(0);
  EXPECT_GE(wait, 1999);
  EXPECT_LE(wait, 2000);
}

}  // namespace
}  // namespace klaxon::paging
