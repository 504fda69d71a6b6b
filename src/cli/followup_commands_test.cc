// `klaxon action-items`, `klaxon action-item ...` and `klaxon report` against the fake
// server: the argument parsers (item ids, due dates in the local time zone), the requests
// each command sends, what it prints, the usage errors that never reach the server, and the
// server's refusals (field errors, the 409 of an item changed meanwhile).
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/commands_test_fixture.h"
#include "cli/handlers.h"

namespace klaxon::cli {
namespace {

// Sets TZ (a POSIX zone string, so no tz database is needed) for one test and puts the
// previous value back: the local-time functions read the process's zone.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* previous = std::getenv("TZ")) previous_ = previous;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (previous_) {
      ::setenv("TZ", previous_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> previous_;
};

// ---- Parsers ----------------------------------------------------------------------------------

TEST(CliActionItemArgsTest, ItemIds) {
  for (const char* text : {"7", "AI-7", "ai-7", "Ai-007", "#7", "007"}) {
    EXPECT_EQ(NormalizeActionItemId(text), "7") << text;
  }
  for (const char* bad : {"", "AI-", "AI-0", "0", "x", "INC-7", "-7", "7a", "AI7", "#", "AI--7",
                          "99999999999999999"}) {
    EXPECT_EQ(NormalizeActionItemId(bad), std::nullopt) << bad;
  }
}

TEST(CliActionItemArgsTest, DueDatesAreTheEndOfTheLocalDay) {
  const TimeMs now = *ParseTime("2026-11-25T22:45:41.123Z");
  {
    const ScopedTimeZone utc("UTC0");
    EXPECT_EQ(ParseDueArg("2026-12-20", now), "2026-12-20T23:59:59.999Z");
    EXPECT_EQ(ParseDueArg("2028-02-29", now), "2028-02-29T23:59:59.999Z");
    EXPECT_EQ(FormatLocalTime(*ParseTime("2026-12-20T23:59:59.999Z")), "2026-12-20 23:59 UTC");
  }
  {
    const ScopedTimeZone india("IST-5:30");  // UTC+05:30
    EXPECT_EQ(ParseDueArg("2026-12-20", now), "2026-12-20T18:29:59.999Z");
    EXPECT_EQ(FormatLocalTime(*ParseTime("2026-12-20T18:29:59.999Z")), "2026-12-20 23:59 IST");
    EXPECT_EQ(FormatLocalTime(*ParseTime("2026-12-20T20:00:00Z")), "2026-12-21 01:30 IST");
  }
  // Times, and the relative forms, are instants wherever one is.
  EXPECT_EQ(ParseDueArg("2026-12-20T17:00:00+01:00", now), "2026-12-20T16:00:00.000Z");
  EXPECT_EQ(ParseDueArg("+1w", now), "2026-12-02T22:45:41.123Z");
  EXPECT_EQ(ParseDueArg("now", now), "2026-11-25T22:45:41.123Z");
  for (const char* bad : {"", "next week", "2026-02-30", "2026-13-01", "2026-00-10", "2026-1-5",
                          "20261220", "2026-12-20 17:00", "none", "tomorrow"}) {
    EXPECT_EQ(ParseDueArg(bad, now), std::nullopt) << bad;
  }
}

// ---- Commands ---------------------------------------------------------------------------------

class CliFollowupCommandsTest : public CliCommandsTest {
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

  static nlohmann::json Item(int id, std::string status = "open", int version = 1) {
    return {{"id", id},
            {"ref", "AI-" + std::to_string(id)},
            {"incident_id", 42},
            {"incident_ref", "INC-42"},
            {"incident_title", "Checkout errors"},
            {"service", "checkout"},
            {"source", "incident"},
            {"title", "Add a circuit breaker to the payment client"},
            {"description", "The client retried forever."},
            {"owner", {{"username", "ada"}, {"name", "Ada Lovelace"}}},
            {"priority", "high"},
            {"due_at", "2026-11-30T17:00:00.000Z"},
            {"status", std::move(status)},
            {"overdue", false},
            {"tracker_url", "https://tracker.example/PAY-12"},
            {"created_by", "admin"},
            {"created_at", "2026-11-25T22:40:41.123Z"},
            {"updated_at", "2026-11-25T22:40:41.123Z"},
            {"closed_at", nullptr},
            {"version", version}};
  }

  static nlohmann::json Summary(int n, const std::string& mean, const std::string& median,
                                const std::string& p90) {
    if (n == 0) {
      return {{"n", 0},
              {"mean_ms", nullptr},
              {"mean", nullptr},
              {"median_ms", nullptr},
              {"median", nullptr},
              {"p90_ms", nullptr},
              {"p90", nullptr}};
    }
    return {{"n", n},           {"mean_ms", 1}, {"mean", mean}, {"median_ms", 1},
            {"median", median}, {"p90_ms", 1},  {"p90", p90}};
  }

  static nlohmann::json Group(const std::string& key, int incidents, int open, int missed,
                              const nlohmann::json& mtta, const nlohmann::json& mttr) {
    return {{"key", key},   {"incidents", incidents},
            {"open", open}, {"targets_missed", missed},
            {"mtta", mtta}, {"mttr", mttr}};
  }

  // GET /api/v1/analytics as analytics/export.cc writes it (the parts the table shows).
  static nlohmann::json Analytics() {
    return {
        {"period",
         {{"from", "2026-09-30T22:00:00.000Z"},
          {"to", "2026-12-31T23:00:00.000Z"},
          {"now", "2026-11-25T22:45:41.123Z"},
          {"time_zone", "Europe/Berlin"},
          {"quarter", "2026-Q4"}}},
        {"filters",
         {{"service", nullptr},
          {"team", "payments"},
          {"severity", nullptr},
          {"include_drills", false},
          {"include_noise", true}}},
        {"incidents",
         {{"total", 12},
          {"open", 3},
          {"reopened", 1},
          {"drills", 0},
          {"noise", 1},
          {"excluded_drills", 2},
          {"excluded_noise", 0}}},
        {"mtta", Summary(11, "4m 30s", "3m", "9m")},
        {"time_to_mitigate", Summary(0, "", "", "")},
        {"mttr", Summary(9, "2h 5m", "1h", "5h")},
        {"targets",
         {{"ack", {{"met", 10}, {"missed", 1}, {"pending", 0}, {"met_rate", 0.9}}},
          {"resolve", {{"met", 8}, {"missed", 1}, {"pending", 2}, {"met_rate", 0.8}}},
          {"rto", {{"met", 0}, {"missed", 0}, {"pending", 0}, {"met_rate", nullptr}}}}},
        {"updates", {{"kept", 20}, {"missed", 2}}},
        {"action_items", {{"open", 4}, {"overdue", 1}, {"done", 7}}},
        {"reviews", {{"due", 5}, {"published", 4}, {"late", 1}}},
        {"oncall",
         {{{"username", "ada"}, {"pages", 5}, {"night_pages", 2}, {"weekend_pages", 1}},
          {{"username", "bob"}, {"pages", 1}, {"night_pages", 0}, {"weekend_pages", 0}}}},
        {"by_severity",
         {Group("SEV-1", 2, 0, 1, Summary(2, "2m", "2m", "3m"), Summary(2, "3h", "2h", "4h")),
          Group("SEV-2", 10, 3, 0, Summary(9, "5m", "4m", "9m"), Summary(0, "", "", ""))}},
        {"by_service",
         {Group("checkout", 9, 2, 1, Summary(8, "4m", "3m", "8m"), Summary(7, "2h", "1h", "5h")),
          Group("", 3, 1, 0, Summary(3, "6m", "5m", "9m"), Summary(2, "1h", "1h", "1h"))}},
        {"by_team", nlohmann::json::array()},
        {"rows", nlohmann::json::array()}};
  }

  const ScopedTimeZone utc_{"UTC0"};
};

TEST_F(CliFollowupCommandsTest, HelpListsTheCommands) {
  const Parser parser(CommandTable(), OptionTable());
  const std::string help = parser.Help("").value();
  for (const char* line : {"  action-items ", "  action-item create INCIDENT ",
                           "  action-item update ITEM ", "  action-item show ITEM ", "  report "}) {
    EXPECT_NE(help.find(line), std::string::npos) << line << "\n" << help;
  }
  EXPECT_EQ(parser.Usage(*parser.FindCommand("action-items")),
            "usage: klaxon action-items [--mine] [--owner USER] [--service SERVICE] [--status "
            "STATUS] [--overdue] [--output FORMAT]");
  EXPECT_EQ(parser.Usage(*parser.FindCommand("report")),
            "usage: klaxon report [--quarter QUARTER] [--from DATE] [--to DATE] [--service "
            "SERVICE] [--team TEAM] [--severity LEVEL] [--include-drills] [--include-noise] "
            "[--format FORMAT] [--output FILE]");
  const std::string item_help = parser.Help("action-items").value();
  EXPECT_NE(item_help.find("  -o, --output FORMAT         table (default) or json\n"),
            std::string::npos)
      << item_help;
  const std::string report_help = parser.Help("report").value();
  EXPECT_NE(report_help.find("  -o, --output FILE           write to FILE"), std::string::npos)
      << report_help;
}

TEST_F(CliFollowupCommandsTest, ListSendsTheFiltersAndShowsLocalDueTimes) {
  nlohmann::json overdue = Item(3);
  overdue["overdue"] = true;
  overdue["due_at"] = "2026-11-20T09:00:00.000Z";
  nlohmann::json unowned = Item(9, "in_progress");
  unowned["owner"] = nullptr;
  unowned["due_at"] = nullptr;
  unowned["service"] = nullptr;
  server_.Reply(200, {{"items", {overdue, Item(7), unowned}}, {"total", 3}});
  EXPECT_EQ(Run({"action-items", "--mine", "--service", "checkout", "--status", "in-progress",
                 "--overdue"}),
            kExitOk)
      << err();
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path,
            "/api/v1/action-items?owner=me&service=checkout&status=in_progress&overdue=true");
  EXPECT_EQ(
      out(),
      "REF   TITLE                                        INCIDENT  SERVICE   OWNER  PRIORITY  "
      "DUE                             STATUS\n"
      "AI-3  Add a circuit breaker to the payment client  INC-42    checkout  ada    high      "
      "2026-11-20 09:00 UTC (overdue)  open\n"
      "AI-7  Add a circuit breaker to the payment client  INC-42    checkout  ada    high      "
      "2026-11-30 17:00 UTC            open\n"
      "AI-9  Add a circuit breaker to the payment client  INC-42    -         -      high      "
      "-                               in_progress\n");
  EXPECT_EQ(err(), "");

  server_.Reply(200, {{"items", {Item(7)}}, {"total", 40}});
  EXPECT_EQ(Run({"action-items", "--owner", "ada", "--status", "ALL"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/action-items?owner=ada&status=all");
  EXPECT_EQ(err(), "(1 of 40 action items; narrow the list with --service, --owner or --status)\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}, {"total", 0}});
  EXPECT_EQ(Run({"action-items"}), kExitOk);
  EXPECT_EQ(server_.requests[2].path, "/api/v1/action-items");
  EXPECT_EQ(out(), "No action items.\n");
}

TEST_F(CliFollowupCommandsTest, ListAsJson) {
  const nlohmann::json list = {{"items", {Item(7)}}, {"total", 1}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"action-items", "-o", "json"},
        std::vector<std::string>{"action-items", "--output=json"},
        std::vector<std::string>{"action-items", "--json"},
        std::vector<std::string>{"action-items", "-o", "JSON", "--json"}}) {
    server_.Reply(200, list);
    EXPECT_EQ(Run(args), kExitOk) << err();
    EXPECT_EQ(nlohmann::json::parse(out()), list);
  }
}

TEST_F(CliFollowupCommandsTest, ListUsageErrors) {
  const std::string usage =
      "action-items [--mine] [--owner USER] [--service SERVICE] [--status STATUS] [--overdue] "
      "[--output FORMAT]";
  ExpectUsageError({"action-items", "--mine", "--owner", "ada"}, "give --mine or --owner, not both",
                   usage);
  ExpectUsageError({"action-items", "--status", "closed"},
                   "invalid --status 'closed' (expected active, all, open, in_progress, done or "
                   "wont_do)",
                   usage);
  ExpectUsageError({"action-items", "-o", "yaml"},
                   "invalid --output 'yaml' (expected table or json)", usage);
  ExpectUsageError({"action-items", "-o", "table", "--json"},
                   "-o table and --json contradict each other", usage);
  ExpectUsageError({"action-items", "--owner", ""}, "empty --owner", usage);
  ExpectUsageError({"action-items", "--title", "x"},
                   "option --title does not apply to 'action-items'", usage);
}

TEST_F(CliFollowupCommandsTest, CreateSendsTheFieldsAndPrintsTheReference) {
  nlohmann::json created = Item(7);
  created["owner"] = {{"username", "admin"}, {"name", "Administrator"}};
  created["due_at"] = "2026-12-20T23:59:59.999Z";
  server_.Reply(201, created);
  EXPECT_EQ(Run({"action-item", "create", "INC-42", "--title", "Write the load-test runbook",
                 "--owner", "me", "--priority", "High", "--due", "2026-12-20", "--tracker",
                 "https://tracker.example/PAY-12", "--description", "for Black Friday"}),
            kExitOk)
      << err();
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/incidents/42/action-items");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"title", "Write the load-test runbook"},
                                             {"owner", "me"},
                                             {"description", "for Black Friday"},
                                             {"priority", "high"},
                                             {"tracker_url", "https://tracker.example/PAY-12"},
                                             {"due_at", "2026-12-20T23:59:59.999Z"}}));
  EXPECT_EQ(out(),
            "Created AI-7 for INC-42: Add a circuit breaker to the payment client (owner admin, "
            "high, due 2026-12-20 23:59 UTC)\n");

  // Only --title is required; -o json prints the item.
  server_.Reply(201, Item(8));
  EXPECT_EQ(Run({"action-item", "create", "42", "--title", "Alert on empty results", "-o", "json"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"title", "Alert on empty results"}}));
  EXPECT_EQ(nlohmann::json::parse(out()), Item(8));

  // Due in the past: created, and said to be overdue already.
  nlohmann::json late = Item(9);
  late["owner"] = nullptr;
  late["priority"] = "medium";
  late["due_at"] = "2026-11-20T23:59:59.999Z";
  late["overdue"] = true;
  server_.Reply(201, late);
  EXPECT_EQ(Run({"action-item", "create", "42", "--title", "x", "--due", "2026-11-20"}), kExitOk)
      << err();
  EXPECT_EQ(server_.body(2)["due_at"], "2026-11-20T23:59:59.999Z");
  EXPECT_EQ(out(),
            "Created AI-9 for INC-42: Add a circuit breaker to the payment client (medium, due "
            "2026-11-20 23:59 UTC, overdue)\n");
}

TEST_F(CliFollowupCommandsTest, CreateUsageErrors) {
  const std::string usage =
      "action-item create INCIDENT --title TITLE [--owner USER] [--priority PRIORITY] [--due "
      "DATE] [--tracker URL] [--description TEXT] [--output FORMAT]";
  ExpectUsageError({"action-item", "create", "INC-42"}, "missing --title TITLE", usage);
  ExpectUsageError({"action-item", "create", "--title", "x"}, "missing INCIDENT", usage);
  ExpectUsageError({"action-item", "create", "AI-3", "--title", "x"},
                   "invalid incident id 'AI-3' (expected a number like 42 or a reference like "
                   "INC-42)",
                   usage);
  ExpectUsageError({"action-item", "create", "42", "--title", ""}, "empty --title", usage);
  ExpectUsageError({"action-item", "create", "42", "--title", "x", "--priority", "p0"},
                   "invalid --priority 'p0' (expected urgent, high, medium or low)", usage);
  ExpectUsageError({"action-item", "create", "42", "--title", "x", "--due", "next week"},
                   "invalid --due 'next week' (expected a date like 2026-12-20 (the end of that "
                   "day, local time), RFC 3339 like 2026-12-20T17:00:00Z, or +3d, +1w)",
                   usage);
  ExpectUsageError({"action-item", "create", "42", "--title", "x", "--due", "none"},
                   "invalid --due 'none' (expected a date like 2026-12-20 (the end of that day, "
                   "local time), RFC 3339 like 2026-12-20T17:00:00Z, or +3d, +1w)",
                   usage);
  ExpectUsageError({"action-item", "create", "42", "--title", "x", "--tracker", "PAY-12"},
                   "invalid --tracker 'PAY-12' (expected an http:// or https:// URL)", usage);
}

TEST_F(CliFollowupCommandsTest, CreateShowsTheServersFieldErrors) {
  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/owner"}, {"message", "unknown user 'nobody'"}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"action-item", "create", "42", "--title", "x", "--owner", "nobody"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (owner: unknown "
            "user 'nobody')\n");
  EXPECT_EQ(out(), "");

  server_.Reply(404, Problem(404, "no incident 999"));
  EXPECT_EQ(Run({"action-item", "create", "999", "--title", "x"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no incident 999\n");
}

TEST_F(CliFollowupCommandsTest, UpdateSendsTheVersionItRead) {
  server_.Reply(200, Item(7, "open", 3));
  nlohmann::json updated = Item(7, "done", 4);
  updated["due_at"] = nullptr;
  updated["owner"] = {{"username", "bob"}, {"name", "Bob"}};
  server_.Reply(200, updated);
  EXPECT_EQ(
      Run({"action-item", "update", "AI-7", "--status", "done", "--due", "none", "--owner", "bob"}),
      kExitOk)
      << err();
  ASSERT_EQ(server_.requests.size(), 2u);
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/action-items/7");
  EXPECT_EQ(server_.requests[1].method, "PATCH");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/action-items/7");
  EXPECT_EQ(server_.body(1),
            (nlohmann::json{{"version", 3}, {"status", "done"}, {"due_at", ""}, {"owner", "bob"}}));
  EXPECT_EQ(out(), "Updated AI-7: status done, owner bob, due none\n");
  EXPECT_EQ(server_.connections[1].token, kToken);

  // A new due date, priority, title and tracker; none unassigns; -o json prints the item.
  server_.Reply(200, Item(7, "open", 4));
  server_.Reply(200, Item(7, "open", 5));
  EXPECT_EQ(Run({"action-item", "update", "7", "--due", "+1d", "--priority", "urgent", "--title",
                 "T", "--tracker", "none", "--owner", "none", "-o", "json"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(3), (nlohmann::json{{"version", 4},
                                             {"title", "T"},
                                             {"owner", ""},
                                             {"priority", "urgent"},
                                             {"tracker_url", ""},
                                             {"due_at", "2026-11-26T22:45:41.123Z"}}));
  EXPECT_EQ(nlohmann::json::parse(out()), Item(7, "open", 5));
}

TEST_F(CliFollowupCommandsTest, UpdateThatLostARaceSaysToRetry) {
  server_.Reply(200, Item(7, "open", 3));
  server_.Reply(409, Problem(409,
                             "action item AI-7 changed since version 3 (now 4); reload and "
                             "edit again"));
  EXPECT_EQ(Run({"action-item", "update", "AI-7", "--status", "done"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: AI-7 changed meanwhile (someone else edited it since it was read); nothing "
            "was changed: run the command again\n");
  EXPECT_EQ(out(), "");

  // Other refusals are reported as usual, at either step.
  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/owner"}, {"message", "unknown user 'zed'"}}};
  server_.Reply(200, Item(7, "open", 3));
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"action-item", "update", "AI-7", "--owner", "zed"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (owner: unknown "
            "user 'zed')\n");
  server_.Reply(404, Problem(404, "no action item 70"));
  EXPECT_EQ(Run({"action-item", "update", "AI-70", "--status", "done"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no action item 70\n");
  EXPECT_EQ(server_.requests.size(), 5u);  // No PATCH after the 404.
}

TEST_F(CliFollowupCommandsTest, UpdateUsageErrors) {
  const std::string usage =
      "action-item update ITEM [--status STATUS] [--owner USER] [--priority PRIORITY] [--due "
      "DATE] [--title TITLE] [--tracker URL] [--description TEXT] [--output FORMAT]";
  ExpectUsageError({"action-item", "update", "AI-7"},
                   "nothing to change: give --status, --owner, --priority, --due, --title, "
                   "--tracker or --description",
                   usage);
  ExpectUsageError({"action-item", "update", "INC-7", "--status", "done"},
                   "invalid action item id 'INC-7' (expected a number like 7 or a reference like "
                   "AI-7)",
                   usage);
  ExpectUsageError({"action-item", "update", "AI-7", "--status", "active"},
                   "invalid --status 'active' (expected open, in_progress, done or wont_do)",
                   usage);
  ExpectUsageError({"action-item", "update", "AI-7", "--due", "2026-02-30"},
                   "invalid --due '2026-02-30' (expected a date like 2026-12-20 (the end of that "
                   "day, local time), RFC 3339 like 2026-12-20T17:00:00Z, or +3d, +1w; or none to "
                   "clear it)",
                   usage);
  ExpectUsageError({"action-item", "update", "AI-7", "--tracker", "ftp://x"},
                   "invalid --tracker 'ftp://x' (expected an http:// or https:// URL, or none to "
                   "remove it)",
                   usage);
  ExpectUsageError({"action-item", "update", "AI-7", "--title", ""}, "empty --title", usage);
  ExpectUsageError({"action-item", "update"}, "missing ITEM", usage);
  EXPECT_EQ(Run({"action-item", "delete", "7"}), kExitUsage);
  EXPECT_EQ(err(),
            "klaxon: unknown command 'action-item delete'\n"
            "usage: klaxon action-item <command> [options]\n"
            "commands: create update show\n");
}

TEST_F(CliFollowupCommandsTest, ShowPrintsTheItem) {
  nlohmann::json item = Item(7, "done", 4);
  item["closed_at"] = "2026-11-26T08:00:00.000Z";
  item["overdue"] = false;
  server_.Reply(200, item);
  EXPECT_EQ(Run({"action-item", "show", "ai-7"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/action-items/7");
  EXPECT_EQ(out(),
            "AI-7:          Add a circuit breaker to the payment client\n"
            "Incident:      INC-42 Checkout errors\n"
            "Service:       checkout\n"
            "Status:        done\n"
            "Priority:      high\n"
            "Owner:         ada\n"
            "Due:           2026-11-30 17:00 UTC\n"
            "Tracker:       https://tracker.example/PAY-12\n"
            "From:          incident\n"
            "Created:       2026-11-25 22:40 UTC by admin\n"
            "Updated:       2026-11-25 22:40 UTC\n"
            "Closed:        2026-11-26 08:00 UTC\n"
            "Version:       4\n"
            "Description:   The client retried forever.\n");

  server_.Reply(200, item);
  EXPECT_EQ(Run({"action-item", "show", "7", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), item);

  ExpectUsageError({"action-item", "show", "seven"},
                   "invalid action item id 'seven' (expected a number like 7 or a reference like "
                   "AI-7)",
                   "action-item show ITEM [--output FORMAT]");
}

TEST_F(CliFollowupCommandsTest, ReportTableShowsTheHeadlineNumbersAndBreakdowns) {
  server_.Reply(200, Analytics());
  EXPECT_EQ(Run({"report", "--quarter", "2026-q4", "--team", "payments", "--include-noise"}),
            kExitOk)
      << err();
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].path,
            "/api/v1/analytics?quarter=2026-Q4&team=payments&include_noise=true");
  EXPECT_EQ(out(),
            "Period:            2026-Q4 (Europe/Berlin)\n"
            "Filters:           team payments, noise included\n"
            "Incidents:         12 (3 open, 1 reopened; left out: 2 drills)\n"
            "MTTA:              mean 4m 30s, median 3m, p90 9m (of 11)\n"
            "Time to mitigate:  -\n"
            "MTTR:              mean 2h 5m, median 1h, p90 5h (of 9)\n"
            "Ack target:        10 met, 1 missed\n"
            "Resolve target:    8 met, 1 missed, 2 pending\n"
            "Updates:           20 kept, 2 missed\n"
            "Action items:      4 open, 1 overdue, 7 done\n"
            "Reviews:           5 due, 4 published, 1 late\n"
            "\n"
            "By severity\n"
            "SEVERITY  INCIDENTS  OPEN  MISSED A TARGET  MTTA MEDIAN  MTTR MEDIAN\n"
            "SEV-1     2          0     1                2m           2h\n"
            "SEV-2     10         3     0                4m           -\n"
            "\n"
            "By service\n"
            "SERVICE       INCIDENTS  OPEN  MISSED A TARGET  MTTA MEDIAN  MTTR MEDIAN\n"
            "checkout      9          2     1                3m           1h\n"
            "(no service)  3          1     0                5m           1h\n"
            "\n"
            "On-call load\n"
            "USER  PAGES  AT NIGHT  AT WEEKENDS\n"
            "ada   5      2         1\n"
            "bob   1      0         0\n");

  // Without a quarter: the period's instants; an empty report has no tables.
  nlohmann::json empty = Analytics();
  empty["period"]["quarter"] = nullptr;
  empty["filters"] = {{"service", nullptr}, {"team", nullptr}, {"severity", nullptr}};
  empty["by_severity"] = empty["by_service"] = empty["oncall"] = nlohmann::json::array();
  server_.Reply(200, empty);
  EXPECT_EQ(Run({"report"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/analytics");
  EXPECT_TRUE(
      out().starts_with("Period:            2026-09-30 22:00 UTC to 2026-12-31 23:00 UTC "
                        "(Europe/Berlin)\nFilters:           none\n"))
      << out();
  EXPECT_TRUE(out().ends_with("Reviews:           5 due, 4 published, 1 late\n")) << out();
}

TEST_F(CliFollowupCommandsTest, ReportFormats) {
  // json: the analytics as the server sent them; --from/--to dates as given, times as UTC.
  server_.Reply(200, Analytics());
  EXPECT_EQ(Run({"report", "--format", "json", "--from", "2026-10-01", "--to",
                 "2026-11-25T12:00:00+01:00", "--service", "checkout", "--severity", "SEV-1",
                 "--include-drills"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].path,
            "/api/v1/analytics?from=2026-10-01&to=2026-11-25T11%3A00%3A00.000Z&service=checkout&"
            "severity=SEV-1&include_drills=true");
  EXPECT_EQ(nlohmann::json::parse(out()), Analytics());

  // csv: the server's text as it is.
  const std::string csv = "id,ref,title\r\n1,INC-1,\"a, b\"\r\n";
  server_.ReplyRaw(200, csv);
  EXPECT_EQ(Run({"report", "--format", "csv", "--from", "-30d", "--to", "now"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path,
            "/api/v1/analytics?from=2026-10-26T22%3A45%3A41.123Z&to=2026-11-25T22%3A45%3A41.123Z&"
            "format=csv");
  EXPECT_EQ(out(), csv);

  // markdown and html: the quarterly review.
  server_.ReplyRaw(200, "# Response-time review 2026-Q4\n");
  EXPECT_EQ(Run({"report", "--format", "markdown", "--quarter", "2026-Q4"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[2].path, "/api/v1/reports/quarterly?quarter=2026-Q4&format=markdown");
  EXPECT_EQ(out(), "# Response-time review 2026-Q4\n");
  server_.ReplyRaw(200, "<!doctype html><title>x</title>\n");
  EXPECT_EQ(Run({"report", "--format", "html", "--team", "payments"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[3].path, "/api/v1/reports/quarterly?team=payments&format=html");

  // --json is --format json.
  server_.Reply(200, Analytics());
  EXPECT_EQ(Run({"report", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), Analytics());
}

TEST_F(CliFollowupCommandsTest, ReportWritesToAFile) {
  const std::string file = (dir_ / "q4.html").string();
  server_.ReplyRaw(200, "<!doctype html><p>report</p>\n");
  EXPECT_EQ(Run({"report", "--format", "html", "--quarter", "2026-Q4", "-o", file}), kExitOk)
      << err();
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(), "wrote " + file + "\n");
  std::ifstream in(file);
  std::stringstream written;
  written << in.rdbuf();
  EXPECT_EQ(written.str(), "<!doctype html><p>report</p>\n");

  server_.Reply(200, Analytics());
  const std::string table = (dir_ / "q4.txt").string();
  EXPECT_EQ(Run({"report", "--output", table}), kExitOk) << err();
  std::ifstream table_in(table);
  std::stringstream table_written;
  table_written << table_in.rdbuf();
  EXPECT_TRUE(table_written.str().starts_with("Period:            2026-Q4")) << table_written.str();

  server_.Reply(200, Analytics());
  const std::string nowhere = (dir_ / "no-such-dir" / "r.json").string();
  EXPECT_EQ(Run({"report", "--format", "json", "-o", nowhere}), kExitError);
  EXPECT_EQ(err(), "klaxon: cannot write " + nowhere + ": No such file or directory\n");
}

TEST_F(CliFollowupCommandsTest, ReportUsageErrors) {
  const std::string usage =
      "report [--quarter QUARTER] [--from DATE] [--to DATE] [--service SERVICE] [--team TEAM] "
      "[--severity LEVEL] [--include-drills] [--include-noise] [--format FORMAT] [--output FILE]";
  ExpectUsageError({"report", "--quarter", "2026-Q5"},
                   "invalid --quarter '2026-Q5' (expected YYYY-Qn, like 2026-Q4)", usage);
  ExpectUsageError({"report", "--quarter", "Q4"},
                   "invalid --quarter 'Q4' (expected YYYY-Qn, like 2026-Q4)", usage);
  ExpectUsageError({"report", "--quarter", "2026-Q4", "--from", "2026-10-01", "--to", "2026-11-01"},
                   "give --quarter or --from and --to, not both", usage);
  ExpectUsageError({"report", "--from", "2026-10-01"}, "missing --to (--from and --to go together)",
                   usage);
  ExpectUsageError({"report", "--to", "2026-10-01"}, "missing --from (--from and --to go together)",
                   usage);
  ExpectUsageError({"report", "--from", "2026-10-32", "--to", "2026-11-01"},
                   "invalid --from '2026-10-32' (expected a date like 2026-10-01, or RFC 3339 "
                   "like 2026-11-25T09:00:00Z, or now, +30m, -2h, +1d, +1w)",
                   usage);
  ExpectUsageError({"report", "--from", "2026-10-01", "--to", "last week"},
                   "invalid --to 'last week' (expected a date like 2026-10-01, or RFC 3339 like "
                   "2026-11-25T09:00:00Z, or now, +30m, -2h, +1d, +1w)",
                   usage);
  ExpectUsageError({"report", "--format", "pdf"},
                   "invalid --format 'pdf' (expected table, json, csv, markdown or html)", usage);
  ExpectUsageError({"report", "--format", "csv", "--json"},
                   "--json and --format csv contradict each other", usage);
  ExpectUsageError({"report", "-o", "json"},
                   "-o takes a FILE to write; for the format give --format json (or -o ./json for "
                   "a file named json)",
                   usage);
  ExpectUsageError({"report", "-o", ""}, "empty -o", usage);
  ExpectUsageError({"report", "--service", ""}, "empty --service", usage);
  ExpectUsageError({"report", "--mine"}, "option --mine does not apply to 'report'", usage);
}

TEST_F(CliFollowupCommandsTest, ReportShowsTheServersRefusals) {
  nlohmann::json invalid = Problem(422, "request has invalid fields");
  invalid["errors"] = {{{"field", "tz"}, {"message", "unknown time zone 'Mars/Base'"}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"report", "--format", "csv"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request has invalid fields (tz: unknown time zone "
            "'Mars/Base')\n");
  EXPECT_EQ(out(), "");

  // A server without the analytics API answers 404; the CLI says so and writes no file.
  const std::string file = (dir_ / "r.csv").string();
  server_.Reply(404, Problem(404, "no route GET /api/v1/analytics"));
  EXPECT_EQ(Run({"report", "--format", "csv", "-o", file}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no route GET /api/v1/analytics\n");
  EXPECT_FALSE(std::filesystem::exists(file));

  server_.Unreachable("Connection refused");
  EXPECT_EQ(Run({"report"}), kExitError);
  EXPECT_EQ(err(), "klaxon: cannot reach http://klaxon.test:8080: Connection refused\n");

  server_.ReplyRaw(200, "<html>not json</html>");
  EXPECT_EQ(Run({"report"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: unexpected response from http://klaxon.test:8080: the analytics are not a "
            "JSON object\n");
}

}  // namespace
}  // namespace klaxon::cli
