#include "cli/render.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace klaxon::cli {
namespace {

const TimeMs kNow = *ParseTime("2026-11-25T22:45:41.123Z");

nlohmann::json Incident(int id, std::string title, std::string created_at) {
  return {{"id", id},
          {"ref", "INC-" + std::to_string(id)},
          {"title", std::move(title)},
          {"description", ""},
          {"impact", ""},
          {"severity", "SEV-2"},
          {"status", "acknowledged"},
          {"service", {{"id", 1}, {"name", "checkout"}}},
          {"created_at", std::move(created_at)},
          {"updated_at", "2026-11-25T22:45:00.000Z"},
          {"acknowledged_at", nullptr},
          {"resolved_at", nullptr},
          {"created_by", "admin"},
          {"resolution_summary", ""}};
}

TEST(CliRenderTest, MemberAndDetailLine) {
  const nlohmann::json object = {{"a", 1}, {"b", nullptr}};
  EXPECT_EQ(Member(object, "a"), 1);
  EXPECT_TRUE(Member(object, "b").is_null());
  EXPECT_TRUE(Member(object, "c").is_null());
  EXPECT_TRUE(Member(nlohmann::json::array({1}), "a").is_null());
  EXPECT_TRUE(Member(nullptr, "a").is_null());

  EXPECT_EQ(DetailLine("Status:", "open"), "Status:        open\n");
  EXPECT_EQ(DetailLine("Status:", ""), "");
  EXPECT_EQ(DetailLine("A long label, this:", "x"), "A long label, this: x\n");
  EXPECT_EQ(DetailLine("Name:", "a\x1b[31mb"), "Name:          a [31mb\n");
}

TEST(CliRenderTest, FormatsAges) {
  EXPECT_EQ(FormatAge(kNow - 5'000, kNow), "5s");
  EXPECT_EQ(FormatAge(kNow - 59'999, kNow), "59s");
  EXPECT_EQ(FormatAge(kNow - 60'000, kNow), "1m");
  EXPECT_EQ(FormatAge(kNow - 3 * 3'600'000, kNow), "3h");
  EXPECT_EQ(FormatAge(kNow - 50 * 3'600'000, kNow), "2d");
  EXPECT_EQ(FormatAge(kNow + 10'000, kNow), "0s");  // Server clock ahead.
}

TEST(CliRenderTest, FormatsTimes) {
  EXPECT_EQ(FormatWhen("2026-11-25T22:45:41.123Z"), "2026-11-25 22:45:41");
  EXPECT_EQ(FormatWhen("2026-11-25T23:45:41+01:00"), "2026-11-25 22:45:41");
  EXPECT_EQ(FormatWhen("yesterday"), "yesterday");
  EXPECT_EQ(FormatWhen(""), "");
}

TEST(CliRenderTest, IncidentTable) {
  nlohmann::json items = nlohmann::json::array();
  items.push_back(Incident(12, "Checkout errors", "2026-11-25T22:40:41.123Z"));
  nlohmann::json other = Incident(3, "Slow search", "2026-11-23T22:45:41.123Z");
  other["service"] = nullptr;
  other["severity"] = "SEV-4";
  other["status"] = "resolved";
  items.push_back(other);
  EXPECT_EQ(RenderIncidentTable(items, kNow),
            "REF     SEVERITY  STATUS        SERVICE   AGE  TITLE\n"
            "INC-12  SEV-2     acknowledged  checkout  5m   Checkout errors\n"
            "INC-3   SEV-4     resolved      -         2d   Slow search\n");
}

TEST(CliRenderTest, IncidentTableSurvivesOddShapes) {
  const nlohmann::json items = {nlohmann::json::object(), 5, {{"ref", 7}, {"service", "db"}}};
  EXPECT_EQ(RenderIncidentTable(items, kNow),
            "REF  SEVERITY  STATUS  SERVICE  AGE  TITLE\n"
            "                       -\n"
            "                       -\n"
            "7                      db\n");
  EXPECT_EQ(RenderIncidentTable(nullptr, kNow), "REF  SEVERITY  STATUS  SERVICE  AGE  TITLE\n");
}

TEST(CliRenderTest, IncidentDetailsAndTimeline) {
  nlohmann::json incident = Incident(42, "Checkout errors", "2026-11-25T22:40:41.123Z");
  incident["acknowledged_at"] = "2026-11-25T22:42:41.000Z";
  incident["impact"] = "10% of payments fail";
  incident["timeline"] = {
      {{"seq", 1},
       {"at", "2026-11-25T22:40:41.123Z"},
       {"kind", "incident.declared"},
       {"actor", {{"type", "user"}, {"id", 1}, {"name", "admin"}}},
       {"incident_id", 42},
       {"data", {{"severity", "SEV-2"}, {"title", "Checkout errors"}}}},
      {{"seq", 2},
       {"at", "2026-11-25T22:42:41.000Z"},
       {"kind", "incident.acknowledged"},
       {"actor", {{"type", "token"}, {"id", 3}, {"name", "ci"}}},
       {"incident_id", 42},
       {"data", nlohmann::json::object()}},
  };
  EXPECT_EQ(RenderIncident(incident, kNow),
            "INC-42  Checkout errors\n"
            "Status:        acknowledged\n"
            "Severity:      SEV-2\n"
            "Service:       checkout\n"
            "Created:       2026-11-25 22:40:41 by admin (5m ago)\n"
            "Acknowledged:  2026-11-25 22:42:41 (3m ago)\n"
            "Impact:        10% of payments fail\n"
            "\n"
            "Timeline:\n"
            "TIME                 ACTOR  EVENT                  DETAILS\n"
            "2026-11-25 22:40:41  admin  incident.declared      severity=SEV-2 "
            "title=\"Checkout errors\"\n"
            "2026-11-25 22:42:41  ci     incident.acknowledged\n");
}

TEST(CliRenderTest, IncidentWithoutTimelineHasNoTimelineSection) {
  const std::string text = RenderIncident(Incident(1, "x", "bad time"), kNow);
  EXPECT_EQ(text.find("Timeline"), std::string::npos);
  EXPECT_NE(text.find("Created:       bad time by admin\n"), std::string::npos);
}

TEST(CliRenderTest, DescribesEventData) {
  EXPECT_EQ(DescribeEventData({{"from", "triggered"},
                               {"to", "investigating"},
                               {"n", 3},
                               {"gone", nullptr},
                               {"text", "say \"hi\""}}),
            "from=triggered n=3 text=\"say \\\"hi\\\"\" to=investigating");
  EXPECT_EQ(DescribeEventData(nullptr), "");
  EXPECT_EQ(DescribeEventData({1, 2}), "[1,2]");
}

TEST(CliRenderTest, ServiceAndTokenTables) {
  EXPECT_EQ(RenderServiceTable(
                {{{"id", 1}, {"name", "checkout"}, {"owner", "payments"}, {"description", "Pays"}},
                 {{"id", 2}, {"name", "search"}, {"owner", ""}}}),
            "ID  NAME      OWNER     DESCRIPTION\n"
            "1   checkout  payments  Pays\n"
            "2   search    -\n");
  EXPECT_EQ(RenderTokenTable({{{"id", 5},
                               {"name", "ci"},
                               {"role", "responder"},
                               {"user", {{"id", 1}, {"username", "admin"}}},
                               {"created_at", "2026-11-25T22:40:41.123Z"},
                               {"last_used_at", nullptr},
                               {"revoked_at", nullptr}},
                              {{"id", 6},
                               {"name", "old"},
                               {"role", "viewer"},
                               {"user", "bob"},
                               {"created_at", "2026-11-24T00:00:00.000Z"},
                               {"last_used_at", "2026-11-24T01:00:00.000Z"},
                               {"revoked_at", "2026-11-25T00:00:00.000Z"}}}),
            "ID  NAME  ROLE       USER   CREATED              LAST USED            REVOKED\n"
            "5   ci    responder  admin  2026-11-25 22:40:41  -                    -\n"
            "6   old   viewer     bob    2026-11-24 00:00:00  2026-11-24 01:00:00  "
            "2026-11-25 00:00:00\n");
}

TEST(CliRenderTest, TokensInListsAreNeverShown) {
  // The list response never carries secrets, but if one did the table has no column for it.
  const std::string table = RenderTokenTable({{{"id", 1}, {"name", "x"}, {"token", "kx_s"}}});
  EXPECT_EQ(table.find("kx_s"), std::string::npos);
}

TEST(CliRenderTest, OnCallViewsSurviveUnexpectedShapes) {
  const nlohmann::json odd[] = {
      nullptr,
      42,
      "text",
      nlohmann::json::array({nullptr, 1, "x", nlohmann::json::array()}),
      {{"items", "nope"}, {"steps", 3}, {"layers", {1, nullptr}}},
      {{"user", 5}, {"schedule", "s"}, {"rotation", nullptr}},
      {{"contact_methods", {{{"id", nullptr}}}}, {"notification_rules", {7}}, {"policy", 1}}};
  for (const nlohmann::json& value : odd) {
    EXPECT_NO_THROW({
      RenderItems(value, &RenderOnCallTable, "x");
      RenderOnCallTable(value);
      RenderShiftTable(value);
      RenderScheduleTable(value);
      RenderSchedule(value);
      RenderOverrideTable(value);
      RenderPolicyTable(value);
      RenderPolicy(value);
      DescribeEscalation(value);
      RenderNotificationSetup(value);
      RenderNotificationTable(value);
    }) << value.dump();
  }
}

TEST(CliRenderTest, DescribesEscalations) {
  EXPECT_EQ(DescribeEscalation({{"policy", nullptr}, {"state", "none"}, {"step", 0}}),
            "no escalation policy");
  EXPECT_EQ(DescribeEscalation({{"policy", {{"id", 1}, {"name", "web"}}},
                                {"state", "stopped"},
                                {"step", 1},
                                {"next_at", nullptr}}),
            "policy web, step 1, stopped");
  EXPECT_EQ(DescribeEscalation({{"policy", {{"name", "web"}}},
                                {"state", "active"},
                                {"step", 1},
                                {"steps", 2},
                                {"next_at", "2026-11-25T22:50:41.123Z"}}),
            "policy web, step 1 of 2, active, next step at 2026-11-25 22:50:41");
}

}  // namespace
}  // namespace klaxon::cli
