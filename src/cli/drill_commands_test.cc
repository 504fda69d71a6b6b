// `klaxon drills` and `klaxon drill ...` against the fake server: the requests each command
// sends, what it prints (tables, the scenario, the run, the report with MISSED rows), the
// usage errors that never reach the server, and the server's refusals (field errors, 404,
// 409).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli/commands_test_fixture.h"
#include "cli/drill_commands.h"

namespace klaxon::cli {
namespace {

TEST(DrillCliArgsTest, RunIds) {
  for (const char* text : {"3", "#3", "003"}) EXPECT_EQ(NormalizeDrillRunId(text), "3") << text;
  for (const char* bad : {"", "#", "0", "-3", "x", "3a", "INC-3", "run-3", "##3"}) {
    EXPECT_EQ(NormalizeDrillRunId(bad), std::nullopt) << bad;
  }
}

class DrillCliCommandsTest : public CliCommandsTest {
 protected:
  void SetUp() override {
    CliCommandsTest::SetUp();
    LoggedIn();
  }

  // A usage error: exactly `message` and `usage`, nothing printed, nothing sent.
  void ExpectUsageError(const std::vector<std::string>& args, const std::string& message,
                        const std::string& usage) {
    const size_t sent = server_.requests.size();
    std::string line = "klaxon";
    for (const std::string& arg : args) line += " " + arg;
    EXPECT_EQ(Run(args), kExitUsage) << line;
    EXPECT_EQ(err(), "klaxon: " + message + "\nusage: klaxon " + usage + "\n") << line;
    EXPECT_EQ(out(), "") << line;
    EXPECT_EQ(server_.requests.size(), sent) << line;
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  static nlohmann::json Scenario(int id, const std::string& name) {
    return {{"id", id},
            {"name", name},
            {"description", "The error rate of checkout jumps after a deploy."},
            {"service", "checkout"},
            {"severity", "SEV-1"},
            {"alerts",
             {{{"labels", {{"alertname", "CheckoutErrorRate"}, {"env", "prod"}}},
               {"annotations", {{"summary", "Checkout error rate above 10%"}}}}}},
            {"expected_actions",
             {{{"action", "acknowledge"}, {"within", nullptr}},
              {{"action", "assign_role:communications_lead"}, {"within", "10m"}}}},
            {"time_limit", "1h"},
            {"allow_public", false},
            {"version", 2},
            {"created_by", "admin"},
            {"created_at", "2026-11-25T09:00:00.000Z"},
            {"updated_at", "2026-11-25T09:30:00.000Z"},
            {"runs", 0},
            {"last_run", nullptr}};
  }

  static nlohmann::json RunJson(int id, const std::string& status) {
    nlohmann::json run = {{"id", id},
                          {"scenario", {{"id", 1}, {"name", "checkout-error-spike"}}},
                          {"status", status},
                          {"outcome", ""},
                          {"allow_public", false},
                          {"scheduled_at", nullptr},
                          {"started_at", nullptr},
                          {"ends_at", nullptr},
                          {"finished_at", nullptr},
                          {"incident", nullptr},
                          {"note", ""},
                          {"created_by", "admin"},
                          {"created_at", "2026-11-25T22:45:41.123Z"},
                          {"spec", Scenario(1, "checkout-error-spike")}};
    if (status == "scheduled") {
      run["scheduled_at"] = "2026-11-26T22:45:41.123Z";
    } else {
      run["started_at"] = "2026-11-25T22:45:41.123Z";
      run["ends_at"] = "2026-11-25T23:45:41.123Z";
      run["incident"] = {{"id", 12}, {"ref", "INC-12"}};
      run["summary"] = {{"met", 3}, {"missed", 0}, {"pending", 5}, {"result", "in_progress"}};
    }
    return run;
  }

  static nlohmann::json Report() {
    nlohmann::json run = RunJson(3, "finished");
    run["outcome"] = "time_limit";
    run["finished_at"] = "2026-11-25T23:45:41.123Z";
    run["time_limit"] = "1h";
    run.erase("spec");
    run.erase("summary");
    return {{"run", run},
            {"scenario", Scenario(1, "checkout-error-spike")},
            {"incident",
             {{"id", 12},
              {"ref", "INC-12"},
              {"title", "Checkout error rate above 10%"},
              {"severity", "SEV-1"},
              {"status", "resolved"}}},
            {"targets",
             {{{"name", "classification"},
               {"description", "the alerts open an incident of the scenario's severity"},
               {"expected", "SEV-1"},
               {"actual", "SEV-1"},
               {"detail", "rule checkout-errors"},
               {"state", "met"}},
              {{"name", "acknowledge"},
               {"target", "30m"},
               {"due_at", "2026-11-25T23:15:41.123Z"},
               {"done_at", "2026-11-25T22:49:41.123Z"},
               {"by", "admin"},
               {"took", "4m"},
               {"state", "met"}},
              {{"name", "time_limit"},
               {"target", "1h"},
               {"due_at", "2026-11-25T23:45:41.123Z"},
               {"done_at", nullptr},
               {"by", nullptr},
               {"took", nullptr},
               {"state", "missed"}}}},
            {"expected_actions",
             {{{"action", "acknowledge"},
               {"within", nullptr},
               {"due_at", nullptr},
               {"done_at", "2026-11-25T22:49:41.123Z"},
               {"by", "admin"},
               {"took", "4m"},
               {"state", "met"}},
              {{"action", "assign_role:communications_lead"},
               {"within", "10m"},
               {"due_at", "2026-11-25T22:55:41.123Z"},
               {"done_at", "2026-11-25T22:57:41.123Z"},
               {"by", "admin"},
               {"took", "12m"},
               {"state", "missed"}}}},
            {"paging",
             {{"first_page_at", "2026-11-25T22:45:41.123Z"},
              {"escalation_steps", 1},
              {"escalation_steps_before_ack", 1},
              {"notifications_delivered", 2},
              {"notifications_failed", 0}}},
            {"summary", {{"met", 3}, {"missed", 2}, {"pending", 0}, {"result", "failed"}}}};
  }

  static nlohmann::json Invalid() {
    nlohmann::json problem = Problem(422, "invalid drill scenario");
    problem["errors"] = {
        {{"field", "/service"}, {"message", "unknown service 'nope'"}},
        {{"field", "/time_limit"}, {"message", "must be a duration from 1m to 24h, like 45m"}}};
    return problem;
  }
};

TEST_F(DrillCliCommandsTest, HelpListsTheCommands) {
  const Parser parser(CommandTable(), OptionTable());
  const std::string help = parser.Help("").value();
  for (const char* line : {"  drills ", "  drill show NAME ", "  drill create ",
                           "  drill update NAME ", "  drill delete NAME ", "  drill run NAME ",
                           "  drill runs ", "  drill cancel RUN_ID ", "  drill report RUN_ID "}) {
    EXPECT_NE(help.find(line), std::string::npos) << line << "\n" << help;
  }
  EXPECT_EQ(parser.Usage(*parser.FindCommand("drill runs")),
            "usage: klaxon drill runs [--scenario NAME] [--status STATUS] [--limit N] [--output "
            "FORMAT]");
  EXPECT_EQ(parser.Usage(*parser.FindCommand("drill create")),
            "usage: klaxon drill create --file FILE [--output FORMAT]");
  EXPECT_EQ(parser.Usage(*parser.FindCommand("drill report")),
            "usage: klaxon drill report RUN_ID [--markdown] [--output FORMAT]");
}

TEST_F(DrillCliCommandsTest, ListShowsScenariosAndTheirLastRun) {
  nlohmann::json ran = Scenario(1, "checkout-error-spike");
  ran["runs"] = 2;
  ran["last_run"] = {{"id", 3},
                     {"status", "finished"},
                     {"outcome", "time_limit"},
                     {"started_at", "2026-11-25T09:00:00.000Z"},
                     {"scheduled_at", nullptr}};
  nlohmann::json fresh = Scenario(2, "search-down");
  fresh["service"] = "search";
  fresh["severity"] = "SEV-3";
  fresh["time_limit"] = "45m";
  server_.Reply(200, {{"items", {ran, fresh}}});
  EXPECT_EQ(Run({"drills"}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/drills/scenarios");
  EXPECT_EQ(server_.connections[0].token, kToken);
  EXPECT_EQ(out(),
            "NAME                  SERVICE   SEVERITY  TIME LIMIT  RUNS  LAST RUN\n"
            "checkout-error-spike  checkout  SEV-1     1h          2     #3 finished (time_limit)\n"
            "search-down           search    SEV-3     45m         0     -\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}});
  EXPECT_EQ(Run({"drills"}), kExitOk);
  EXPECT_EQ(out(), "No drill scenarios.\n");

  const nlohmann::json list = {{"items", {fresh}}};
  for (const char* flag : {"--json", "-o"}) {
    server_.Reply(200, list);
    std::vector<std::string> args = {"drills", flag};
    if (std::string(flag) == "-o") args.push_back("json");
    EXPECT_EQ(Run(args), kExitOk) << err();
    EXPECT_EQ(nlohmann::json::parse(out()), list);
  }
  ExpectUsageError({"drills", "-o", "yaml"}, "invalid --output 'yaml' (expected table or json)",
                   "drills [--output FORMAT]");
}

TEST_F(DrillCliCommandsTest, ShowRendersTheScenario) {
  server_.Reply(200, Scenario(1, "checkout spike"));
  EXPECT_EQ(Run({"drill", "show", "checkout spike"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/drills/scenarios/checkout%20spike");
  EXPECT_EQ(out(),
            "Scenario:      checkout spike\n"
            "Id:            1\n"
            "Service:       checkout\n"
            "Severity:      SEV-1\n"
            "Time limit:    1h\n"
            "Public:        no (never on the status page or to customers)\n"
            "Runs:          0\n"
            "Created:       2026-11-25 09:00:00 by admin\n"
            "Updated:       2026-11-25 09:30:00\n"
            "Version:       2\n"
            "Description:   The error rate of checkout jumps after a deploy.\n"
            "\n"
            "Alerts\n"
            "#  LABELS                                ANNOTATIONS\n"
            "1  alertname=CheckoutErrorRate env=prod  summary=\"Checkout error rate above 10%\"\n"
            "\n"
            "Expected actions\n"
            "ACTION                           WITHIN\n"
            "acknowledge                      -\n"
            "assign_role:communications_lead  10m\n");

  server_.Reply(404, Problem(404, "no drill scenario 'nope'"));
  EXPECT_EQ(Run({"drill", "show", "nope"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no drill scenario 'nope'\n");
  EXPECT_EQ(out(), "");
  ExpectUsageError({"drill", "show"}, "missing NAME", "drill show NAME [--output FORMAT]");
  ExpectUsageError({"drill", "show", ""}, "empty NAME", "drill show NAME [--output FORMAT]");
}

TEST_F(DrillCliCommandsTest, CreateSendsTheFile) {
  const nlohmann::json scenario = {{"name", "checkout-error-spike"},
                                   {"service", "checkout"},
                                   {"severity", "SEV-1"},
                                   {"expected_actions", {"acknowledge"}},
                                   {"time_limit", "1h"}};
  const std::string file = Write("scenario.json", scenario.dump(2));
  nlohmann::json created = Scenario(4, "checkout-error-spike");
  created["version"] = 1;
  server_.Reply(201, created);
  EXPECT_EQ(Run({"drill", "create", "--file", file}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/drills/scenarios");
  EXPECT_EQ(server_.body(0), scenario);
  EXPECT_EQ(out(), "Created drill scenario checkout-error-spike (id 4, version 1)\n");

  server_.Reply(201, created);
  EXPECT_EQ(Run({"drill", "create", "-f", file, "-o", "json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), created);

  // Updating replaces the scenario, named by id or name.
  server_.Reply(200, Scenario(4, "checkout-error-spike"));
  EXPECT_EQ(Run({"drill", "update", "checkout-error-spike", "-f", file}), kExitOk) << err();
  EXPECT_EQ(server_.requests[2].method, "PUT");
  EXPECT_EQ(server_.requests[2].path, "/api/v1/drills/scenarios/checkout-error-spike");
  EXPECT_EQ(server_.body(2), scenario);
  EXPECT_EQ(out(), "Updated drill scenario checkout-error-spike (id 4, version 2)\n");
}

TEST_F(DrillCliCommandsTest, CreateShowsTheServersRefusals) {
  const std::string file = Write("bad.json", R"({"name": "x", "service": "nope"})");
  server_.Reply(422, Invalid());
  EXPECT_EQ(Run({"drill", "create", "-f", file}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: invalid drill scenario (service: unknown service "
            "'nope'; time_limit: must be a duration from 1m to 24h, like 45m)\n");
  EXPECT_EQ(out(), "");

  server_.Reply(409, Problem(409, "a drill scenario named 'x' exists"));
  EXPECT_EQ(Run({"drill", "create", "-f", file}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: a drill scenario named 'x' exists\n");

  server_.Reply(404, Problem(404, "no drill scenario 'y'"));
  EXPECT_EQ(Run({"drill", "update", "y", "-f", file}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no drill scenario 'y'\n");
}

TEST_F(DrillCliCommandsTest, CreateRefusesBadFilesWithoutAsking) {
  const std::string yaml = Write("scenario.yaml", "name: x\n");
  EXPECT_EQ(Run({"drill", "create", "-f", yaml}), kExitError);
  EXPECT_EQ(err(), "klaxon: " + yaml +
                       ": drill scenarios are read as JSON (the body of POST "
                       "/api/v1/drills/scenarios); YAML is not supported\n");
  const std::string broken = Write("broken.json", "{\"name\": ");
  EXPECT_EQ(Run({"drill", "create", "-f", broken}), kExitError);
  EXPECT_TRUE(err().starts_with("klaxon: " + broken + ": ")) << err();
  const std::string list = Write("list.json", "[]");
  EXPECT_EQ(Run({"drill", "create", "-f", list}), kExitError);
  EXPECT_NE(err().find("expected a JSON object"), std::string::npos) << err();
  EXPECT_EQ(Run({"drill", "create", "-f", (dir_ / "missing.json").string()}), kExitError);
  EXPECT_NE(err().find("cannot read"), std::string::npos) << err();
  EXPECT_TRUE(server_.requests.empty());
  ExpectUsageError({"drill", "create"}, "missing --file FILE",
                   "drill create --file FILE [--output FORMAT]");
}

TEST_F(DrillCliCommandsTest, DeleteSaysWhatItDeleted) {
  server_.ReplyRaw(204, "");
  EXPECT_EQ(Run({"drill", "delete", "checkout-error-spike"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "DELETE");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/drills/scenarios/checkout-error-spike");
  EXPECT_EQ(out(), "Deleted drill scenario checkout-error-spike\n");

  server_.Reply(409, Problem(409,
                             "drill scenario 'checkout-error-spike' has a scheduled run "
                             "(4); cancel it first"));
  EXPECT_EQ(Run({"drill", "delete", "checkout-error-spike"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 409 Conflict: drill scenario 'checkout-error-spike' has a scheduled run (4); "
            "cancel it first\n");
}

TEST_F(DrillCliCommandsTest, RunNowOrLater) {
  server_.Reply(201, RunJson(3, "running"));
  EXPECT_EQ(Run({"drill", "run", "checkout-error-spike"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/drills/scenarios/checkout-error-spike/runs");
  EXPECT_EQ(server_.body(0), nlohmann::json::object());
  EXPECT_EQ(out(),
            "Run:           3\n"
            "Scenario:      checkout-error-spike\n"
            "Status:        running\n"
            "Incident:      INC-12\n"
            "Started:       2026-11-25 22:45:41\n"
            "Ends:          2026-11-25 23:45:41\n"
            "Result:        in_progress: 3 met, 0 missed, 5 pending\n");

  server_.Reply(201, RunJson(4, "scheduled"));
  EXPECT_EQ(Run({"drill", "run", "checkout-error-spike", "--at", "+1d"}), kExitOk) << err();
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"at", "2026-11-26T22:45:41.123Z"}}));
  EXPECT_EQ(out(),
            "Run:           4\n"
            "Scenario:      checkout-error-spike\n"
            "Status:        scheduled\n"
            "Scheduled:     2026-11-26 22:45:41\n");

  nlohmann::json silenced = Problem(409, "every alert of the drill is silenced");
  server_.Reply(409, silenced);
  EXPECT_EQ(Run({"drill", "run", "checkout-error-spike"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: every alert of the drill is silenced\n");

  ExpectUsageError({"drill", "run", "x", "--at", "tomorrow"},
                   "invalid --at 'tomorrow' (expected RFC 3339 like 2026-11-25T09:00:00Z, or now, "
                   "+30m, -2h, +1d, +1w)",
                   "drill run NAME [--at TIME] [--output FORMAT]");
}

TEST_F(DrillCliCommandsTest, RunsListsWithFilters) {
  nlohmann::json done = RunJson(3, "finished");
  done["outcome"] = "time_limit";
  done["finished_at"] = "2026-11-25T23:45:41.123Z";
  done["summary"] = {{"met", 8}, {"missed", 4}, {"pending", 0}, {"result", "failed"}};
  server_.Reply(200, {{"items", {RunJson(4, "scheduled"), done}}});
  EXPECT_EQ(Run({"drill", "runs", "--scenario", "checkout spike", "--status", "Finished", "--limit",
                 "5"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].path,
            "/api/v1/drills/runs?scenario=checkout%20spike&status=finished&limit=5");
  EXPECT_EQ(out(),
            "ID  SCENARIO              STATUS                 INCIDENT  START                "
            "END                  RESULT\n"
            "4   checkout-error-spike  scheduled              -         2026-11-26 22:45:41  -"
            "                    -\n"
            "3   checkout-error-spike  finished (time_limit)  INC-12    2026-11-25 22:45:41  "
            "2026-11-25 23:45:41  failed: 8 met, 4 missed, 0 pending\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}});
  EXPECT_EQ(Run({"drill", "runs"}), kExitOk);
  EXPECT_EQ(server_.requests[1].path, "/api/v1/drills/runs");
  EXPECT_EQ(out(), "No drill runs.\n");

  const std::string usage =
      "drill runs [--scenario NAME] [--status STATUS] [--limit N] [--output FORMAT]";
  ExpectUsageError({"drill", "runs", "--status", "done"},
                   "invalid --status 'done' (expected scheduled, running, finished, cancelled or "
                   "failed)",
                   usage);
  ExpectUsageError({"drill", "runs", "--limit", "500"}, "invalid --limit '500' (expected 1..200)",
                   usage);
  ExpectUsageError({"drill", "runs", "--scenario", ""}, "empty --scenario", usage);
}

TEST_F(DrillCliCommandsTest, CancelSaysWhatBecameOfTheRun) {
  nlohmann::json cancelled = RunJson(4, "scheduled");
  cancelled["status"] = "cancelled";
  cancelled["outcome"] = "cancelled";
  server_.Reply(200, cancelled);
  EXPECT_EQ(Run({"drill", "cancel", "#4"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/drills/runs/4/cancel");
  EXPECT_EQ(out(), "Cancelled drill run 4 (checkout-error-spike): cancelled\n");

  nlohmann::json stopped = RunJson(3, "running");
  stopped["status"] = "cancelled";
  stopped["outcome"] = "cancelled";
  server_.Reply(200, stopped);
  EXPECT_EQ(Run({"drill", "cancel", "3"}), kExitOk) << err();
  EXPECT_EQ(out(),
            "Cancelled drill run 3 (checkout-error-spike): cancelled; its incident INC-12 is "
            "resolved\n");

  server_.Reply(409, Problem(409, "drill run 3 is finished"));
  EXPECT_EQ(Run({"drill", "cancel", "3"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: drill run 3 is finished\n");
  ExpectUsageError({"drill", "cancel", "INC-3"},
                   "invalid drill run id 'INC-3' (expected a number like 3; 'klaxon drill runs' "
                   "lists them)",
                   "drill cancel RUN_ID [--output FORMAT]");
}

TEST_F(DrillCliCommandsTest, ReportShowsTargetsAndActionsWithMissedInCapitals) {
  server_.Reply(200, Report());
  EXPECT_EQ(Run({"drill", "report", "3"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/drills/runs/3/report");
  EXPECT_EQ(out(),
            "Drill run 3 (checkout-error-spike): failed: 3 met, 2 missed, 0 pending\n"
            "Status:        finished (time_limit)\n"
            "Incident:      INC-12 Checkout error rate above 10% (SEV-1, resolved)\n"
            "Started:       2026-11-25 22:45:41\n"
            "Was to end:    2026-11-25 23:45:41\n"
            "Finished:      2026-11-25 23:45:41\n"
            "Time limit:    1h\n"
            "\n"
            "Targets\n"
            "TARGET          GOAL   DUE                  TOOK  BY     STATE   NOTE\n"
            "classification  SEV-1  -                    -     -      met     actual SEV-1, rule "
            "checkout-errors\n"
            "acknowledge     30m    2026-11-25 23:15:41  4m    admin  met\n"
            "time_limit      1h     2026-11-25 23:45:41  -     -      MISSED\n"
            "\n"
            "Expected actions\n"
            "ACTION                           WITHIN  DUE                  TOOK  BY     STATE\n"
            "acknowledge                      -       -                    4m    admin  met\n"
            "assign_role:communications_lead  10m     2026-11-25 22:55:41  12m   admin  MISSED\n"
            "\n"
            "Paging\n"
            "First page:    2026-11-25 22:45:41\n"
            "Escalation:    1 step(s) fired, 1 before the acknowledgement\n"
            "Notifications: 2 delivered, 0 failed\n");

  // JSON: the server's, as it is.
  server_.Reply(200, Report());
  EXPECT_EQ(Run({"drill", "report", "3", "-o", "json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), Report());

  // Markdown: the server's, as it is.
  server_.ReplyRaw(200, "# DRILL report: checkout-error-spike (run 3)\n\n- Status: finished\n");
  EXPECT_EQ(Run({"drill", "report", "3", "--markdown"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[2].path, "/api/v1/drills/runs/3/report?format=markdown");
  EXPECT_EQ(out(), "# DRILL report: checkout-error-spike (run 3)\n\n- Status: finished\n");

  server_.Reply(404, Problem(404, "no drill run 99"));
  EXPECT_EQ(Run({"drill", "report", "99", "--markdown"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no drill run 99\n");
  EXPECT_EQ(out(), "");

  const std::string usage = "drill report RUN_ID [--markdown] [--output FORMAT]";
  ExpectUsageError({"drill", "report", "3", "--markdown", "--json"},
                   "give --markdown or JSON output, not both", usage);
  ExpectUsageError({"drill", "report", "x"},
                   "invalid drill run id 'x' (expected a number like 3; 'klaxon drill runs' lists "
                   "them)",
                   usage);
}

TEST_F(DrillCliCommandsTest, ReportOfAScheduledRunHasNoTables) {
  nlohmann::json report = {
      {"run", RunJson(4, "scheduled")},
      {"incident", nullptr},
      {"targets", nlohmann::json::array()},
      {"expected_actions", nlohmann::json::array()},
      {"paging", nullptr},
      {"summary", {{"met", 0}, {"missed", 0}, {"pending", 0}, {"result", "scheduled"}}}};
  server_.Reply(200, report);
  EXPECT_EQ(Run({"drill", "report", "4"}), kExitOk) << err();
  EXPECT_EQ(out(),
            "Drill run 4 (checkout-error-spike): scheduled: 0 met, 0 missed, 0 pending\n"
            "Status:        scheduled\n"
            "Scheduled:     2026-11-26 22:45:41\n");
}

}  // namespace
}  // namespace klaxon::cli
