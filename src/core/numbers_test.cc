#include "core/numbers.h"

#include <gtest/gtest.h>

namespace klaxon {
namespace {

TEST(ParseInt64, WholeStringOnlyAndBounded) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-7"), -7);
  EXPECT_EQ(ParseInt64("-7", 0), std::nullopt);
  EXPECT_EQ(ParseInt64("0", 1), std::nullopt);
  EXPECT_EQ(ParseInt64("12abc"), std::nullopt);
  EXPECT_EQ(ParseInt64(""), std::nullopt);
  EXPECT_EQ(ParseInt64(" 1"), std::nullopt);
  EXPECT_EQ(ParseInt64("99999999999999999999"), std::nullopt);
}

}  // namespace
}  // namespace klaxon
