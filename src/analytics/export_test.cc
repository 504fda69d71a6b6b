#include "analytics/export.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analytics/analytics_test_fixture.h"

namespace klaxon::analytics {
namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& csv) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < csv.size()) {
    size_t end = csv.find("\r\n", start);
    if (end == std::string::npos) {
      lines.push_back(csv.substr(start));
      break;
    }
    lines.push_back(csv.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

TEST(AnalyticsExport, JsonHasMillisecondsHumanDurationsAndRfc3339Times) {
  json j = ToJson(Compute(fixture::Incidents(), {}, fixture::Period()));
  EXPECT_EQ(j["period"]["from"], "2026-10-26T04:00:00.000Z");
  EXPECT_EQ(j["period"]["to"], "2026-11-23T05:00:00.000Z");
  EXPECT_EQ(j["period"]["now"], "2026-11-23T12:00:00.000Z");
  EXPECT_EQ(j["period"]["time_zone"], "America/New_York");
  EXPECT_TRUE(j["filters"]["service"].is_null());
  EXPECT_EQ(j["filters"]["include_drills"], false);
  EXPECT_EQ(j["incidents"]["total"], 7);
  EXPECT_EQ(j["incidents"]["open"], 2);
  EXPECT_EQ(j["incidents"]["excluded_noise"], 2);

  EXPECT_EQ(j["mtta"]["n"], 5);
  EXPECT_EQ(j["mtta"]["mean_ms"], 306000);
  EXPECT_EQ(j["mtta"]["mean"], "5m 6s");
  EXPECT_EQ(j["mtta"]["median"], "4m 30s");
  EXPECT_EQ(j["mtta"]["p90_ms"], 600000);
  EXPECT_EQ(j["mtta"]["p90"], "10m");
  EXPECT_EQ(j["mttr"]["mean"], "3h 18m");  // 11880000 ms
  EXPECT_EQ(j["time_to_mitigate"]["max"], "20m");

  EXPECT_EQ(j["targets"]["ack"]["met"], 5);
  EXPECT_EQ(j["targets"]["ack"]["missed"], 1);
  EXPECT_EQ(j["targets"]["ack"]["pending"], 1);
  EXPECT_DOUBLE_EQ(j["targets"]["ack"]["met_rate"].get<double>(), 5.0 / 6.0);
  EXPECT_EQ(j["updates"], json({{"kept", 5}, {"missed", 6}}));
  EXPECT_EQ(j["action_items"], json({{"open", 4}, {"overdue", 2}, {"done", 2}}));
  EXPECT_EQ(j["reviews"], json({{"due", 4}, {"published", 2}, {"late", 2}}));

  ASSERT_EQ(j["by_week"].size(), 4u);
  EXPECT_EQ(j["by_week"][0]["key"], "2026-W44");
  EXPECT_EQ(j["by_week"][0]["start"], "2026-10-26T04:00:00.000Z");
  EXPECT_EQ(j["by_week"][0]["end"], "2026-11-02T05:00:00.000Z");
  EXPECT_EQ(j["by_week"][2]["incidents"], 0);
  EXPECT_EQ(j["by_week"][2]["mtta"]["n"], 0);
  EXPECT_TRUE(j["by_week"][2]["mtta"]["mean"].is_null());
  EXPECT_TRUE(j["by_week"][2]["mtta"]["mean_ms"].is_null());
  EXPECT_EQ(j["by_severity"][0]["severity_rank"], 1);
  EXPECT_EQ(j["repeat_offenders"]["services"][0], json({{"name", "checkout"}, {"incidents", 3}}));
  EXPECT_EQ(j["slowest_acks"][0]["ref"], "INC-4");
  EXPECT_EQ(j["missed_targets"]["total"], 4);
  EXPECT_EQ(j["noise"]["alertnames"][0], json({{"name", "SearchFlap"}, {"incidents", 2}}));
  EXPECT_TRUE(j["oncall"].is_array());

  ASSERT_EQ(j["rows"].size(), 7u);
  const json& two = j["rows"][0];
  EXPECT_EQ(two["ref"], "INC-2");
  EXPECT_EQ(two["created_at"], "2026-10-26T10:00:00.000Z");
  EXPECT_EQ(two["resolved_at"], "2026-10-26T11:00:00.000Z");
  EXPECT_EQ(two["time_to_mitigate"], "20m");
  EXPECT_EQ(two["time_to_restore_ms"], 3000000);
  EXPECT_EQ(two["targets"], json({{"ack", "met"}, {"resolve", "met"}, {"rto", "missed"}}));
  const json& six = j["rows"][4];
  EXPECT_EQ(six["ref"], "INC-6");
  EXPECT_EQ(six["open"], true);
  EXPECT_TRUE(six["resolved_at"].is_null());
  EXPECT_TRUE(six["time_to_ack_ms"].is_null());
  EXPECT_TRUE(six["targets"]["rto"].is_null());
  EXPECT_EQ(six["missed"], json({"ack", "resolve"}));
  EXPECT_EQ(six["review"]["late"], true);
  EXPECT_TRUE(six["review"]["published_at"].is_null());
  EXPECT_NO_THROW(j.dump());
}

TEST(AnalyticsExport, CsvCellQuotesAndGuardsFormulas) {
  EXPECT_EQ(CsvCell(""), "");
  EXPECT_EQ(CsvCell("checkout"), "checkout");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvCell("=1+2"), "'=1+2");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("\tcmd"), "'\tcmd");
  EXPECT_EQ(CsvCell("\rcmd"), "\"'\rcmd\"");  // guarded, then quoted for the CR
  EXPECT_EQ(CsvCell("=A1,\"x\""), "\"'=A1,\"\"x\"\"\"");
  EXPECT_EQ(CsvCell("a=b"), "a=b");  // only the first character matters
}

TEST(AnalyticsExport, CsvHasOneRowPerIncident) {
  auto csv = ToCsv(Compute(fixture::Incidents(), {}, fixture::Period()));
  auto lines = Lines(csv);
  ASSERT_EQ(lines.size(), 8u);  // the header and incidents 2 3 4 5 6 7 12
  EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");
  EXPECT_EQ(lines[0],
            "id,ref,title,severity,service,team,created_at,resolved_at,status,drill,noise,"
            "reopened,time_to_ack_ms,time_to_mitigate_ms,time_to_restore_ms,time_to_resolve_ms,"
            "ack_target,resolve_target,rto,updates_kept,updates_missed,review_late,"
            "action_items_open,action_items_overdue,action_items_done,alertnames");
  EXPECT_EQ(lines[1],
            "2,INC-2,\"Checkout \"\"slow\"\", again\",SEV-1,checkout,payments,"
            "2026-10-26T10:00:00.000Z,2026-10-26T11:00:00.000Z,resolved,false,false,0,"
            "270000,1200000,3000000,3600000,met,met,missed,3,1,false,1,0,2,"
            "CheckoutErrorRate CheckoutLatency");
  EXPECT_EQ(lines[2],
            "3,INC-3,\"'=HYPERLINK(\"\"http://evil\"\")\",SEV-2,checkout,payments,"
            "2026-10-28T15:00:00.000Z,2026-10-28T15:30:00.000Z,resolved,false,false,0,"
            "120000,,1800000,1800000,met,met,,2,0,true,2,1,0,CheckoutErrorRate");
  EXPECT_EQ(lines[3],
            "4,INC-4,\"Search index stale\nin eu-west\",SEV-3,search,discovery,"
            "2026-11-02T04:30:00.000Z,2026-11-02T06:30:00.000Z,resolved,false,false,0,"
            "600000,,7200000,7200000,met,met,met,0,0,false,0,0,0,SearchDown");
  EXPECT_EQ(lines[5],
            "6,INC-6,<img src=x onerror=alert(1)>,SEV-1,search,discovery,"
            "2026-11-17T14:00:00.000Z,,open,false,false,0,,,,,missed,missed,,0,2,true,1,1,0,"
            "SearchDown");
  EXPECT_EQ(lines[6],
            "7,INC-7,'@here api errors,SEV-2,api,platform,2026-11-22T20:00:00.000Z,"
            "2026-11-23T06:00:00.000Z,resolved,false,false,0,480000,,36000000,36000000,met,"
            "missed,,0,3,false,0,0,0,ApiErrors");
  EXPECT_EQ(lines[7],
            "12,INC-12,Incident 12,SEV-4,api,platform,2026-11-23T04:00:00.000Z,,open,false,"
            "false,0,,,,,pending,pending,,0,0,false,0,0,0,ApiErrors ApiLatency");
}

}  // namespace
}  // namespace klaxon::analytics
