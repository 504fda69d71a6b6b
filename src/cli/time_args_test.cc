#include "cli/time_args.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace klaxon::cli {
namespace {

const TimeMs kNow = *ParseTime("2026-11-25T22:45:41.123Z");
constexpr TimeMs kMinute = 60'000;

TEST(CliTimeArgsTest, AcceptsRfc3339WithAZone) {
  EXPECT_EQ(ParseTimeArg("2026-11-25T09:00:00Z", kNow), ParseTime("2026-11-25T09:00:00.000Z"));
  EXPECT_EQ(ParseTimeArg("2026-11-25T10:00:00+01:00", kNow), ParseTime("2026-11-25T09:00:00.000Z"));
  EXPECT_EQ(ParseTimeArg("2026-11-25T09:00:00", kNow), std::nullopt);  // Zone required.
}

TEST(CliTimeArgsTest, AcceptsNowAndOffsetsFromNow) {
  EXPECT_EQ(ParseTimeArg("now", kNow), kNow);
  EXPECT_EQ(ParseTimeArg("+30m", kNow), kNow + 30 * kMinute);
  EXPECT_EQ(ParseTimeArg("-2h", kNow), kNow - 120 * kMinute);
  EXPECT_EQ(ParseTimeArg("+1d", kNow), kNow + 24 * 60 * kMinute);
  EXPECT_EQ(ParseTimeArg("+1w", kNow), kNow + 7 * 24 * 60 * kMinute);
  EXPECT_EQ(ParseTimeArg("+1h30m", kNow), kNow + 90 * kMinute);
  EXPECT_EQ(ParseTimeArg("+45s", kNow), kNow + 45'000);
  EXPECT_EQ(ParseTimeArg("+0m", kNow), kNow);
}

TEST(CliTimeArgsTest, RejectsEverythingElse) {
  for (const char* text :
       {"", "+", "-", "2h", "+2", "+h", "+2x", "+2h-", "+2 h", "+-2h", "tomorrow", "Now",
        "+9999999m", "+500d", "2026-11-25", "2026-13-01T00:00:00Z"}) {
    EXPECT_EQ(ParseTimeArg(text, kNow), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace klaxon::cli
