#include "cli/ids.h"

#include <gtest/gtest.h>

namespace klaxon::cli {
namespace {

TEST(CliIdsTest, NormalizesIncidentIds) {
  EXPECT_EQ(NormalizeIncidentId("42"), "42");
  EXPECT_EQ(NormalizeIncidentId("INC-42"), "42");
  EXPECT_EQ(NormalizeIncidentId("inc-42"), "42");
  EXPECT_EQ(NormalizeIncidentId("#42"), "42");
  EXPECT_EQ(NormalizeIncidentId("INC-007"), "7");
}

TEST(CliIdsTest, RejectsOtherIncidentIds) {
  for (const char* text : {"", "INC-", "INC42", "INC-4x", "-1", "0", "INC-0", "4 2", "42/..",
                           "SEV-1", "99999999999999999999", "#", "1e3"}) {
    EXPECT_EQ(NormalizeIncidentId(text), std::nullopt) << text;
  }
}

TEST(CliIdsTest, ParsesPositiveIntegers) {
  EXPECT_EQ(ParsePositiveInt("1"), 1);
  EXPECT_EQ(ParsePositiveInt("200"), 200);
  EXPECT_EQ(ParsePositiveInt("9007199254740992"), int64_t{1} << 53);
  EXPECT_EQ(ParsePositiveInt("9007199254740993"), std::nullopt);
  EXPECT_EQ(ParsePositiveInt("0"), std::nullopt);
  EXPECT_EQ(ParsePositiveInt("+5"), std::nullopt);
  EXPECT_EQ(ParsePositiveInt(" 5"), std::nullopt);
  EXPECT_EQ(ParsePositiveInt(""), std::nullopt);
}

TEST(CliIdsTest, FormatsReferences) { EXPECT_EQ(IncidentRef("42"), "INC-42"); }

}  // namespace
}  // namespace klaxon::cli
