#include "followup/reports.h"

#include <gtest/gtest.h>

#include <set>

namespace klaxon::followup {
namespace {

using nlohmann::json;

std::set<std::string> Fields(const Status& s) {
  std::set<std::string> out;
  for (const auto& f : s.fields()) out.insert(f.field);
  return out;
}

TEST(ReportSchedule, DefaultsAndDuplicates) {
  auto s = ParseReportSchedule(
      {{"recipients", {"leads@example.com", "cto@example.com", "leads@example.com"}}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->recipients, (std::vector<std::string>{"leads@example.com", "cto@example.com"}));
  EXPECT_EQ(s->every, "quarter");
  EXPECT_EQ(s->hour, 9);
  auto again = ParseReportSchedule(s->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), s->ToJson());
  auto monthly =
      ParseReportSchedule({{"recipients", {"a@example.com"}}, {"every", "month"}, {"hour", 0}});
  ASSERT_TRUE(monthly.ok());
  EXPECT_EQ((std::pair{monthly->every, monthly->hour}), (std::pair{std::string("month"), 0}));
}

TEST(ReportSchedule, EveryWrongFieldIsNamed) {
  auto s = ParseReportSchedule({{"recipients",
                                 {"ok@example.com", "no-at", "a@b", "x@example.com>", 7,
                                  "two@@example.com", "@example.com", "a b@example.com"}},
                                {"every", "week"},
                                {"hour", 24},
                                {"colour", "red"}});
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Fields(s.status()),
            (std::set<std::string>{"/recipients/1", "/recipients/2", "/recipients/3",
                                   "/recipients/4", "/recipients/5", "/recipients/6",
                                   "/recipients/7", "/every", "/hour", "/colour"}));
  EXPECT_EQ(Fields(ParseReportSchedule({{"recipients", json::array()}}).status()),
            std::set<std::string>{"/recipients"});
  EXPECT_EQ(Fields(ParseReportSchedule(json::object()).status()),
            std::set<std::string>{"/recipients"});
  EXPECT_EQ(
      Fields(ParseReportSchedule({{"recipients", {"a@example.com"}}, {"hour", "9"}}).status()),
      std::set<std::string>{"/hour"});
  EXPECT_EQ(ParseReportSchedule(json::array()).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace klaxon::followup
