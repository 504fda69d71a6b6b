// `klaxon incident role|mark|update|note|action` and the playbook part of `incident show`
// against the fake server: the requests they send and what they print.
#include <gtest/gtest.h>

#include "cli/commands_test_fixture.h"

namespace klaxon::cli {
namespace {

class CliIncidentPlaybookCommandsTest : public CliCommandsTest {
 protected:
  void SetUp() override {
    CliCommandsTest::SetUp();
    LoggedIn();
  }

  // The one request sent: its method, path and JSON body.
  void ExpectRequest(const std::string& method, const std::string& path,
                     const nlohmann::json& body) {
    ASSERT_EQ(server_.requests.size(), 1u);
    EXPECT_EQ(server_.requests[0].method, method);
    EXPECT_EQ(server_.requests[0].path, path);
    EXPECT_EQ(server_.body(0), body);
  }
};

nlohmann::json User(int id, const std::string& username, const std::string& name) {
  return {{"id", id}, {"username", username}, {"name", name}};
}

nlohmann::json Invalid(const std::string& field, const std::string& message) {
  nlohmann::json problem = Problem(422, "request body has invalid fields");
  problem["errors"] = {{{"field", field}, {"message", message}}};
  return problem;
}

// ---- incident role ------------------------------------------------------------------------

nlohmann::json Roles() {
  return {{"items",
           {{{"role", "communications_lead"},
             {"user", User(3, "carol", "Carol Chen")},
             {"assigned_at", "2026-11-25T22:45:41.123Z"}},
            {{"role", "incident_commander"},
             {"user", User(1, "alice", "Alice")},
             {"assigned_at", "2026-11-25T22:41:00.000Z"}}}}};
}

TEST_F(CliIncidentPlaybookCommandsTest, RolePutsTheUserAndPrintsTheHolder) {
  server_.Reply(200, Roles());
  ASSERT_EQ(Run({"incident", "role", "INC-42", "communications_lead", "carol"}), kExitOk) << err();
  ExpectRequest("PUT", "/api/v1/incidents/42/roles/communications_lead", {{"user", "carol"}});
  EXPECT_EQ(out(), "INC-42: carol is now communications_lead\n");
  EXPECT_EQ(err(), "");
}

TEST_F(CliIncidentPlaybookCommandsTest, RoleNamesTheHolderAsTheServerDoes) {
  server_.Reply(200, Roles());
  ASSERT_EQ(Run({"incident", "role", "42", "communications_lead", "3"}), kExitOk) << err();
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"user", "3"}}));
  EXPECT_EQ(out(), "INC-42: carol is now communications_lead\n");

  // A reply that does not list the role: what was typed.
  server_.Reply(200, {{"items", nlohmann::json::array()}});
  ASSERT_EQ(Run({"incident", "role", "42", "ops/lead", "dave"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/incidents/42/roles/ops%2Flead");
  EXPECT_EQ(out(), "INC-42: dave is now ops/lead\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, RoleJsonPrintsTheServersJson) {
  server_.Reply(200, Roles());
  ASSERT_EQ(Run({"incident", "role", "42", "communications_lead", "carol", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), Roles());
}

TEST_F(CliIncidentPlaybookCommandsTest, RoleRefusedByThePlaybook) {
  server_.Reply(422, Invalid("/user", "bob may not hold scribe; who may: carol, dave"));
  EXPECT_EQ(Run({"incident", "role", "42", "scribe", "bob"}), kExitError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (user: bob may not "
            "hold scribe; who may: carol, dave)\n");

  server_.Reply(422, Invalid("/role", "unknown role 'chef'; the roles are scribe"));
  EXPECT_EQ(Run({"incident", "role", "42", "chef", "bob"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (role: unknown "
            "role 'chef'; the roles are scribe)\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, RoleUsageErrors) {
  EXPECT_EQ(Run({"incident", "role", "42", "scribe"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: missing USER\nusage: klaxon incident role ID ROLE USER\n");
  EXPECT_EQ(Run({"incident", "role", "42", "", "bob"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: empty ROLE\nusage: klaxon incident role ID ROLE USER\n");
  EXPECT_EQ(Run({"incident", "role", "INC-x", "scribe", "bob"}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: invalid incident id 'INC-x'")) << err();
  EXPECT_EQ(Run({"incident", "role", "42", "scribe", "bob", "carol"}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: unexpected argument 'carol'\n")) << err();
  EXPECT_TRUE(server_.requests.empty());
}

// ---- incident mark ------------------------------------------------------------------------

nlohmann::json Marked(const std::string& moment, const std::string& at) {
  return {{"moment", moment}, {"at", at}, {"note", ""}};
}

TEST_F(CliIncidentPlaybookCommandsTest, MarkPostsTheMomentAndPrintsWhen) {
  server_.Reply(200, Marked("mitigation_started", "2026-11-25T22:45:41.123Z"));
  ASSERT_EQ(Run({"incident", "mark", "INC-42", "mitigation"}), kExitOk) << err();
  ExpectRequest("POST", "/api/v1/incidents/42/moments", {{"moment", "mitigation_started"}});
  EXPECT_EQ(out(), "INC-42: mitigation_started at 2026-11-25T22:45:41Z\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, MarkTakesShortAndFullNamesInAnyCase) {
  const std::pair<std::string, std::string> forms[] = {
      {"root-cause", "root_cause_identified"},
      {"root_cause_identified", "root_cause_identified"},
      {"Root-Cause-Identified", "root_cause_identified"},
      {"mitigation", "mitigation_started"},
      {"mitigation_started", "mitigation_started"},
      {"restored", "service_restored"},
      {"SERVICE_RESTORED", "service_restored"},
  };
  for (const auto& [given, sent] : forms) {
    server_.requests.clear();
    server_.Reply(200, Marked(sent, "2026-11-25T22:45:41.123Z"));
    ASSERT_EQ(Run({"incident", "mark", "42", given}), kExitOk) << given << ": " << err();
    EXPECT_EQ(server_.body(0)["moment"], sent) << given;
  }
}

TEST_F(CliIncidentPlaybookCommandsTest, MarkSendsTheTimeAndNote) {
  nlohmann::json reply = Marked("root_cause_identified", "2026-11-25T22:43:41.123Z");
  reply["note"] = "bad deploy";
  reply["previous_at"] = "2026-11-25T22:44:00.000Z";
  server_.Reply(200, reply);
  ASSERT_EQ(Run({"incident", "mark", "42", "root-cause", "--at", "-2m", "--note", "bad deploy"}),
            kExitOk)
      << err();
  ExpectRequest("POST", "/api/v1/incidents/42/moments",
                {{"moment", "root_cause_identified"},
                 {"at", "2026-11-25T22:43:41.123Z"},
                 {"note", "bad deploy"}});
  EXPECT_EQ(out(),
            "INC-42: root_cause_identified at 2026-11-25T22:43:41Z (was 2026-11-25T22:44:00Z)\n");

  server_.Reply(200, Marked("service_restored", "2026-11-25T19:16:00.000Z"));
  ASSERT_EQ(Run({"incident", "mark", "42", "restored", "--at", "2026-11-25T20:16:00+01:00"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(1)["at"], "2026-11-25T19:16:00.000Z");
  EXPECT_EQ(out(), "INC-42: service_restored at 2026-11-25T19:16:00Z\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, MarkJsonPrintsTheServersJson) {
  const nlohmann::json reply = Marked("mitigation_started", "2026-11-25T22:45:41.123Z");
  server_.Reply(200, reply);
  ASSERT_EQ(Run({"incident", "mark", "42", "mitigation", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), reply);
}

TEST_F(CliIncidentPlaybookCommandsTest, MarkRefusedByTheServer) {
  server_.Reply(422, Invalid("/at", "must not be before the incident opened"));
  EXPECT_EQ(Run({"incident", "mark", "42", "restored", "--at", "-1w"}), kExitError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (at: must not be "
            "before the incident opened)\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, MarkUsageErrors) {
  const std::string usage = "usage: klaxon incident mark ID MOMENT [--at TIME] [--note TEXT]\n";
  EXPECT_EQ(Run({"incident", "mark", "42", "fixed"}), kExitUsage);
  EXPECT_EQ(err(),
            "klaxon: invalid MOMENT 'fixed' (expected root-cause, mitigation or restored; or "
            "root_cause_identified, mitigation_started, service_restored)\n" +
                usage);
  // The server marks these itself.
  EXPECT_EQ(Run({"incident", "mark", "42", "resolved"}), kExitUsage);
  EXPECT_EQ(Run({"incident", "mark", "42", "detected"}), kExitUsage);
  EXPECT_EQ(Run({"incident", "mark", "42", "restored", "--at", "yesterday"}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: invalid --at 'yesterday' (expected RFC 3339")) << err();
  EXPECT_EQ(Run({"incident", "mark", "42"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: missing MOMENT\n" + usage);
  EXPECT_EQ(Run({"incident", "mark", "42", "restored", "--yes"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: option --yes does not apply to 'incident mark'\n" + usage);
  EXPECT_TRUE(server_.requests.empty());
}

// ---- incident update ----------------------------------------------------------------------

nlohmann::json Posted(int number, const nlohmann::json& audiences, const nlohmann::json& next) {
  return {{"update_number", number},
          {"text", "Rolled back"},
          {"audiences", audiences},
          {"next_due_at", next}};
}

TEST_F(CliIncidentPlaybookCommandsTest, UpdatePostsTheTextAndPrintsWhenTheNextIsDue) {
  server_.Reply(201, Posted(1, {"internal"}, "2026-11-25T23:00:41.123Z"));
  ASSERT_EQ(Run({"incident", "update", "INC-42", "Rolled", "back", "2026.3"}), kExitOk) << err();
  ExpectRequest("POST", "/api/v1/incidents/42/updates",
                {{"text", "Rolled back 2026.3"}, {"audiences", {"internal"}}});
  EXPECT_EQ(out(), "INC-42: update #1 posted; next due 2026-11-25T23:00:41Z\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, UpdateToStakeholders) {
  server_.Reply(201, Posted(2, {"internal", "stakeholders"}, nullptr));
  ASSERT_EQ(Run({"incident", "update", "42", "--stakeholders", "All clear"}), kExitOk) << err();
  ExpectRequest("POST", "/api/v1/incidents/42/updates",
                {{"text", "All clear"}, {"audiences", {"internal", "stakeholders"}}});
  EXPECT_EQ(out(), "INC-42: update #2 posted (also to stakeholders); no further update due\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, UpdateJsonPrintsTheServersJson) {
  const nlohmann::json reply = Posted(3, {"internal"}, "2026-11-25T23:00:41.123Z");
  server_.Reply(201, reply);
  ASSERT_EQ(Run({"incident", "update", "42", "x", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), reply);
}

TEST_F(CliIncidentPlaybookCommandsTest, UpdateRefusedByTheServer) {
  server_.Reply(422, Invalid("/text", "must be 1 to 10000 characters"));
  EXPECT_EQ(Run({"incident", "update", "42", ""}), kExitError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (text: must be 1 "
            "to 10000 characters)\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, UpdateUsageErrors) {
  const std::string usage = "usage: klaxon incident update ID TEXT... [--stakeholders]\n";
  EXPECT_EQ(Run({"incident", "update", "42"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: missing TEXT\n" + usage);
  EXPECT_EQ(Run({"incident", "update", "42", "x", "--stakeholders=yes"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: option --stakeholders takes no value\n" + usage);
  EXPECT_EQ(Run({"incident", "update", "forty-two", "x"}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: invalid incident id 'forty-two'")) << err();
  EXPECT_TRUE(server_.requests.empty());
}

// ---- incident note --type -----------------------------------------------------------------

TEST_F(CliIncidentPlaybookCommandsTest, NoteSendsItsType) {
  const std::pair<std::string, std::string> types[] = {
      {"finding", "Added a finding to INC-4\n"},
      {"action", "Added an action to INC-4\n"},
      {"decision", "Added a decision to INC-4\n"},
      {"note", "Added a note to INC-4\n"},
  };
  for (const auto& [type, printed] : types) {
    server_.requests.clear();
    server_.Reply(201, {{"seq", 5}, {"kind", "incident.note_added"}, {"incident_id", 4}});
    ASSERT_EQ(Run({"incident", "note", "4", "--type", type, "disk", "full"}), kExitOk)
        << type << ": " << err();
    ExpectRequest("POST", "/api/v1/incidents/4/notes", {{"text", "disk full"}, {"type", type}});
    EXPECT_EQ(out(), printed);
  }
}

TEST_F(CliIncidentPlaybookCommandsTest, NoteJsonAndServerErrors) {
  const nlohmann::json event = {
      {"seq", 5}, {"kind", "incident.note_added"}, {"data", {{"text", "x"}, {"type", "decision"}}}};
  server_.Reply(201, event);
  ASSERT_EQ(Run({"incident", "note", "4", "x", "--type", "decision", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), event);

  server_.Reply(422, Invalid("/type", "must be note, finding, action or decision"));
  EXPECT_EQ(Run({"incident", "note", "4", "x", "--type", "finding"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (type: must be "
            "note, finding, action or decision)\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, NoteRejectsAnUnknownType) {
  EXPECT_EQ(Run({"incident", "note", "4", "x", "--type", "rant"}), kExitUsage);
  EXPECT_EQ(err(),
            "klaxon: invalid --type 'rant' (expected note, finding, action or decision)\n"
            "usage: klaxon incident note ID TEXT... [--type TYPE]\n");
  EXPECT_EQ(Run({"incident", "note", "4", "x", "--type"}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: option --type needs a value (TYPE)\n")) << err();
  EXPECT_TRUE(server_.requests.empty());
}

// ---- incident show: the playbook ----------------------------------------------------------

nlohmann::json WithPlaybook(nlohmann::json incident) {
  incident["severity"] = "SEV-1";
  incident["classified_by"] = "checkout-5xx";
  incident["war_room"] = "#inc-42-checkout";
  incident["playbook"] = {
      {"severity", {{"name", "SEV-1"}, {"rank", 1}, {"description", "Customers cannot pay"}}},
      {"classified_by", "checkout-5xx"},
      {"classification",
       {{"rule", "checkout-5xx"}, {"severity", "SEV-1"}, {"description", "5xx above 5%"}}},
      {"targets",
       {{"ack",
         {{"target", "5m"},
          {"due_at", "2026-11-25T22:45:41.123Z"},
          {"state", "missed"},
          {"missed_at", "2026-11-25T22:45:41.123Z"}}},
        {"resolve",
         {{"target", "4h"},
          {"due_at", "2026-11-26T02:40:41.123Z"},
          {"state", "pending"},
          {"missed_at", nullptr}}}}},
      {"updates",
       {{"every", "15m"},
        {"count", 1},
        {"last_at", "2026-11-25T22:42:00.000Z"},
        {"next_due_at", "2026-11-25T22:57:00.000Z"},
        {"state", "due_soon"}}},
      {"matrix", nlohmann::json::array()},
      {"roles",
       {{{"name", "incident_commander"},
         {"description", "runs the response"},
         {"required", true},
         {"holder", User(1, "alice", "Alice Smith")},
         {"assigned_at", "2026-11-25T22:41:00.000Z"}},
        {{"name", "scribe"},
         {"description", ""},
         {"required", true},
         {"holder", nullptr},
         {"assigned_at", nullptr}},
        {{"name", "communications_lead"},
         {"description", ""},
         {"required", false},
         {"holder", nullptr},
         {"assigned_at", nullptr}}}},
      {"unfilled_roles", {"scribe"}},
      {"moments",
       {{{"moment", "detected"}, {"at", "2026-11-25T22:40:41.123Z"}, {"by", "admin"}, {"note", ""}},
        {{"moment", "acknowledged"}, {"at", nullptr}, {"by", nullptr}, {"note", ""}},
        {{"moment", "root_cause_identified"},
         {"at", "2026-11-25T22:44:00.000Z"},
         {"by", "alice"},
         {"note", "bad deploy"}},
        {{"moment", "resolved"}, {"at", nullptr}, {"by", nullptr}, {"note", ""}}}},
      {"war_room", "#inc-42-checkout"},
      {"review", {{"required", true}, {"due_at", nullptr}}}};
  return incident;
}

TEST_F(CliIncidentPlaybookCommandsTest, ShowPrintsThePlaybookFacts) {
  server_.Reply(200, WithPlaybook(Incident(42)));
  ASSERT_EQ(Run({"incident", "show", "42"}), kExitOk) << err();
  EXPECT_EQ(out(),
            "INC-42  Checkout errors\n"
            "Status:        triggered\n"
            "Severity:      SEV-1 (classified by rule 'checkout-5xx')\n"
            "Service:       -\n"
            "Created:       2026-11-25 22:40:41 by admin (5m ago)\n"
            "War room:      #inc-42-checkout\n"
            "Ack by:        2026-11-25 22:45:41 (5m target, MISSED)\n"
            "Resolve by:    2026-11-26 02:40:41 (4h target, pending, 3h left)\n"
            "Updates:       every 15m, 1 posted; next due 2026-11-25 22:57:00 (due soon)\n"
            "\n"
            "Roles:\n"
            "ROLE                           HOLDER               SINCE\n"
            "incident_commander (required)  alice (Alice Smith)  2026-11-25 22:41:00\n"
            "scribe (required, unfilled)    -\n"
            "communications_lead            -\n"
            "\n"
            "Key moments:\n"
            "MOMENT                 AT                   BY     NOTE\n"
            "detected               2026-11-25 22:40:41  admin\n"
            "acknowledged           -\n"
            "root_cause_identified  2026-11-25 22:44:00  alice  bad deploy\n"
            "resolved               -\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, ShowMarksLateUpdatesAndMetTargets) {
  nlohmann::json incident = WithPlaybook(Incident(42, "acknowledged"));
  incident["classified_by"] = nullptr;
  incident["playbook"]["classified_by"] = nullptr;
  incident["playbook"].erase("classification");
  incident["playbook"]["targets"]["ack"]["state"] = "met";
  incident["playbook"]["targets"]["resolve"] = nullptr;
  incident["playbook"]["updates"]["every"] = "milestones";
  incident["playbook"]["updates"]["state"] = "late";
  server_.Reply(200, incident);
  ASSERT_EQ(Run({"incident", "show", "42"}), kExitOk) << err();
  EXPECT_NE(out().find("Severity:      SEV-1\n"), std::string::npos) << out();
  EXPECT_NE(out().find("Ack by:        2026-11-25 22:45:41 (5m target, met)\n"), std::string::npos)
      << out();
  EXPECT_EQ(out().find("Resolve by:"), std::string::npos) << out();
  EXPECT_NE(out().find("Updates:       at milestones, 1 posted; next due 2026-11-25 22:57:00 "
                       "(LATE)\n"),
            std::string::npos)
      << out();
}

TEST_F(CliIncidentPlaybookCommandsTest, ShowWithoutAPlaybookLooksAsBefore) {
  server_.Reply(200, Incident(42));
  ASSERT_EQ(Run({"incident", "show", "42"}), kExitOk) << err();
  EXPECT_EQ(out(),
            "INC-42  Checkout errors\n"
            "Status:        triggered\n"
            "Severity:      SEV-2\n"
            "Service:       -\n"
            "Created:       2026-11-25 22:40:41 by admin (5m ago)\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, ShowJsonKeepsThePlaybook) {
  const nlohmann::json incident = WithPlaybook(Incident(42));
  server_.Reply(200, incident);
  ASSERT_EQ(Run({"incident", "show", "42", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), incident);
}

// ---- incident action ----------------------------------------------------------------------

nlohmann::json RunResult(bool ok, int status, int duration_ms, const std::string& error,
                         const std::string& excerpt) {
  return {{"ok", ok},
          {"http_status", status},
          {"duration_ms", duration_ms},
          {"method", "POST"},
          {"url", "https://deploy.test/rollback"},
          {"error", error},
          {"excerpt", excerpt}};
}

constexpr const char* kActionPath = "/api/v1/incidents/42/actions/rollback-checkout/run";

TEST_F(CliIncidentPlaybookCommandsTest, ActionWithYesRunsWithoutAsking) {
  server_.Reply(200, RunResult(true, 202, 130, "", "{\"queued\":true}"));
  ASSERT_EQ(Run({"incident", "action", "INC-42", "rollback-checkout", "--yes"}), kExitOk) << err();
  ExpectRequest("POST", kActionPath, {{"confirm", true}});
  EXPECT_EQ(out(), "INC-42: rollback-checkout \u2192 202 in 130 ms\n");
  EXPECT_EQ(err(), "");
  EXPECT_TRUE(prompter_.asked.empty());
}

TEST_F(CliIncidentPlaybookCommandsTest, ActionAsksFirst) {
  for (const char* yes : {"y", "YES", " yes "}) {
    server_.requests.clear();
    prompter_.asked.clear();
    prompter_.answers = {yes};
    server_.Reply(200, RunResult(true, 200, 7, "", ""));
    ASSERT_EQ(Run({"incident", "action", "42", "rollback-checkout"}), kExitOk) << yes << err();
    ASSERT_EQ(prompter_.asked.size(), 1u);
    EXPECT_EQ(prompter_.asked[0], (std::pair<std::string, bool>{
                                      "Run action 'rollback-checkout' for INC-42? [y/N] ", false}));
    ExpectRequest("POST", kActionPath, {{"confirm", true}});
    EXPECT_EQ(out(), "INC-42: rollback-checkout \u2192 200 in 7 ms\n");
  }
}

TEST_F(CliIncidentPlaybookCommandsTest, ActionNotConfirmedRunsNothing) {
  const std::optional<std::string> answers[] = {"n", "", "yep", std::nullopt};
  for (const auto& answer : answers) {
    prompter_.answers = {answer};
    EXPECT_EQ(Run({"incident", "action", "42", "rollback-checkout"}), kExitError);
    EXPECT_EQ(out(), "");
    EXPECT_EQ(err(),
              "klaxon: INC-42: rollback-checkout not run: not confirmed (--yes runs it without "
              "asking)\n");
  }
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliIncidentPlaybookCommandsTest, ActionThatFailedPrintsTheErrorAndTheResponse) {
  server_.Reply(200, RunResult(false, 500, 95, "unexpected status 500 (expected 200 or 202)",
                               "upstream\nexploded"));
  EXPECT_EQ(Run({"incident", "action", "42", "rollback-checkout", "--yes"}), kExitError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "klaxon: INC-42: rollback-checkout failed (500 in 95 ms): unexpected status 500 "
            "(expected 200 or 202)\n"
            "  response: upstream exploded\n");

  server_.Reply(200, RunResult(false, 0, 0, "environment variable ROLLBACK_TOKEN is not set", ""));
  EXPECT_EQ(Run({"incident", "action", "42", "rollback-checkout", "--yes"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: INC-42: rollback-checkout failed: environment variable ROLLBACK_TOKEN is "
            "not set\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, ActionJsonPrintsTheRunAndExitsByItsOutcome) {
  const nlohmann::json ok = RunResult(true, 202, 130, "", "");
  server_.Reply(200, ok);
  ASSERT_EQ(Run({"incident", "action", "42", "rollback-checkout", "--yes", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), ok);

  const nlohmann::json failed = RunResult(false, 0, 10000, "timed out after 10s", "");
  server_.Reply(200, failed);
  EXPECT_EQ(Run({"incident", "action", "42", "rollback-checkout", "--yes", "--json"}), kExitError);
  EXPECT_EQ(nlohmann::json::parse(out()), failed);
  EXPECT_EQ(err(), "");
}

TEST_F(CliIncidentPlaybookCommandsTest, ActionRefusedByTheServer) {
  server_.Reply(422, Invalid("/action",
                             "unknown action 'rollback'; the actions are "
                             "rollback-checkout"));
  EXPECT_EQ(Run({"incident", "action", "42", "rollback", "--yes"}), kExitError);
  EXPECT_EQ(server_.requests[0].path, "/api/v1/incidents/42/actions/rollback/run");
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (action: unknown "
            "action 'rollback'; the actions are rollback-checkout)\n");
}

TEST_F(CliIncidentPlaybookCommandsTest, ActionUsageErrors) {
  const std::string usage = "usage: klaxon incident action ID ACTION [--yes]\n";
  EXPECT_EQ(Run({"incident", "action", "42"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: missing ACTION\n" + usage);
  EXPECT_EQ(Run({"incident", "action", "42", "", "--yes"}), kExitUsage);
  EXPECT_EQ(err(), "klaxon: empty ACTION\n" + usage);
  EXPECT_EQ(Run({"incident", "action", "../42", "rollback-checkout"}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: invalid incident id '../42'")) << err();
  EXPECT_TRUE(server_.requests.empty());
  EXPECT_TRUE(prompter_.asked.empty());
}

TEST_F(CliIncidentPlaybookCommandsTest, ActionNotLoggedInAsksNothing) {
  std::filesystem::remove(config_path_);
  EXPECT_EQ(Run({"incident", "action", "42", "rollback-checkout"}), kExitError);
  EXPECT_TRUE(err().starts_with("klaxon: not logged in")) << err();
  EXPECT_TRUE(prompter_.asked.empty());
  EXPECT_TRUE(server_.requests.empty());
}

// ---- Help ---------------------------------------------------------------------------------

TEST_F(CliIncidentPlaybookCommandsTest, HelpListsThePlaybookCommands) {
  ASSERT_EQ(Run({"incident", "--help"}), kExitOk);
  for (const char* line : {"  incident update ID TEXT...", "  incident role ID ROLE USER",
                           "  incident mark ID MOMENT", "  incident action ID ACTION"}) {
    EXPECT_NE(out().find(line), std::string::npos) << line << "\n" << out();
  }
  ASSERT_EQ(Run({"incident", "mark", "--help"}), kExitOk);
  EXPECT_TRUE(
      out().starts_with("usage: klaxon incident mark ID MOMENT [--at TIME] [--note "
                        "TEXT]\n"))
      << out();
  EXPECT_NE(out().find("--at TIME"), std::string::npos);
}

}  // namespace
}  // namespace klaxon::cli
