#include "cli/table.h"

#include <gtest/gtest.h>

namespace klaxon::cli {
namespace {

TEST(CliTableTest, PadsColumnsToTheWidestCellWithoutTrailingBlanks) {
  Table table({"REF", "STATUS", "TITLE"});
  table.AddRow({"INC-1", "triggered", "Checkout errors"});
  table.AddRow({"INC-12", "resolved", "DB"});
  EXPECT_EQ(table.Render(),
            "REF     STATUS     TITLE\n"
            "INC-1   triggered  Checkout errors\n"
            "INC-12  resolved   DB\n");
}

TEST(CliTableTest, EmptyTrailingCellsLeaveNoTrailingBlanks) {
  Table table({"A", "B"});
  table.AddRow({"x"});
  EXPECT_EQ(table.Render(), "A  B\nx\n");
}

TEST(CliTableTest, CountsCodePointsNotBytes) {
  Table table({"NAME", "X"});
  table.AddRow({"caf\u00e9", "1"});
  table.AddRow({"tea", "2"});
  EXPECT_EQ(table.Render(), "NAME  X\ncaf\u00e9  1\ntea   2\n");
}

TEST(CliTableTest, TruncatesToMaxWidthWithEllipsis) {
  Table table({"TITLE"});
  table.SetMaxWidth(0, 5);
  table.AddRow({"abcdefgh"});
  table.AddRow({"abcde"});
  EXPECT_EQ(table.Render(), "TITLE\nabcd\u2026\nabcde\n");
}

TEST(CliTableTest, SanitizesCells) {
  Table table({"T"});
  table.AddRow({"a\x1b[31mred\nb"});
  EXPECT_EQ(table.Render(), "T\na [31mred b\n");
}

TEST(CliTableTest, SanitizeReplacesControlsAndInvalidUtf8) {
  EXPECT_EQ(SanitizeForTerminal("ok \u00e9 \u2603"), "ok \u00e9 \u2603");
  EXPECT_EQ(SanitizeForTerminal("a\tb\x7f"), "a b ");
  EXPECT_EQ(SanitizeForTerminal("\xc2\x9b"
                                "2J"),
            " 2J");  // C1 CSI.
  EXPECT_EQ(SanitizeForTerminal("bad\xff\xc3"), "bad??");
  EXPECT_EQ(SanitizeForTerminal("\xed\xa0\x80"), "???");  // A UTF-16 surrogate.
}

TEST(CliTableTest, TruncateToWidthKeepsWholeCodePoints) {
  EXPECT_EQ(TruncateToWidth("\u00e9\u00e9\u00e9\u00e9", 3), "\u00e9\u00e9\u2026");
  EXPECT_EQ(TruncateToWidth("abc", 3), "abc");
  EXPECT_EQ(TruncateToWidth("abc", 0), "");
  EXPECT_EQ(DisplayWidth("\u2603x"), 2u);
}

}  // namespace
}  // namespace klaxon::cli
