#include "cli/commands.h"

#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands_test_fixture.h"

namespace klaxon::cli {
namespace {

nlohmann::json LoginReply() {
  return {
      {"user", {{"id", 1}, {"username", "admin"}, {"name", "Administrator"}, {"role", "admin"}}},
      {"token", "kx_s3cr3t"},
      {"id", 9}};
}

TEST_F(CliCommandsTest, LoginSavesTheTokenWithMode0600) {
  server_.Reply(201, LoginReply());
  ASSERT_EQ(Run({"login", "--server", "http://klaxon.test:8080/", "--username", "admin",
                 "--password", "pw"}),
            kExitOk)
      << err();
  EXPECT_EQ(out(), "Logged in to http://klaxon.test:8080 as admin (admin)\n");
  EXPECT_EQ(err(), "");
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/auth/login");
  EXPECT_EQ(
      server_.body(0),
      (nlohmann::json{{"username", "admin"}, {"password", "pw"}, {"token_name", "cli@testhost"}}));
  EXPECT_EQ(server_.connections[0].server, kServer);
  EXPECT_EQ(server_.connections[0].token, "");  // Never send an old token with a password.
  EXPECT_EQ(ReadConfig(), (nlohmann::json{{"server", kServer}, {"token", kToken}}));
  struct stat info {};
  ASSERT_EQ(::stat(config_path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_TRUE(prompter_.asked.empty());
}

TEST_F(CliCommandsTest, LoginAsksForWhatIsMissingAndHidesThePassword) {
  prompter_.answers = {"alice", "pw"};
  server_.Reply(201, LoginReply());
  ASSERT_EQ(Run({"login"}), kExitOk) << err();
  ASSERT_EQ(prompter_.asked.size(), 2u);
  EXPECT_EQ(prompter_.asked[0], (std::pair<std::string, bool>{"Username: ", false}));
  EXPECT_EQ(prompter_.asked[1], (std::pair<std::string, bool>{"Password: ", true}));
  EXPECT_EQ(server_.body(0)["username"], "alice");
  EXPECT_EQ(server_.connections[0].server, "http://127.0.0.1:8080");  // The default.
}

TEST_F(CliCommandsTest, LoginTakesThePasswordFromTheEnvironment) {
  env_["KLAXON_PASSWORD"] = "from-env";
  server_.Reply(201, LoginReply());
  ASSERT_EQ(Run({"login", "--username", "admin"}), kExitOk) << err();
  EXPECT_EQ(server_.body(0)["password"], "from-env");
  EXPECT_TRUE(prompter_.asked.empty());
}

TEST_F(CliCommandsTest, LoginWithoutAnswersIsAUsageError) {
  EXPECT_EQ(Run({"login"}), kExitUsage);
  EXPECT_EQ(err(),
            "klaxon: no username given\nusage: klaxon login [--username USER] "
            "[--password PASSWORD]\n");
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliCommandsTest, FailedLoginLeavesTheConfigAlone) {
  WriteConfig({{"server", "http://old:1"}, {"token", "kx_old"}});
  server_.Reply(401, Problem(401, "invalid username or password"));
  EXPECT_EQ(Run({"login", "--username", "admin", "--password", "nope"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 401 Unauthorized: invalid username or password\n");
  EXPECT_EQ(ReadConfig()["token"], "kx_old");
}

TEST_F(CliCommandsTest, LoginJsonOmitsTheToken) {
  server_.Reply(201, LoginReply());
  ASSERT_EQ(Run({"login", "--username", "admin", "--password", "pw", "--json"}), kExitOk);
  EXPECT_EQ(out().find(kToken), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(out())["user"]["username"], "admin");
}

TEST_F(CliCommandsTest, LogoutForgetsTheTokenButKeepsTheServer) {
  LoggedIn();
  ASSERT_EQ(Run({"logout"}), kExitOk);
  EXPECT_EQ(ReadConfig(), (nlohmann::json{{"server", kServer}}));
  EXPECT_EQ(out(),
            "Logged out of http://klaxon.test:8080; removed the token from " + config_path_ + "\n");
  ASSERT_EQ(Run({"logout"}), kExitOk);
  EXPECT_EQ(out(), "Not logged in (no token in " + config_path_ + ")\n");
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliCommandsTest, CommandsUseTheSavedServerAndToken) {
  LoggedIn();
  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"incident", "list"}), kExitOk) << err();
  EXPECT_EQ(server_.connections[0].server, kServer);
  EXPECT_EQ(server_.connections[0].token, kToken);
  EXPECT_EQ(out(), "No incidents.\n");
}

TEST_F(CliCommandsTest, FlagsAndEnvironmentOverrideTheConfigFile) {
  LoggedIn();
  env_["KLAXON_TOKEN"] = "kx_env";
  server_.Reply(200, {{"items", nlohmann::json::array()}});
  server_.Reply(200, {{"items", nlohmann::json::array()}});
  ASSERT_EQ(Run({"service", "list"}), kExitOk);
  ASSERT_EQ(Run({"service", "list", "--token", "kx_flag", "--server", "http://x:1"}), kExitOk);
  EXPECT_EQ(server_.connections[0].token, "kx_env");
  EXPECT_EQ(server_.connections[1].token, "kx_flag");
  EXPECT_EQ(server_.connections[1].server, "http://x:1");
}

TEST_F(CliCommandsTest, NotLoggedInSendsNothing) {
  EXPECT_EQ(Run({"incident", "show", "1"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: not logged in to http://127.0.0.1:8080; run 'klaxon login' or pass "
            "--token (or set KLAXON_TOKEN)\n");
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliCommandsTest, ListSendsTheFiltersAndRendersATable) {
  LoggedIn();
  server_.Reply(200, {{"items", {Incident(12), Incident(11, "resolved")}}, {"next_cursor", "c2"}});
  ASSERT_EQ(Run({"incident", "list", "--status", "open", "--severity", "SEV-1", "--service",
                 "check out", "--query", "db down&up", "--limit", "2"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path,
            "/api/v1/incidents?status=open&severity=SEV-1&service=check%20out&q=db%20down%26up"
            "&limit=2");
  EXPECT_FALSE(server_.requests[0].body.has_value());
  EXPECT_EQ(out(),
            "REF     SEVERITY  STATUS     SERVICE  AGE  TITLE\n"
            "INC-12  SEV-2     triggered  -        5m   Checkout errors\n"
            "INC-11  SEV-2     resolved   -        5m   Checkout errors\n");
  EXPECT_EQ(err(), "(more incidents: use --all, or a larger --limit)\n");
}

TEST_F(CliCommandsTest, ListAllFollowsTheCursor) {
  LoggedIn();
  server_.Reply(200, {{"items", {Incident(3)}}, {"next_cursor", "abc=="}});
  server_.Reply(200, {{"items", {Incident(2), Incident(1)}}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"incident", "list", "--all", "--json"}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 2u);
  EXPECT_EQ(server_.requests[0].path, "/api/v1/incidents?limit=200");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/incidents?limit=200&cursor=abc%3D%3D");
  const nlohmann::json printed = nlohmann::json::parse(out());
  ASSERT_EQ(printed["items"].size(), 3u);
  EXPECT_EQ(printed["items"][2]["ref"], "INC-1");
  EXPECT_TRUE(printed["next_cursor"].is_null());
}

TEST_F(CliCommandsTest, ListRejectsABadLimit) {
  LoggedIn();
  EXPECT_EQ(Run({"incident", "list", "--limit", "ten"}), kExitUsage);
  EXPECT_TRUE(
      err().starts_with("klaxon: invalid --limit 'ten' (expected 1..200)\nusage: klaxon "
                        "incident list"));
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliCommandsTest, ShowNormalizesTheIdAndPrintsTheTimeline) {
  LoggedIn();
  nlohmann::json incident = Incident(42);
  incident["timeline"] = {{{"seq", 1},
                           {"at", "2026-11-25T22:40:41.123Z"},
                           {"kind", "incident.declared"},
                           {"actor", {{"type", "user"}, {"id", 1}, {"name", "admin"}}},
                           {"data", {{"severity", "SEV-2"}}}}};
  server_.Reply(200, incident);
  ASSERT_EQ(Run({"incident", "show", "inc-42"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/incidents/42");
  EXPECT_TRUE(out().starts_with("INC-42  Checkout errors\nStatus:        triggered\n")) << out();
  EXPECT_NE(out().find("Timeline:\n"), std::string::npos);
  EXPECT_NE(out().find("admin  incident.declared  severity=SEV-2\n"), std::string::npos) << out();
}

TEST_F(CliCommandsTest, ShowRejectsABadId) {
  LoggedIn();
  EXPECT_EQ(Run({"incident", "show", "../tokens"}), kExitUsage);
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliCommandsTest, DeclareSendsOnlyTheGivenFieldsAndPrintsTheRef) {
  LoggedIn();
  server_.Reply(201, Incident(7));
  ASSERT_EQ(
      Run({"incident", "declare", "--title", "DB down", "--severity", "SEV-1", "--service", "db"}),
      kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/incidents");
  EXPECT_EQ(server_.body(0),
            (nlohmann::json{{"title", "DB down"}, {"severity", "SEV-1"}, {"service", "db"}}));
  EXPECT_EQ(out(), "INC-7\n");
}

TEST_F(CliCommandsTest, IncidentActionsPostToTheirRoutes) {
  struct Case {
    std::vector<std::string> args;
    std::string path;
    nlohmann::json body;
    nlohmann::json reply;
    std::string printed;
  };
  nlohmann::json note = {{"seq", 5}, {"kind", "incident.note_added"}, {"incident_id", 4}};
  const Case cases[] = {
      {{"incident", "ack", "INC-4"},
       "/api/v1/incidents/4/acknowledge",
       nlohmann::json::object(),
       Incident(4, "acknowledged"),
       "Acknowledged INC-4\n"},
      {{"incident", "status", "4", "monitoring", "--message", "fix out"},
       "/api/v1/incidents/4/status",
       {{"status", "monitoring"}, {"message", "fix out"}},
       Incident(4, "monitoring"),
       "INC-4 is now monitoring\n"},
      {{"incident", "severity", "4", "SEV-1", "--reason", "worse"},
       "/api/v1/incidents/4/severity",
       {{"severity", "SEV-1"}, {"reason", "worse"}},
       Incident(4),
       "INC-4 is now SEV-2\n"},
      {{"incident", "note", "#4", "rolled", "back"},
       "/api/v1/incidents/4/notes",
       {{"text", "rolled back"}},
       note,
       "Added a note to INC-4\n"},
      {{"incident", "resolve", "4", "--summary", "bad deploy"},
       "/api/v1/incidents/4/resolve",
       {{"summary", "bad deploy"}},
       Incident(4, "resolved"),
       "Resolved INC-4\n"},
      {{"incident", "reopen", "4"},
       "/api/v1/incidents/4/reopen",
       nlohmann::json::object(),
       Incident(4, "triggered"),
       "Reopened INC-4 (triggered)\n"},
  };
  LoggedIn();
  for (const Case& c : cases) {
    server_.requests.clear();
    server_.Reply(c.path.ends_with("notes") ? 201 : 200, c.reply);
    ASSERT_EQ(Run(c.args), kExitOk) << c.path << ": " << err();
    ASSERT_EQ(server_.requests.size(), 1u);
    EXPECT_EQ(server_.requests[0].method, "POST");
    EXPECT_EQ(server_.requests[0].path, c.path);
    EXPECT_EQ(server_.body(0), c.body) << c.path;
    EXPECT_EQ(out(), c.printed);
  }
}

TEST_F(CliCommandsTest, ServerErrorsBecomeOneLineOnStderr) {
  LoggedIn();
  server_.Reply(409, Problem(409, "incident INC-3 is already resolved"));
  EXPECT_EQ(Run({"incident", "resolve", "INC-3"}), kExitError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(), "klaxon: 409 Conflict: incident INC-3 is already resolved\n");

  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/title"}, {"message", "is too long"}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"incident", "declare", "--title", "x"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (title: is too "
            "long)\n");
}

TEST_F(CliCommandsTest, UnauthorizedSuggestsLoggingIn) {
  LoggedIn();
  server_.Reply(401, Problem(401, "invalid or revoked token"));
  EXPECT_EQ(Run({"service", "list"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 401 Unauthorized: invalid or revoked token (run 'klaxon login' to "
            "get a new token)\n");
}

TEST_F(CliCommandsTest, UnreachableServer) {
  LoggedIn();
  server_.Unreachable("Connection refused");
  EXPECT_EQ(Run({"incident", "list"}), kExitError);
  EXPECT_EQ(err(), "klaxon: cannot reach http://klaxon.test:8080: Connection refused\n");
}

TEST_F(CliCommandsTest, ResponsesThatAreNotJsonOrHaveTheWrongShape) {
  LoggedIn();
  server_.ReplyRaw(200, "<html>proxy</html>");
  EXPECT_EQ(Run({"incident", "show", "1"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: unexpected response from http://klaxon.test:8080 (status 200): not JSON\n");

  server_.Reply(200, nlohmann::json::array({1, 2}));
  EXPECT_EQ(Run({"incident", "list"}), kExitError);
  EXPECT_TRUE(err().starts_with("klaxon: unexpected response from server: ")) << err();
}

TEST_F(CliCommandsTest, TheCliTokenIsNeverPrinted) {
  LoggedIn();
  server_.Reply(401, Problem(401, "bad token"));
  server_.Unreachable("Connection refused");
  server_.Reply(500, Problem(500, "boom"));
  const std::vector<std::vector<std::string>> runs = {{"incident", "list"},
                                                      {"incident", "list", "--json"},
                                                      {"token", "list"},
                                                      {"incident", "show", "x"},
                                                      {"logout"}};
  for (const auto& args : runs) {
    Run(args);
    EXPECT_EQ(out().find(kToken), std::string::npos);
    EXPECT_EQ(err().find(kToken), std::string::npos);
  }
}

TEST_F(CliCommandsTest, TokenCreatePrintsOnlyTheNewTokenOnStdout) {
  LoggedIn();
  server_.Reply(201, {{"id", 4},
                      {"name", "ci"},
                      {"role", "responder"},
                      {"token", "kx_new"},
                      {"created_at", "2026-11-25T22:45:41.123Z"}});
  ASSERT_EQ(Run({"token", "create", "--name", "ci", "--role", "responder"}), kExitOk) << err();
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"name", "ci"}, {"role", "responder"}}));
  EXPECT_EQ(out(), "kx_new\n");
  EXPECT_EQ(err(), "Created token 4 (ci, responder); it is shown only this once:\n");
}

TEST_F(CliCommandsTest, TokenListAndRevoke) {
  LoggedIn();
  server_.Reply(200, {{"items",
                       {{{"id", 4},
                         {"name", "ci"},
                         {"role", "responder"},
                         {"user", "admin"},
                         {"created_at", "2026-11-25T22:45:41.123Z"},
                         {"last_used_at", nullptr},
                         {"revoked_at", nullptr}}}}});
  ASSERT_EQ(Run({"token", "list"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/tokens");
  EXPECT_NE(out().find("4   ci    responder  admin  2026-11-25 22:45:41  -"), std::string::npos)
      << out();

  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"token", "revoke", "4"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].method, "DELETE");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/tokens/4");
  EXPECT_EQ(out(), "Revoked token 4\n");

  EXPECT_EQ(Run({"token", "revoke", "four"}), kExitUsage);
  EXPECT_EQ(server_.requests.size(), 2u);
}

TEST_F(CliCommandsTest, ServiceCreateAndList) {
  LoggedIn();
  server_.Reply(201, {{"id", 3}, {"name", "checkout"}, {"description", ""}, {"owner", "pay"}});
  ASSERT_EQ(Run({"service", "create", "--name", "checkout", "--owner", "pay"}), kExitOk);
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"name", "checkout"}, {"owner", "pay"}}));
  EXPECT_EQ(out(), "Created service checkout (id 3)\n");

  server_.Reply(200, {{"items", {{{"id", 3}, {"name", "checkout"}, {"owner", "pay"}}}}});
  ASSERT_EQ(Run({"service", "list"}), kExitOk);
  EXPECT_EQ(out(), "ID  NAME      OWNER  DESCRIPTION\n3   checkout  pay\n");
}

TEST_F(CliCommandsTest, JsonPrintsTheServersJson) {
  LoggedIn();
  server_.Reply(200, Incident(5));
  ASSERT_EQ(Run({"--json", "incident", "show", "5"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), Incident(5));
}

TEST_F(CliCommandsTest, HelpGoesToStdoutAndUsageErrorsToStderr) {
  EXPECT_EQ(Run({"incident", "--help"}), kExitOk);
  EXPECT_TRUE(out().starts_with("usage: klaxon incident <command> [options]\n"));
  EXPECT_EQ(Run({"incident", "declare"}), kExitUsage);
  EXPECT_EQ(out(), "");
  EXPECT_TRUE(err().starts_with("klaxon: missing --title TITLE\nusage: klaxon incident declare"));
}

TEST_F(CliCommandsTest, MalformedConfigFileIsReported) {
  std::ofstream(config_path_) << "{oops";
  EXPECT_EQ(Run({"incident", "list"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: config file " + config_path_ + " is not a JSON object; fix or remove it\n");
}

TEST(CliIsClientCommandTest, KnowsTheTopLevelWords) {
  for (const char* word : {"login", "logout", "incident", "service", "token", "oncall", "schedule",
                           "override", "policy", "notify"}) {
    EXPECT_TRUE(IsClientCommand(word)) << word;
  }
  for (const char* word : {"serve", "admin", "incident list", "", "--help"}) {
    EXPECT_FALSE(IsClientCommand(word)) << word;
  }
  EXPECT_FALSE(IsClientCommand(nullptr));
}

}  // namespace
}  // namespace klaxon::cli
