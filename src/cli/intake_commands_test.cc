// `klaxon integration|silence|maintenance ...` against the fake server: repeatable options,
// matcher and duration parsing, the requests the commands send, what they print, and the
// bad command lines that never reach the server.
#include <gtest/gtest.h>

#include "cli/cli.h"
#include "cli/commands_test_fixture.h"
#include "cli/handlers.h"

namespace klaxon::cli {
namespace {

// ---- The parser: repeatable options ---------------------------------------------------------

TEST(CliIntakeArgsTest, RepeatableOptionsKeepEveryValueInOrder) {
  const Parser parser(CommandTable(), OptionTable());
  const ParseResult result =
      parser.Parse({"silence", "create", "--matcher", "alertname=X", "--duration", "1h",
                    "--matcher=env=~prod.*", "--matcher", "team!=db", "--duration", "2h"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.GetAll("matcher"),
            (std::vector<std::string>{"alertname=X", "env=~prod.*", "team!=db"}));
  EXPECT_EQ(result.invocation.Get("matcher"), "team!=db");
  // Options that are not repeatable still keep their last value.
  EXPECT_EQ(result.invocation.Get("duration"), "2h");
  EXPECT_TRUE(result.invocation.GetAll("comment").empty());

  const ParseResult missing = parser.Parse({"silence", "create", "--duration", "1h"});
  EXPECT_EQ(missing.error, "missing --matcher MATCHER");
}

TEST(CliIntakeArgsTest, UsageAndHelpSayWhatRepeats) {
  const Parser parser(CommandTable(), OptionTable());
  EXPECT_EQ(parser.Usage(*parser.FindCommand("silence create")),
            "usage: klaxon silence create --matcher MATCHER... [--duration DURATION] [--end TIME] "
            "[--start TIME] [--comment TEXT]");
  const std::string help = parser.Help("silence create").value();
  EXPECT_NE(help.find("name=~regex or name!~regex (repeatable) (required)"), std::string::npos)
      << help;
  for (const char* group : {"integration", "silence", "maintenance"}) {
    EXPECT_TRUE(IsClientCommand(group)) << group;
  }
}

// ---- Matchers and durations -------------------------------------------------------------------

TEST(CliIntakeMatcherTest, AlertmanagerSyntax) {
  struct Case {
    const char* text;
    const char* name;
    const char* op;
    const char* value;
  };
  for (const Case& c : {
           Case{"alertname=HighLatency", "alertname", "=", "HighLatency"},
           Case{"env!=staging", "env", "!=", "staging"},
           Case{"instance=~api-[12]:.*", "instance", "=~", "api-[12]:.*"},
           Case{"env!~dev|test", "env", "!~", "dev|test"},
           Case{" team = payments ", "team", "=", "payments"},
           Case{"team=\"db ops\"", "team", "=", "db ops"},
           Case{"summary=\"say \\\"hi\\\"\"", "summary", "=", "say \"hi\""},
           Case{"url=a=b", "url", "=", "a=b"},
           Case{"service=", "service", "=", ""},
           Case{"le=~\"\"", "le", "=~", ""},
       }) {
    std::string why;
    const std::optional<MatcherArg> matcher = ParseMatcherArg(c.text, &why);
    ASSERT_TRUE(matcher.has_value()) << c.text << ": " << why;
    EXPECT_EQ(matcher->name, c.name) << c.text;
    EXPECT_EQ(matcher->op, c.op) << c.text;
    EXPECT_EQ(matcher->value, c.value) << c.text;
  }
}

TEST(CliIntakeMatcherTest, MalformedMatchersSayWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c : {
           Case{"alertname", "no operator"},
           Case{"", "no operator"},
           Case{"env!prod", "no operator"},
           Case{"=value", "no label name"},
           Case{"  !=x", "no label name"},
           Case{"my label=x", "invalid label name 'my label'"},
           Case{"a~=x", "invalid label name 'a~'"},
           Case{"team=\"db ops", "malformed quoted value \"db ops"},
           Case{"env=~prod[", "invalid regex: "},
           Case{"env!~(a", "invalid regex: "},
       }) {
    std::string why;
    EXPECT_EQ(ParseMatcherArg(c.text, &why), std::nullopt) << c.text;
    EXPECT_TRUE(why.starts_with(c.why)) << c.text << ": " << why;
  }
  EXPECT_EQ(ParseMatcherArg("env=~" + std::string(1001, 'a')), std::nullopt);
  EXPECT_NE(ParseMatcherArg("env=" + std::string(1001, 'a')), std::nullopt);  // Not a regex.
}

TEST(CliIntakeDurationTest, UnitsAndLimits) {
  EXPECT_EQ(ParseDurationArg("90m"), 90 * 60 * 1000);
  EXPECT_EQ(ParseDurationArg("2h"), 2 * 3600 * 1000);
  EXPECT_EQ(ParseDurationArg("1h30m"), 90 * 60 * 1000);
  EXPECT_EQ(ParseDurationArg("1d"), 86400 * 1000);
  EXPECT_EQ(ParseDurationArg("1w"), 7 * 86400 * 1000);
  EXPECT_EQ(ParseDurationArg("45s"), 45 * 1000);
  for (const char* bad :
       {"", "0m", "+2h", "-2h", "2", "h", "2x", "now", "2h ", "9999999h", "2026-11-25T09:00:00Z"}) {
    EXPECT_EQ(ParseDurationArg(bad), std::nullopt) << bad;
  }
}

// ---- Commands ------------------------------------------------------------------------------

class CliIntakeCommandsTest : public CliCommandsTest {
 protected:
  void SetUp() override {
    CliCommandsTest::SetUp();
    LoggedIn();
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // GET /api/v1/services, as the commands ask it to name services.
  void ReplyServices() {
    server_.Reply(200, {{"items",
                         {{{"id", 1}, {"name", "checkout"}, {"description", ""}, {"owner", ""}},
                          {{"id", 2}, {"name", "payments"}, {"description", ""}, {"owner", ""}}}},
                        {"next_cursor", nullptr}});
  }

  // A usage error starting with `message` and the command's usage line, and nothing sent.
  void ExpectUsageError(std::vector<std::string> args, const std::string& message) {
    const size_t sent = server_.requests.size();
    EXPECT_EQ(Run(args), kExitUsage) << args[0] << " " << args[1] << ": " << err();
    EXPECT_TRUE(err().starts_with("klaxon: " + message)) << err();
    EXPECT_NE(err().find("\nusage: klaxon " + args[0] + " " + args[1]), std::string::npos) << err();
    EXPECT_EQ(out(), "");
    EXPECT_EQ(server_.requests.size(), sent) << message;
  }
};

nlohmann::json Activity(int requests, int errors) {
  if (requests == 0) {
    return {{"requests", 0},
            {"errors", 0},
            {"last_request_at", nullptr},
            {"last_status", nullptr},
            {"last_error_at", nullptr},
            {"last_error", nullptr}};
  }
  return {{"requests", requests},
          {"errors", errors},
          {"last_request_at", "2026-11-25T22:44:00.500Z"},
          {"last_status", errors > 0 ? 422 : 200},
          {"last_error_at", errors > 0 ? nlohmann::json("2026-11-25T22:44:00.500Z") : nullptr},
          {"last_error", errors > 0 ? nlohmann::json("request body has invalid fields; "
                                                     "/alerts/0/labels: is required")
                                    : nullptr}};
}

nlohmann::json Integration(int id = 5, const std::string& name = "prod-am") {
  return {{"id", id},
          {"name", name},
          {"kind", "alertmanager"},
          {"key", "k3y"},
          {"service_id", 1},
          {"group_by", {"alertname", "service"}},
          {"auto_resolve", true},
          {"flap_window_seconds", 300},
          {"created_at", "2026-11-20T10:00:00.000Z"},
          {"revoked_at", nullptr},
          {"settings", nlohmann::json::object()},
          {"urls", {{"webhook", "http://klaxon.test:8080/intake/alertmanager/k3y"}}},
          {"activity", Activity(4, 3)}};
}

nlohmann::json Heartbeat() {
  return {{"id", 6},
          {"name", "nightly-backup"},
          {"kind", "heartbeat"},
          {"key", "hb"},
          {"service_id", nullptr},
          {"group_by", nlohmann::json::array()},
          {"auto_resolve", true},
          {"flap_window_seconds", 0},
          {"created_at", "2026-11-20T10:00:00.000Z"},
          {"revoked_at", "2026-11-24T08:00:00.000Z"},
          {"settings", {{"heartbeat_interval_seconds", 3600}, {"heartbeat_grace_seconds", 60}}},
          {"urls", {{"ping", "http://klaxon.test:8080/intake/heartbeat/hb"}}},
          {"activity", Activity(0, 0)}};
}

TEST_F(CliIntakeCommandsTest, IntegrationListNamesServices) {
  server_.Reply(200, {{"items", {Integration(), Heartbeat()}}, {"next_cursor", nullptr}});
  ReplyServices();
  ASSERT_EQ(Run({"integration", "list"}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 2u);
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/integrations");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/services");
  EXPECT_EQ(out(),
            "ID  NAME            KIND          SERVICE   REQUESTS  ERRORS  LAST REQUEST         "
            "STATE\n"
            "5   prod-am         alertmanager  checkout  4         3       2026-11-25 22:44:00  "
            "active\n"
            "6   nightly-backup  heartbeat     -         0         0       -                    "
            "revoked\n");

  // Without the service list the ids stand in; the command still succeeds.
  server_.Reply(200, {{"items", {Integration()}}, {"next_cursor", nullptr}});
  server_.Reply(403, Problem(403, "no"));
  ASSERT_EQ(Run({"integration", "list"}), kExitOk) << err();
  EXPECT_NE(out().find("alertmanager  1  "), std::string::npos) << out();
  EXPECT_EQ(err(), "");

  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"integration", "list"}), kExitOk);
  EXPECT_EQ(out(), "No integrations.\n");
  EXPECT_EQ(server_.requests.size(), 5u);  // No service list for an empty list.
}

TEST_F(CliIntakeCommandsTest, IntegrationListJsonIsTheServersJson) {
  const nlohmann::json reply = {{"items", {Integration()}}, {"next_cursor", nullptr}};
  server_.Reply(200, reply);
  ASSERT_EQ(Run({"integration", "list", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), reply);
  EXPECT_EQ(server_.requests.size(), 1u);
}

TEST_F(CliIntakeCommandsTest, IntegrationShowPrintsEveryField) {
  server_.Reply(200, Integration());
  ReplyServices();
  ASSERT_EQ(Run({"integration", "show", "5"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/integrations/5");
  EXPECT_EQ(out(),
            "prod-am (integration 5)\n"
            "Kind:          alertmanager\n"
            "State:         active\n"
            "Service:       checkout\n"
            "Group by:      alertname, service\n"
            "Auto-resolve:  yes\n"
            "Flap window:   300 s\n"
            "Created:       2026-11-20 10:00:00\n"
            "Key:           k3y\n"
            "URLs:\n"
            "  webhook  http://klaxon.test:8080/intake/alertmanager/k3y\n"
            "Requests:      4 (3 errors) since the server started\n"
            "Last request:  2026-11-25 22:44:00, status 422\n"
            "Last error:    2026-11-25 22:44:00: request body has invalid fields; "
            "/alerts/0/labels: is required\n");

  server_.Reply(200, Heartbeat());
  ASSERT_EQ(Run({"integration", "show", "6"}), kExitOk) << err();
  EXPECT_EQ(server_.requests.size(), 3u);  // No service, no service list.
  EXPECT_EQ(out(),
            "nightly-backup (integration 6)\n"
            "Kind:          heartbeat\n"
            "State:         revoked 2026-11-24 08:00:00\n"
            "Service:       -\n"
            "Group by:      -\n"
            "Auto-resolve:  yes\n"
            "Flap window:   0 s\n"
            "Heartbeat:     a ping every 3600 s, 60 s grace\n"
            "Created:       2026-11-20 10:00:00\n"
            "Key:           hb\n"
            "URLs:\n"
            "  ping  http://klaxon.test:8080/intake/heartbeat/hb\n"
            "Requests:      0 (0 errors) since the server started\n");

  server_.Reply(404, Problem(404, "no integration 99"));
  EXPECT_EQ(Run({"integration", "show", "99"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no integration 99\n");
}

TEST_F(CliIntakeCommandsTest, IntegrationIdsAreNumbers) {
  for (const char* command : {"show", "update", "rotate-key", "delete", "requests"}) {
    ExpectUsageError(
        {"integration", command, "prod-am", "--name", "x"},
        std::string(command) == "update"
            ? "invalid integration id 'prod-am' (expected a number; 'klaxon "
              "integration list' lists them)"
            : "option --name does not apply to 'integration " + std::string(command) + "'");
    ExpectUsageError({"integration", command, "0"},
                     "invalid integration id '0' (expected a number; 'klaxon integration list' "
                     "lists them)");
  }
}

TEST_F(CliIntakeCommandsTest, IntegrationCreateSendsTheOptionsAndPrintsKeyAndUrls) {
  nlohmann::json created = Integration(7, "prod-am");
  created.erase("activity");
  server_.Reply(201, created);
  ReplyServices();
  ASSERT_EQ(Run({"integration", "create", "--name", "prod-am", "--kind", "alertmanager",
                 "--service", "checkout", "--group-by", "alertname, cluster"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/integrations");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"name", "prod-am"},
                                             {"kind", "alertmanager"},
                                             {"service", "checkout"},
                                             {"group_by", {"alertname", "cluster"}}}));
  EXPECT_TRUE(out().starts_with("Created prod-am (integration 7)\nKind:          alertmanager\n"))
      << out();
  EXPECT_NE(out().find("\nKey:           k3y\nURLs:\n  webhook  "
                       "http://klaxon.test:8080/intake/alertmanager/k3y\n"),
            std::string::npos)
      << out();
  EXPECT_EQ(out().find("Requests:"), std::string::npos) << out();

  server_.Reply(201, Heartbeat());
  ASSERT_EQ(Run({"integration", "create", "--name", "nightly", "--kind", "heartbeat", "--interval",
                 "3600", "--grace", "60"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(2), (nlohmann::json{{"name", "nightly"},
                                             {"kind", "heartbeat"},
                                             {"heartbeat_interval_seconds", 3600},
                                             {"heartbeat_grace_seconds", 60}}));
}

TEST_F(CliIntakeCommandsTest, IntegrationCreateFromAFileWithOptionsOnTop) {
  const std::string path = WriteFile(
      "hook.json",
      R"({"name":"checks","kind":"webhook","mapping":{"title":"/check/name"},"auto_resolve":false})");
  server_.Reply(201, Integration());
  ASSERT_EQ(Run({"integration", "create", "-f", path, "--name", "checks-2", "--group-by", ""}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"name", "checks-2"},
                                             {"kind", "webhook"},
                                             {"mapping", {{"title", "/check/name"}}},
                                             {"auto_resolve", false},
                                             {"group_by", nlohmann::json::array()}}));

  const std::string array = WriteFile("array.json", "[]");
  EXPECT_EQ(Run({"integration", "create", "-f", array}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: " + array + ": expected a JSON object (the request body, see docs/api.md)\n");
  EXPECT_EQ(server_.requests.size(), 2u);  // The create and its service list.
}

TEST_F(CliIntakeCommandsTest, IntegrationCreateBadArguments) {
  ExpectUsageError({"integration", "create", "--kind", "alertmanager"},
                   "missing --name NAME (or -f FILE)");
  ExpectUsageError({"integration", "create", "--name", "x"}, "missing --kind KIND (or -f FILE)");
  ExpectUsageError({"integration", "create", "--name", "", "--kind", "alertmanager"},
                   "empty --name");
  ExpectUsageError(
      {"integration", "create", "--name", "x", "--kind", "heartbeat", "--interval", "1h"},
      "invalid --interval '1h' (expected seconds between pings, 10..604800)");
  ExpectUsageError({"integration", "create", "--name", "x", "--kind", "heartbeat", "--grace", "-5"},
                   "invalid --grace '-5' (expected seconds, 0..86400)");
  ExpectUsageError({"integration", "create", "--name", "x", "--kind", "alertmanager", "--group-by",
                    "alertname,,env"},
                   "invalid --group-by 'alertname,,env' (an empty item)");
  ExpectUsageError(
      {"integration", "create", "--name", "x", "--kind", "alertmanager", "--auto-resolve", "true"},
      "option --auto-resolve does not apply to 'integration create'");

  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/kind"}, {"message", "must be one of alertmanager, ..."}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"integration", "create", "--name", "x", "--kind", "nagios"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (kind: must be "
            "one of alertmanager, ...)\n");
  EXPECT_EQ(out(), "");
}

TEST_F(CliIntakeCommandsTest, IntegrationUpdatePatchesWhatWasGiven) {
  nlohmann::json updated = Integration();
  updated["service_id"] = nullptr;
  updated["auto_resolve"] = false;
  updated["flap_window_seconds"] = 60;
  server_.Reply(200, updated);
  ASSERT_EQ(Run({"integration", "update", "5", "--service", "none", "--auto-resolve", "false",
                 "--flap-window", "60", "--name", "prod-am"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "PATCH");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/integrations/5");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"service", nullptr},
                                             {"auto_resolve", false},
                                             {"flap_window_seconds", 60},
                                             {"name", "prod-am"}}));
  EXPECT_EQ(server_.requests.size(), 1u);  // No service to name.
  EXPECT_TRUE(out().starts_with("Updated prod-am (integration 5)\n")) << out();
  EXPECT_NE(out().find("Service:       -\n"), std::string::npos) << out();
  EXPECT_NE(out().find("Auto-resolve:  no\nFlap window:   60 s\n"), std::string::npos) << out();

  server_.Reply(200, Integration());
  ReplyServices();
  ASSERT_EQ(Run({"integration", "update", "5", "--service", "2", "--interval", "600",
                 "--auto-resolve", "true"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(1),
            (nlohmann::json{
                {"service", "2"}, {"heartbeat_interval_seconds", 600}, {"auto_resolve", true}}));

  const std::string path = WriteFile("patch.json", R"({"mapping":{"title":"/t"},"name":"a"})");
  server_.Reply(200, Integration());
  ReplyServices();
  ASSERT_EQ(Run({"integration", "update", "5", "-f", path, "--name", "b"}), kExitOk) << err();
  EXPECT_EQ(server_.body(3), (nlohmann::json{{"mapping", {{"title", "/t"}}}, {"name", "b"}}));

  server_.Reply(409, Problem(409, "integration prod-am is revoked"));
  EXPECT_EQ(Run({"integration", "update", "5", "--name", "x"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: integration prod-am is revoked\n");
}

TEST_F(CliIntakeCommandsTest, IntegrationUpdateBadArguments) {
  ExpectUsageError({"integration", "update", "5"},
                   "nothing to change: give --name, --service, --group-by, --auto-resolve, "
                   "--flap-window, --interval, --grace or -f FILE");
  ExpectUsageError({"integration", "update", "5", "--auto-resolve", "yes"},
                   "invalid --auto-resolve 'yes' (expected true or false)");
  ExpectUsageError({"integration", "update", "5", "--flap-window", "5m"},
                   "invalid --flap-window '5m' (expected seconds, 0..86400)");
  ExpectUsageError({"integration", "update", "5", "--service", ""}, "empty --service");
  ExpectUsageError({"integration", "update", "5", "--kind", "grafana"},
                   "option --kind does not apply to 'integration update'");
}

TEST_F(CliIntakeCommandsTest, RotateKeyAndDelete) {
  nlohmann::json rotated = Integration();
  rotated["key"] = "n3w";
  rotated["urls"] = {{"api", "http://klaxon.test:8080/intake/prometheus/n3w/api/v2/alerts"},
                     {"path_prefix", "/intake/prometheus/n3w"}};
  server_.Reply(200, rotated);
  ASSERT_EQ(Run({"integration", "rotate-key", "5"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/integrations/5/rotate-key");
  EXPECT_EQ(out(),
            "New key for prod-am (integration 5); the old key no longer works\n"
            "Key:           n3w\n"
            "URLs:\n"
            "  api          http://klaxon.test:8080/intake/prometheus/n3w/api/v2/alerts\n"
            "  path_prefix  /intake/prometheus/n3w\n");

  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"integration", "delete", "5"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].method, "DELETE");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/integrations/5");
  EXPECT_EQ(out(), "Revoked integration 5; its key answers 401 from now on\n");

  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"integration", "delete", "5", "--json"}), kExitOk) << err();
  EXPECT_EQ(out(), "");

  server_.Reply(409, Problem(409, "integration prod-am is already revoked"));
  EXPECT_EQ(Run({"integration", "delete", "5"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: integration prod-am is already revoked\n");
}

nlohmann::json Requests() {
  return {{"integration", {{"id", 5}, {"name", "prod-am"}, {"kind", "alertmanager"}}},
          {"stats", Activity(2, 1)},
          {"items",
           {{{"at", "2026-11-25T22:44:00.500Z"},
             {"method", "POST"},
             {"route", "/intake/alertmanager/{key}"},
             {"content_type", "application/json"},
             {"remote", "10.0.0.7:41234"},
             {"request_id", "r-000042"},
             {"status", 422},
             {"duration_ms", 0.412},
             {"body", R"({"version":"4","alerts":[{"labels":{}}]})"},
             {"body_bytes", 40},
             {"response", "{}"},
             {"error", "request body has invalid fields; /alerts/0/labels: is required"}},
            {{"at", "2026-11-25T22:40:00.000Z"},
             {"method", "POST"},
             {"route", "/intake/alertmanager/{key}"},
             {"content_type", "text/plain"},
             {"remote", "10.0.0.7:41200"},
             {"request_id", "r-000041"},
             {"status", 200},
             {"duration_ms", 12.25},
             {"body", "not json\x1b[31m\nline two"},
             {"body_bytes", 18},
             {"response", "{}"},
             {"error", nullptr}}}}};
}

TEST_F(CliIntakeCommandsTest, RequestsTable) {
  server_.Reply(200, Requests());
  ASSERT_EQ(Run({"integration", "requests", "5"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/integrations/5/requests");
  EXPECT_EQ(out(),
            "Integration prod-am (id 5): 2 requests, 1 error since the server started; the last "
            "2, newest first\n"
            "TIME                 METHOD  STATUS  MS    ERROR\n"
            "2026-11-25 22:44:00  POST    422     0.4   request body has invalid fields; "
            "/alerts/0/labels: is required\n"
            "2026-11-25 22:40:00  POST    200     12.2  -\n");

  nlohmann::json none = Requests();
  none["items"] = nlohmann::json::array();
  none["stats"] = Activity(0, 0);
  server_.Reply(200, none);
  ASSERT_EQ(Run({"integration", "requests", "5"}), kExitOk) << err();
  EXPECT_EQ(out(), "Integration prod-am (id 5): no requests since the server started\n");

  server_.Reply(200, Requests());
  ASSERT_EQ(Run({"integration", "requests", "5", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), Requests());
}

TEST_F(CliIntakeCommandsTest, RequestsWithBodies) {
  server_.Reply(200, Requests());
  ASSERT_EQ(Run({"integration", "requests", "5", "--body"}), kExitOk) << err();
  EXPECT_EQ(out(),
            "Integration prod-am (id 5): 2 requests, 1 error since the server started; the last "
            "2, newest first\n"
            "\n"
            "--- 2026-11-25 22:44:00  POST /intake/alertmanager/{key}  status 422 in 0.4 ms  "
            "(application/json, 40 bytes, from 10.0.0.7:41234)\n"
            "Error: request body has invalid fields; /alerts/0/labels: is required\n"
            "{\n"
            "  \"alerts\": [\n"
            "    {\n"
            "      \"labels\": {}\n"
            "    }\n"
            "  ],\n"
            "  \"version\": \"4\"\n"
            "}\n"
            "\n"
            "--- 2026-11-25 22:40:00  POST /intake/alertmanager/{key}  status 200 in 12.2 ms  "
            "(text/plain, 18 bytes, from 10.0.0.7:41200)\n"
            "not json [31m\n"
            "line two\n");
}

nlohmann::json Silence(int id, const std::string& state) {
  return {{"id", id},
          {"matchers",
           {{{"name", "alertname"}, {"op", "="}, {"value", "HighLatency"}},
            {{"name", "env"}, {"op", "=~"}, {"value", "prod.*"}}}},
          {"starts_at", "2026-11-25T22:45:41.123Z"},
          {"ends_at", "2026-11-26T00:45:41.123Z"},
          {"created_by", "admin"},
          {"comment", "deploy"},
          {"state", state}};
}

TEST_F(CliIntakeCommandsTest, SilenceListShowsActiveAndPendingUnlessAll) {
  const nlohmann::json reply = {
      {"items", {Silence(3, "pending"), Silence(2, "expired"), Silence(1, "active")}},
      {"next_cursor", nullptr}};
  server_.Reply(200, reply);
  ASSERT_EQ(Run({"silence", "list"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/silences");
  EXPECT_EQ(out(),
            "ID  STATE    MATCHERS                               STARTS               ENDS    "
            "             CREATED BY  COMMENT\n"
            "3   pending  alertname=\"HighLatency\" env=~\"prod.*\"  2026-11-25 22:45:41  "
            "2026-11-26 00:45:41  admin       deploy\n"
            "1   active   alertname=\"HighLatency\" env=~\"prod.*\"  2026-11-25 22:45:41  "
            "2026-11-26 00:45:41  admin       deploy\n");

  server_.Reply(200, reply);
  ASSERT_EQ(Run({"silence", "list", "--all"}), kExitOk) << err();
  EXPECT_NE(out().find("\n2   expired  "), std::string::npos) << out();

  server_.Reply(200, reply);
  ASSERT_EQ(Run({"silence", "list", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()),
            (nlohmann::json{{"items", {Silence(3, "pending"), Silence(1, "active")}},
                            {"next_cursor", nullptr}}));

  server_.Reply(200, reply);
  ASSERT_EQ(Run({"silence", "list", "--json", "--all"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), reply);

  server_.Reply(200, {{"items", {Silence(2, "expired")}}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"silence", "list"}), kExitOk) << err();
  EXPECT_EQ(out(), "No active or pending silences.\n");
  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"silence", "list", "--all"}), kExitOk) << err();
  EXPECT_EQ(out(), "No silences.\n");
}

TEST_F(CliIntakeCommandsTest, SilenceCreateSendsMatchersAndTimes) {
  server_.Reply(201, Silence(4, "active"));
  ASSERT_EQ(
      Run({"silence", "create", "--matcher", "alertname=HighLatency", "--matcher", "env=~prod.*",
           "--matcher", "team!=\"db ops\"", "--duration", "2h", "--comment", "deploy"}),
      kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/silences");
  EXPECT_EQ(server_.body(0),
            (nlohmann::json{{"matchers",
                             {{{"name", "alertname"}, {"op", "="}, {"value", "HighLatency"}},
                              {{"name", "env"}, {"op", "=~"}, {"value", "prod.*"}},
                              {{"name", "team"}, {"op", "!="}, {"value", "db ops"}}}},
                            {"duration_minutes", 120},
                            {"comment", "deploy"}}));
  EXPECT_EQ(out(),
            "Created silence 4 (active, 2026-11-25 22:45:41 to 2026-11-26 00:45:41): "
            "alertname=\"HighLatency\" env=~\"prod.*\"\n");

  server_.Reply(201, Silence(5, "pending"));
  ASSERT_EQ(Run({"silence", "create", "--matcher", "env!~dev", "--start", "+1h", "--end",
                 "2026-11-26T10:00:00+01:00"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(1),
            (nlohmann::json{{"matchers", {{{"name", "env"}, {"op", "!~"}, {"value", "dev"}}}},
                            {"starts_at", "2026-11-25T23:45:41.123Z"},
                            {"ends_at", "2026-11-26T09:00:00.000Z"}}));
  EXPECT_TRUE(out().starts_with("Created silence 5 (pending, ")) << out();

  server_.Reply(201, Silence(6, "active"));
  ASSERT_EQ(Run({"silence", "create", "--matcher", "a=b", "--start", "now", "--duration", "1d",
                 "--json"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(2),
            (nlohmann::json{{"matchers", {{{"name", "a"}, {"op", "="}, {"value", "b"}}}},
                            {"starts_at", "2026-11-25T22:45:41.123Z"},
                            {"duration_minutes", 1440}}));
  EXPECT_EQ(nlohmann::json::parse(out()), Silence(6, "active"));
}

TEST_F(CliIntakeCommandsTest, SilenceCreateBadArguments) {
  const std::string forms = "(expected name=value, name!=value, name=~regex or name!~regex)";
  ExpectUsageError({"silence", "create", "--matcher", "alertname", "--duration", "1h"},
                   "invalid --matcher 'alertname': no operator " + forms);
  ExpectUsageError(
      {"silence", "create", "--matcher", "a=b", "--matcher", "env=~prod[", "--duration", "1h"},
      "invalid --matcher 'env=~prod[': invalid regex: ");
  ExpectUsageError({"silence", "create", "--matcher", "a=b"},
                   "missing --duration DURATION (or --end TIME)");
  ExpectUsageError({"silence", "create", "--matcher", "a=b", "--duration", "1h", "--end", "+2h"},
                   "give --duration or --end, not both");
  ExpectUsageError({"silence", "create", "--matcher", "a=b", "--duration", "90s"},
                   "invalid --duration '90s' (expected whole minutes like 90m, 2h, 1d, 1h30m)");
  ExpectUsageError({"silence", "create", "--matcher", "a=b", "--duration", "soon"},
                   "invalid --duration 'soon' (expected whole minutes like 90m, 2h, 1d, 1h30m)");
  ExpectUsageError({"silence", "create", "--matcher", "a=b", "--end", "tomorrow"},
                   "invalid --end 'tomorrow' (expected RFC 3339 like 2026-11-25T09:00:00Z, or "
                   "now, +30m, -2h, +1d, +1w)");
  ExpectUsageError({"silence", "create", "--matcher", "a=b", "--duration", "1h", "--start", "x"},
                   "invalid --start 'x' (expected RFC 3339 like 2026-11-25T09:00:00Z, or now, "
                   "+30m, -2h, +1d, +1w)");
  ExpectUsageError({"silence", "create", "--duration", "1h"}, "missing --matcher MATCHER");

  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/ends_at"}, {"message", "must be in the future"}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"silence", "create", "--matcher", "a=b", "--end", "-1h"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (ends_at: must be "
            "in the future)\n");
}

TEST_F(CliIntakeCommandsTest, SilenceExpire) {
  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"silence", "expire", "4"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "DELETE");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/silences/4");
  EXPECT_EQ(out(), "Expired silence 4\n");

  server_.Reply(409, Problem(409, "silence 4 has already ended"));
  EXPECT_EQ(Run({"silence", "expire", "4"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: silence 4 has already ended\n");

  ExpectUsageError({"silence", "expire", "four"},
                   "invalid silence id 'four' (expected a number; 'klaxon silence list' lists "
                   "them)");
}

nlohmann::json OneOffWindow() {
  return {{"id", 3},
          {"service_id", 1},
          {"name", "db failover test"},
          {"active", true},
          {"starts_at", "2026-11-25T22:00:00.000Z"},
          {"ends_at", "2026-11-26T02:00:00.000Z"},
          {"next_start", nullptr}};
}

nlohmann::json WeeklyWindow() {
  return {{"id", 4},
          {"service_id", 2},
          {"name", "patching"},
          {"active", false},
          {"weekdays", {"sun", "sat"}},
          {"start", "02:00"},
          {"duration_minutes", 120},
          {"time_zone", "Europe/Berlin"},
          {"next_start", "2026-11-28T01:00:00.000Z"}};
}

TEST_F(CliIntakeCommandsTest, MaintenanceList) {
  server_.Reply(200, {{"items", {OneOffWindow(), WeeklyWindow()}}, {"next_cursor", nullptr}});
  ReplyServices();
  ASSERT_EQ(Run({"maintenance", "list"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/maintenance");
  EXPECT_EQ(out(),
            "ID  NAME              SERVICE   WHEN                                        ACTIVE  "
            "NEXT START\n"
            "3   db failover test  checkout  2026-11-25 22:00:00 to 2026-11-26 02:00:00  yes     "
            "-\n"
            "4   patching          payments  sun,sat 02:00 for 120 min (Europe/Berlin)   no      "
            "2026-11-28 01:00:00\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"maintenance", "list"}), kExitOk);
  EXPECT_EQ(out(), "No maintenance windows.\n");
}

TEST_F(CliIntakeCommandsTest, MaintenanceCreateOneOff) {
  server_.Reply(201, OneOffWindow());
  ReplyServices();
  ASSERT_EQ(Run({"maintenance", "create", "--service", "checkout", "--name", "db failover test",
                 "--start", "2026-11-25T22:00:00Z", "--end", "+3h"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/maintenance");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"service", "checkout"},
                                             {"name", "db failover test"},
                                             {"starts_at", "2026-11-25T22:00:00.000Z"},
                                             {"ends_at", "2026-11-26T01:45:41.123Z"}}));
  EXPECT_EQ(out(),
            "Created maintenance window 3 for checkout: db failover test, 2026-11-25 22:00:00 to "
            "2026-11-26 02:00:00\n");

  server_.Reply(201, OneOffWindow());
  ReplyServices();
  ASSERT_EQ(Run({"maintenance", "create", "--service", "1", "--name", "n", "--start", "now",
                 "--duration", "1h30m"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(2), (nlohmann::json{{"service", "1"},
                                             {"name", "n"},
                                             {"starts_at", "2026-11-25T22:45:41.123Z"},
                                             {"ends_at", "2026-11-26T00:15:41.123Z"}}));
}

TEST_F(CliIntakeCommandsTest, MaintenanceCreateWeekly) {
  server_.Reply(201, WeeklyWindow());
  ReplyServices();
  ASSERT_EQ(
      Run({"maintenance", "create", "--service", "payments", "--name", "patching", "--weekdays",
           "Sun, sat", "--at", "02:00", "--duration", "2h", "--time-zone", "Europe/Berlin"}),
      kExitOk)
      << err();
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"service", "payments"},
                                             {"name", "patching"},
                                             {"weekdays", {"sun", "sat"}},
                                             {"start", "02:00"},
                                             {"duration_minutes", 120},
                                             {"time_zone", "Europe/Berlin"}}));
  EXPECT_EQ(out(),
            "Created maintenance window 4 for payments: patching, sun,sat 02:00 for 120 min "
            "(Europe/Berlin)\n");

  server_.Reply(201, WeeklyWindow());
  ReplyServices();
  ASSERT_EQ(Run({"maintenance", "create", "--service", "payments", "--name", "nightly",
                 "--weekdays", "mon,tue,wed,thu,fri", "--at", "23:30", "--duration", "45m"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(2)["time_zone"], "UTC");
  EXPECT_EQ(server_.body(2)["duration_minutes"], 45);
}

TEST_F(CliIntakeCommandsTest, MaintenanceCreateBadArguments) {
  const std::vector<std::string> base = {"maintenance", "create", "--service", "s", "--name", "n"};
  const auto with = [&base](std::vector<std::string> more) {
    std::vector<std::string> args = base;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  ExpectUsageError(with({}),
                   "give --start and --end (or --duration) for a one-off window, or --weekdays, "
                   "--at and --duration for a weekly one");
  ExpectUsageError(with({"--start", "now", "--end", "+1h", "--weekdays", "sun"}),
                   "--start/--end (a one-off window) do not go with --weekdays/--at/--time-zone "
                   "(a weekly one)");
  ExpectUsageError(with({"--end", "+1h"}), "missing --start TIME");
  ExpectUsageError(with({"--start", "now"}), "missing --end TIME (or --duration)");
  ExpectUsageError(with({"--start", "now", "--end", "+1h", "--duration", "1h"}),
                   "give --end or --duration, not both");
  ExpectUsageError(with({"--start", "yesterday", "--end", "+1h"}),
                   "invalid --start 'yesterday' (expected RFC 3339 like 2026-11-25T09:00:00Z, or "
                   "now, +30m, -2h, +1d, +1w)");
  ExpectUsageError(with({"--weekdays", "sun", "--duration", "2h"}),
                   "missing --at HH:MM (a weekly window needs --weekdays, --at and --duration)");
  ExpectUsageError(with({"--weekdays", "sun", "--at", "02:00"}),
                   "missing --duration DURATION (a weekly window needs --weekdays, --at and "
                   "--duration)");
  ExpectUsageError(with({"--at", "02:00", "--duration", "2h"}),
                   "missing --weekdays DAYS (a weekly window needs --weekdays, --at and "
                   "--duration)");
  ExpectUsageError(with({"--weekdays", "sunday", "--at", "02:00", "--duration", "2h"}),
                   "invalid --weekdays 'sunday' (expected days like sun,sat from sun, mon, tue, "
                   "wed, thu, fri, sat)");
  ExpectUsageError(with({"--weekdays", "", "--at", "02:00", "--duration", "2h"}),
                   "empty --weekdays");
  for (const char* at : {"2:00", "24:00", "02:60", "0200", "ab:cd"}) {
    ExpectUsageError(with({"--weekdays", "sun", "--at", at, "--duration", "2h"}),
                     "invalid --at '" + std::string(at) +
                         "' (expected the local start time as HH:MM, like 02:00)");
  }
  ExpectUsageError(with({"--weekdays", "sun", "--at", "02:00", "--duration", "2"}),
                   "invalid --duration '2' (expected whole minutes like 90m, 2h, 1d, 1h30m)");
  ExpectUsageError(
      with({"--weekdays", "sun", "--at", "02:00", "--duration", "2h", "--time-zone", ""}),
      "empty --time-zone");
  ExpectUsageError(
      {"maintenance", "create", "--service", "", "--name", "n", "--start", "now", "--end", "+1h"},
      "empty --service");
  ExpectUsageError({"maintenance", "create", "--name", "n", "--start", "now", "--end", "+1h"},
                   "missing --service SERVICE");

  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/time_zone"}, {"message", "unknown time zone"}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run(with({"--weekdays", "sun", "--at", "02:00", "--duration", "2h", "--time-zone",
                      "Mars/Olympus"})),
            kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (time_zone: "
            "unknown time zone)\n");
}

TEST_F(CliIntakeCommandsTest, MaintenanceDelete) {
  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"maintenance", "delete", "3"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "DELETE");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/maintenance/3");
  EXPECT_EQ(out(), "Deleted maintenance window 3\n");

  server_.Reply(404, Problem(404, "no maintenance window 3"));
  EXPECT_EQ(Run({"maintenance", "delete", "3"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no maintenance window 3\n");

  ExpectUsageError({"maintenance", "delete", "x"},
                   "invalid maintenance window id 'x' (expected a number; 'klaxon maintenance "
                   "list' lists them)");
}

}  // namespace
}  // namespace klaxon::cli
