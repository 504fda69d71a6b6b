// `klaxon status ...` against the fake server: the three-word commands and how they are bound
// (options, arguments, the usage errors that never reach the server), component statuses
// and their short forms, the requests each command sends and what it prints.
#include <algorithm>

#include <gtest/gtest.h>

#include "cli/cli.h"
#include "cli/commands_test_fixture.h"
#include "cli/handlers.h"

namespace klaxon::cli {
namespace {

// ---- Tables and arguments -------------------------------------------------------------------

TEST(CliStatusArgsTest, ComponentStatusesAndTheirShortForms) {
  struct Case {
    const char* text;
    const char* status;
  };
  for (const Case& c : {
           Case{"operational", "operational"},
           Case{"degraded", "degraded_performance"},
           Case{"degraded_performance", "degraded_performance"},
           Case{"partial", "partial_outage"},
           Case{"partial_outage", "partial_outage"},
           Case{"major", "major_outage"},
           Case{"Major_Outage", "major_outage"},
           Case{"maintenance", "under_maintenance"},
           Case{"under_maintenance", "under_maintenance"},
           Case{"OPERATIONAL", "operational"},
       }) {
    EXPECT_EQ(ParseComponentStatusArg(c.text), c.status) << c.text;
  }
  for (const char* bad : {"", "down", "outage", "major outage", " major", "degraded-performance",
                          "under", "critical"}) {
    EXPECT_EQ(ParseComponentStatusArg(bad), std::nullopt) << bad;
  }
}

TEST(CliStatusArgsTest, TheActionsAreCommandsOfThreeWords) {
  const Parser parser(CommandTable(), OptionTable());
  EXPECT_TRUE(IsClientCommand("status"));
  EXPECT_TRUE(parser.IsGroup("status"));
  size_t actions = 0;
  for (const CommandSpec& command : CommandTable()) {
    if (!command.path.starts_with("status ") || command.path == "status show") continue;
    ++actions;
    EXPECT_EQ(std::count(command.path.begin(), command.path.end(), ' '), 2) << command.path;
    EXPECT_TRUE(parser.IsGroup(command.path.substr(0, command.path.rfind(' ')))) << command.path;
  }
  EXPECT_EQ(actions, 9u);
  for (const char* group : {"status component", "status incident", "status maintenance"}) {
    EXPECT_TRUE(parser.IsGroup(group)) << group;
    EXPECT_EQ(parser.FindCommand(group), nullptr) << group;
  }
  // `status --help` shows each group of actions as one line; the group's help lists them.
  const std::string help = parser.Help("status").value();
  for (const char* line : {"  status show ",
                           "  status component ACTION...  list, add, set, delete (see 'klaxon "
                           "status component --help')\n",
                           "  status incident ACTION... ", "  status maintenance ACTION... "}) {
    EXPECT_NE(help.find(line), std::string::npos) << line << "\n" << help;
  }
  EXPECT_EQ(help.find("status component set"), std::string::npos) << help;
  const std::string component_help = parser.Help("status component").value();
  EXPECT_TRUE(component_help.starts_with("usage: klaxon status component <command> [options]\n"))
      << component_help;
  for (const char* line : {"  status component list ", "  status component set COMPONENT STATUS ",
                           "  status component delete COMPONENT "}) {
    EXPECT_NE(component_help.find(line), std::string::npos) << line << "\n" << component_help;
  }
  EXPECT_EQ(component_help.find("status incident"), std::string::npos) << component_help;
  EXPECT_EQ(parser.Usage(*parser.FindCommand("status component set")),
            "usage: klaxon status component set COMPONENT STATUS");
  EXPECT_EQ(parser.Usage(*parser.FindCommand("status maintenance schedule")),
            "usage: klaxon status maintenance schedule --name NAME --start TIME [--end TIME] "
            "[--duration DURATION] [--component COMPONENT]... [--message TEXT] [--manual]");
}

// ---- Commands ------------------------------------------------------------------------------

class CliStatusCommandsTest : public CliCommandsTest {
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

  // GET /api/v1/services, as component list asks it to name services.
  void ReplyServices() {
    server_.Reply(200, {{"items",
                         {{{"id", 1}, {"name", "checkout"}, {"description", ""}, {"owner", ""}},
                          {{"id", 2}, {"name", "payments"}, {"description", ""}, {"owner", ""}}}},
                        {"next_cursor", nullptr}});
  }

  // GET /api/v1/status/components, as the incident views ask it to name components.
  void ReplyComponents() { server_.Reply(200, Components()); }

  static nlohmann::json Component(int id, const std::string& name, nlohmann::json group,
                                  bool is_group, int position, const std::string& status,
                                  nlohmann::json services) {
    return {{"id", id},
            {"public_id", "pub" + std::to_string(id)},
            {"name", name},
            {"description", ""},
            {"group", std::move(group)},
            {"is_group", is_group},
            {"position", position},
            {"status", status},
            {"showcase", true},
            {"only_show_if_degraded", false},
            {"services", std::move(services)},
            {"created_at", "2026-11-20T10:00:00.000Z"},
            {"updated_at", "2026-11-25T22:30:00.000Z"}};
  }

  static nlohmann::json Components() {
    const nlohmann::json website = {{"id", 1}, {"name", "Website"}};
    return {
        {"items",
         {Component(1, "Website", nullptr, true, 1, "operational", nlohmann::json::array()),
          Component(2, "Shop", website, false, 1, "partial_outage", {1, 2}),
          Component(3, "Search", website, false, 2, "operational", {7}),
          Component(4, "API", nullptr, false, 2, "degraded_performance", nlohmann::json::array())}},
        {"next_cursor", nullptr}};
  }

  static nlohmann::json Update(const std::string& id, const std::string& status,
                               const std::string& body, const std::string& at,
                               nlohmann::json affected = nlohmann::json::array()) {
    return {{"id", id},
            {"status", status},
            {"body", body},
            {"created_at", at},
            {"affected_components", std::move(affected)}};
  }

  static nlohmann::json StatusIncident() {
    return {{"id", 3},
            {"public_id", "inc3"},
            {"kind", "incident"},
            {"name", "Checkout errors"},
            {"status", "identified"},
            {"impact", "major"},
            {"incident", 42},
            {"components", {2}},
            {"started_at", "2026-11-25T22:30:00.000Z"},
            {"monitoring_at", nullptr},
            {"resolved_at", nullptr},
            {"scheduled_for", nullptr},
            {"scheduled_until", nullptr},
            {"auto_transition", true},
            {"postmortem", ""},
            {"created_at", "2026-11-25T22:30:00.000Z"},
            {"updated_at", "2026-11-25T22:40:00.000Z"},
            {"url", "http://klaxon.test:8080/status/incidents/inc3"},
            {"updates",
             {Update("u2", "identified", "A bad deploy; rolling back.", "2026-11-25T22:40:00.000Z"),
              Update("u1", "investigating", "We are investigating.", "2026-11-25T22:30:00.000Z",
                     {{{"code", "pub2"},
                       {"name", "Shop"},
                       {"old_status", "operational"},
                       {"new_status", "partial_outage"}}})}}};
  }

  static nlohmann::json Maintenance(bool auto_transition = true) {
    return {{"id", 4},
            {"public_id", "mnt4"},
            {"kind", "maintenance"},
            {"name", "DB upgrade"},
            {"status", "scheduled"},
            {"impact", "maintenance"},
            {"incident", nullptr},
            {"components", {2, 3}},
            {"started_at", "2026-11-25T23:45:41.123Z"},
            {"monitoring_at", nullptr},
            {"resolved_at", nullptr},
            {"scheduled_for", "2026-11-25T23:45:41.123Z"},
            {"scheduled_until", "2026-11-26T01:45:41.123Z"},
            {"auto_transition", auto_transition},
            {"postmortem", ""},
            {"created_at", "2026-11-25T22:45:41.123Z"},
            {"updated_at", "2026-11-25T22:45:41.123Z"},
            {"url", "http://klaxon.test:8080/status/incidents/mnt4"},
            {"updates",
             {Update("u9", "scheduled", "Upgrading the database.", "2026-11-25T22:45:41.123Z")}}};
  }
};

nlohmann::json Summary() {
  const auto component = [](const std::string& id, const std::string& name,
                            const std::string& status, bool group, nlohmann::json group_id) {
    return nlohmann::json{{"id", id},       {"name", name},         {"status", status},
                          {"group", group}, {"group_id", group_id}, {"page_id", "klaxonstatus"}};
  };
  return {{"page",
           {{"id", "klaxonstatus"},
            {"name", "Acme Status"},
            {"url", "https://status.acme.test/"},
            {"time_zone", "Europe/Berlin"},
            {"updated_at", "2026-11-25T23:40:00.000+01:00"}}},
          {"status", {{"indicator", "major"}, {"description", "Partial System Outage"}}},
          {"components",
           {component("grp1", "Website", "operational", true, nullptr),
            component("pub2", "Shop", "partial_outage", false, "grp1"),
            component("pub3", "Search", "operational", false, "grp1"),
            component("pub4", "API", "degraded_performance", false, nullptr)}},
          {"incidents",
           {{{"id", "inc3"},
             {"name", "Checkout errors"},
             {"status", "identified"},
             {"impact", "major"},
             {"started_at", "2026-11-25T23:30:00.000+01:00"}}}},
          {"scheduled_maintenances",
           {{{"id", "mnt4"},
             {"name", "DB upgrade"},
             {"status", "scheduled"},
             {"impact", "maintenance"},
             {"scheduled_for", "2026-12-01T03:00:00.000+01:00"},
             {"scheduled_until", "2026-12-01T05:00:00.000+01:00"}}}}};
}

TEST_F(CliStatusCommandsTest, ActionsAreBoundLikeCommands) {
  EXPECT_EQ(Run({"status", "component"}), kExitUsage);
  EXPECT_EQ(err(),
            "klaxon: status component: missing ACTION\n"
            "usage: klaxon status component <command> [options]\n"
            "commands: list add set delete\n");
  EXPECT_EQ(Run({"status", "incident", "close", "3"}), kExitUsage);
  EXPECT_EQ(err(),
            "klaxon: unknown command 'status incident close'\n"
            "usage: klaxon status incident <command> [options]\n"
            "commands: list publish update show\n");
  ExpectUsageError({"status", "component", "list", "--name", "x"},
                   "option --name does not apply to 'status component list'",
                   "status component list");
  ExpectUsageError({"status", "component", "list", "extra"}, "unexpected argument 'extra'",
                   "status component list");
  ExpectUsageError({"status", "component", "set", "Shop"}, "missing STATUS",
                   "status component set COMPONENT STATUS");
  ExpectUsageError({"status", "component", "delete"}, "missing COMPONENT",
                   "status component delete COMPONENT");
  ExpectUsageError({"status", "component", "add", "--position", "1"}, "missing --name NAME",
                   "status component add --name NAME [--group GROUP] [--group-component] "
                   "[--description TEXT] [--service SERVICE] [--position N]");
  ExpectUsageError({"status", "incident", "show"}, "missing ID", "status incident show ID");
  ExpectUsageError({"status", "incident", "show", "3", "4"}, "unexpected argument '4'",
                   "status incident show ID");
  ExpectUsageError({"status", "incident", "update", "3", "--message", "x"},
                   "missing --status STATUS",
                   "status incident update ID --status STATUS --message TEXT "
                   "[--component COMPONENT]... [--impact TEXT]");
  ExpectUsageError({"status", "incident", "list", "--name", "x"},
                   "option --name does not apply to 'status incident list'",
                   "status incident list [--maintenances]");
  ExpectUsageError({"status", "component", "list", "--matcher", "a=b"},
                   "option --matcher does not apply to 'status component list'",
                   "status component list");
  ExpectUsageError({"status", "component", "list", "--bogus"}, "unknown option --bogus",
                   "status component list");
  // Global options go anywhere.
  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"--json", "status", "component", "list", "--server", kServer}), kExitOk) << err();
  EXPECT_EQ(server_.requests.size(), 1u);
}

TEST_F(CliStatusCommandsTest, ShowReadsThePublicSummaryWithoutLogin) {
  WriteConfig(nlohmann::json::object());  // Not logged in.
  server_.Reply(200, Summary());
  ASSERT_EQ(Run({"status", "show", "--server", kServer}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v2/summary.json");
  EXPECT_EQ(server_.connections[0].token, "");
  EXPECT_EQ(err(), "");
  EXPECT_EQ(out(),
            "Acme Status (status page)\n"
            "Status:        Partial System Outage (major)\n"
            "Page:          https://status.acme.test/status\n"
            "Updated:       2026-11-25 22:40:00\n"
            "\n"
            "COMPONENT  STATUS\n"
            "Website\n"
            "  Shop     partial_outage\n"
            "  Search   operational\n"
            "API        degraded_performance\n"
            "\n"
            "Unresolved incidents:\n"
            "ID    STATUS      IMPACT  STARTED              NAME\n"
            "inc3  identified  major   2026-11-25 22:30:00  Checkout errors\n"
            "\n"
            "Maintenance:\n"
            "ID    STATUS     FROM                 UNTIL                NAME\n"
            "mnt4  scheduled  2026-12-01 02:00:00  2026-12-01 04:00:00  DB upgrade\n");

  // A page without components, incidents or its own URL: the server's page.
  nlohmann::json quiet = Summary();
  quiet["page"]["url"] = "";
  quiet["status"] = {{"indicator", "none"}, {"description", "All Systems Operational"}};
  quiet["components"] = nlohmann::json::array();
  quiet["incidents"] = nlohmann::json::array();
  quiet["scheduled_maintenances"] = nlohmann::json::array();
  server_.Reply(200, quiet);
  ASSERT_EQ(Run({"status", "show"}), kExitOk) << err();
  EXPECT_EQ(out(),
            "Acme Status (status page)\n"
            "Status:        All Systems Operational (none)\n"
            "Page:          http://127.0.0.1:8080/status\n"
            "Updated:       2026-11-25 22:40:00\n"
            "\n"
            "No components.\n");
  EXPECT_EQ(server_.connections[1].server, "http://127.0.0.1:8080");

  server_.Reply(200, Summary());
  ASSERT_EQ(Run({"status", "show", "--json", "--server", kServer}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), Summary());

  server_.Unreachable("Connection refused");
  EXPECT_EQ(Run({"status", "show", "--server", kServer}), kExitError);
  EXPECT_EQ(err(), "klaxon: cannot reach http://klaxon.test:8080: Connection refused\n");
  EXPECT_EQ(out(), "");
}

TEST_F(CliStatusCommandsTest, ComponentListNamesGroupsAndServices) {
  server_.Reply(200, Components());
  ReplyServices();
  ASSERT_EQ(Run({"status", "component", "list"}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 2u);
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/components");
  EXPECT_EQ(server_.connections[0].token, kToken);
  EXPECT_EQ(server_.requests[1].path, "/api/v1/services");
  EXPECT_EQ(out(),
            "ID  NAME     KIND       GROUP    STATUS                POSITION  SERVICES            "
            "PUBLIC ID\n"
            "1   Website  group      -        -                     1         -                   "
            "pub1\n"
            "2   Shop     component  Website  partial_outage        1         checkout, payments  "
            "pub2\n"
            "3   Search   component  Website  operational           2         7                   "
            "pub3\n"
            "4   API      component  -        degraded_performance  2         -                   "
            "pub4\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"status", "component", "list"}), kExitOk) << err();
  EXPECT_EQ(out(), "No status page components.\n");
  EXPECT_EQ(server_.requests.size(), 3u);  // Nothing to name, no service list.

  server_.Reply(200, Components());
  ASSERT_EQ(Run({"status", "component", "list", "--json"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(out()), Components());
  EXPECT_EQ(server_.requests.size(), 4u);
}

TEST_F(CliStatusCommandsTest, ComponentAddSendsEveryOption) {
  server_.Reply(201, Components()["items"][1]);
  ASSERT_EQ(Run({"status", "component", "add", "--name", "Shop", "--group", "Website", "--service",
                 "checkout", "--description", "The web shop", "--service", "2", "--position", "1"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/components");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"name", "Shop"},
                                             {"group", "Website"},
                                             {"description", "The web shop"},
                                             {"services", {"checkout", "2"}},
                                             {"position", 1}}));
  EXPECT_EQ(out(), "Created component Shop (id 2) in group Website\n");

  server_.Reply(201, Components()["items"][0]);
  ASSERT_EQ(Run({"status", "component", "add", "--name", "Website", "--group-component"}), kExitOk)
      << err();
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"name", "Website"}, {"is_group", true}}));
  EXPECT_EQ(out(), "Created group Website (id 1)\n");

  const std::string usage =
      "status component add --name NAME [--group GROUP] [--group-component] "
      "[--description TEXT] [--service SERVICE] [--position N]";
  for (const char* position : {"-1", "100001", "first", "1.5", ""}) {
    ExpectUsageError(
        {"status", "component", "add", "--name", "x", "--position", position},
        "invalid --position '" + std::string(position) + "' (expected a whole number 0..100000)",
        usage);
  }
  ExpectUsageError({"status", "component", "add", "--name", ""}, "empty --name", usage);
  ExpectUsageError({"status", "component", "add", "--name", "x", "--service", "a", "--service", ""},
                   "empty --service", usage);
  ExpectUsageError(
      {"status", "component", "add", "--name", "x", "--group", "g", "--group-component"},
      "--group-component makes a group, and groups do not go in groups: give "
      "--group or --group-component, not both",
      usage);

  server_.Reply(409, Problem(409, "a status page component named 'Shop' exists"));
  EXPECT_EQ(Run({"status", "component", "add", "--name", "Shop"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: a status page component named 'Shop' exists\n");
  EXPECT_EQ(out(), "");
}

TEST_F(CliStatusCommandsTest, ComponentSetTakesShortFormsAndNamesWithBlanks) {
  nlohmann::json changed = Components()["items"][1];
  changed["status"] = "major_outage";
  server_.Reply(200, changed);
  ASSERT_EQ(Run({"status", "component", "set", "Shop", "major"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "PATCH");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/components/Shop");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"status", "major_outage"}}));
  EXPECT_EQ(out(), "Set component Shop to major_outage\n");

  changed["name"] = "Checkout API";
  changed["status"] = "under_maintenance";
  server_.Reply(200, changed);
  ASSERT_EQ(Run({"status", "component", "set", "Checkout API", "maintenance"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/status/components/Checkout%20API");
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"status", "under_maintenance"}}));
  EXPECT_EQ(out(), "Set component Checkout API to under_maintenance\n");

  // Unquoted, the name's words come first and the status last.
  server_.Reply(200, changed);
  ASSERT_EQ(Run({"status", "component", "set", "Checkout", "API", "degraded_performance"}), kExitOk)
      << err();
  EXPECT_EQ(server_.requests[2].path, "/api/v1/status/components/Checkout%20API");
  EXPECT_EQ(server_.body(2), (nlohmann::json{{"status", "degraded_performance"}}));

  ExpectUsageError({"status", "component", "set", "Shop", "down"},
                   "invalid STATUS 'down' (expected operational, degraded, partial, major or "
                   "maintenance; or degraded_performance, partial_outage, major_outage, "
                   "under_maintenance)",
                   "status component set COMPONENT STATUS");

  server_.Reply(404, Problem(404, "no status page component 'Shoe'"));
  EXPECT_EQ(Run({"status", "component", "set", "Shoe", "operational"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no status page component 'Shoe'\n");
  EXPECT_EQ(out(), "");
}

TEST_F(CliStatusCommandsTest, ComponentDelete) {
  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"status", "component", "delete", "Search"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "DELETE");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/components/Search");
  EXPECT_FALSE(server_.requests[0].body.has_value());
  EXPECT_EQ(out(), "Deleted component Search\n");

  // Unquoted, the name's words make one name.
  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"status", "component", "delete", "Checkout", "API"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/status/components/Checkout%20API");
  EXPECT_EQ(out(), "Deleted component Checkout API\n");

  server_.Reply(409, Problem(409, "the group 'Website' has components"));
  EXPECT_EQ(Run({"status", "component", "delete", "Website"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: the group 'Website' has components\n");
}

TEST_F(CliStatusCommandsTest, IncidentListAndMaintenances) {
  nlohmann::json resolved = StatusIncident();
  resolved["id"] = 2;
  resolved["status"] = "resolved";
  resolved["impact"] = "minor";
  resolved["incident"] = nullptr;
  resolved["components"] = nlohmann::json::array();
  resolved["resolved_at"] = "2026-11-24T10:00:00.000Z";
  resolved["name"] = "Slow search";
  server_.Reply(200, {{"items", {StatusIncident(), resolved}}, {"next_cursor", nullptr}});
  ReplyComponents();
  ASSERT_EQ(Run({"status", "incident", "list"}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 2u);
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/incidents?kind=incident");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/status/components");
  EXPECT_EQ(out(),
            "ID  STATUS      IMPACT  STARTED              RESOLVED             INCIDENT  "
            "COMPONENTS  NAME\n"
            "3   identified  major   2026-11-25 22:30:00  -                    INC-42    "
            "Shop        Checkout errors\n"
            "2   resolved    minor   2026-11-25 22:30:00  2026-11-24 10:00:00  -         "
            "-           Slow search\n");

  server_.Reply(200, {{"items", {Maintenance(), Maintenance(false)}}, {"next_cursor", nullptr}});
  ReplyComponents();
  ASSERT_EQ(Run({"status", "incident", "list", "--maintenances"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[2].path, "/api/v1/status/incidents?kind=maintenance");
  EXPECT_EQ(out(),
            "ID  STATUS     FROM                 UNTIL                AUTO  COMPONENTS    NAME\n"
            "4   scheduled  2026-11-25 23:45:41  2026-11-26 01:45:41  yes   Shop, Search  "
            "DB upgrade\n"
            "4   scheduled  2026-11-25 23:45:41  2026-11-26 01:45:41  no    Shop, Search  "
            "DB upgrade\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"status", "incident", "list"}), kExitOk) << err();
  EXPECT_EQ(out(), "No status page incidents.\n");
  server_.Reply(200, {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"status", "incident", "list", "--maintenances"}), kExitOk) << err();
  EXPECT_EQ(out(), "No status page maintenances.\n");
  EXPECT_EQ(server_.requests.size(), 6u);
}

TEST_F(CliStatusCommandsTest, IncidentPublishSendsWhatIsPublic) {
  server_.Reply(201, StatusIncident());
  ASSERT_EQ(
      Run({"status", "incident", "publish", "--name", "Checkout errors", "--message",
           "We are investigating.", "--impact", "major", "--status", "identified", "--incident",
           "INC-42", "--component", "Shop=partial", "--component", "Checkout API = major_outage"}),
      kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/incidents");
  EXPECT_EQ(server_.body(0),
            (nlohmann::json{
                {"name", "Checkout errors"},
                {"body", "We are investigating."},
                {"impact", "major"},
                {"status", "identified"},
                {"incident", 42},
                {"components", {{"Shop", "partial_outage"}, {"Checkout API", "major_outage"}}}}));
  EXPECT_EQ(out(),
            "Published status incident 3 (identified, impact major): "
            "http://klaxon.test:8080/status/incidents/inc3\n");

  // Only what is given: the server's defaults for the rest.
  server_.Reply(201, StatusIncident());
  ASSERT_EQ(Run({"status", "incident", "publish", "--name", "X", "--message", "Y"}), kExitOk)
      << err();
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"name", "X"}, {"body", "Y"}}));

  const std::string usage =
      "status incident publish --name NAME --message TEXT [--impact TEXT] [--status STATUS] "
      "[--incident ID] [--component COMPONENT]...";
  const std::vector<std::string> base = {"status", "incident",  "publish", "--name",
                                         "X",      "--message", "Y"};
  const auto with = [&base](std::vector<std::string> more) {
    std::vector<std::string> args = base;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  ExpectUsageError(with({"--impact", "huge"}),
                   "invalid --impact 'huge' (expected none, minor, major or critical)", usage);
  ExpectUsageError(with({"--status", "postmortem"}),
                   "invalid --status 'postmortem' (expected investigating, identified, "
                   "monitoring or resolved)",
                   usage);
  ExpectUsageError(with({"--incident", "checkout"}),
                   "invalid --incident 'checkout' (expected 42 or INC-42)", usage);
  ExpectUsageError(with({"--component", "Shop"}),
                   "invalid --component 'Shop' (expected COMPONENT=STATUS, like Shop=partial)",
                   usage);
  ExpectUsageError(with({"--component", "=major"}),
                   "invalid --component '=major': no component (expected COMPONENT=STATUS, like "
                   "Shop=partial)",
                   usage);
  ExpectUsageError(with({"--component", "Shop=down"}),
                   "invalid --component 'Shop=down': unknown status 'down' (expected "
                   "operational, degraded, partial, major or maintenance; or "
                   "degraded_performance, partial_outage, major_outage, under_maintenance)",
                   usage);
  ExpectUsageError(with({"--component", "Shop=major", "--component", "Shop=partial"}),
                   "--component 'Shop' given twice", usage);
  ExpectUsageError({"status", "incident", "publish", "--name", "X", "--message", ""},
                   "empty --message", usage);

  server_.Reply(422,
                {{"type", "x"},
                 {"title", "x"},
                 {"status", 422},
                 {"detail", "invalid status page incident"},
                 {"errors", {{{"field", "/components/Shoe"}, {"message", "unknown component"}}}}});
  EXPECT_EQ(Run(with({"--component", "Shoe=major"})), kExitError);
  EXPECT_TRUE(err().starts_with("klaxon: 422 Unprocessable Entity: invalid status page incident"))
      << err();
  EXPECT_NE(err().find("components/Shoe: unknown component"), std::string::npos) << err();
  EXPECT_EQ(out(), "");
}

TEST_F(CliStatusCommandsTest, IncidentUpdateAndResolve) {
  nlohmann::json resolved = StatusIncident();
  resolved["status"] = "resolved";
  server_.Reply(200, resolved);
  ASSERT_EQ(Run({"status", "incident", "update", "inc3", "--status", "resolved", "--message",
                 "Fixed.", "--component", "Shop=operational", "--impact", "minor"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/incidents/inc3/updates");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"status", "resolved"},
                                             {"body", "Fixed."},
                                             {"impact", "minor"},
                                             {"components", {{"Shop", "operational"}}}}));
  EXPECT_EQ(out(),
            "Updated status incident 3 (resolved, impact major): "
            "http://klaxon.test:8080/status/incidents/inc3\n");

  // Maintenances are moved the same way.
  nlohmann::json completed = Maintenance();
  completed["status"] = "completed";
  server_.Reply(200, completed);
  ASSERT_EQ(Run({"status", "incident", "update", "4", "--status", "completed", "--message",
                 "Done early."}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/status/incidents/4/updates");
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"status", "completed"}, {"body", "Done early."}}));
  EXPECT_EQ(out(),
            "Updated maintenance 4 (completed): http://klaxon.test:8080/status/incidents/mnt4\n");

  const std::string usage =
      "status incident update ID --status STATUS --message TEXT [--component COMPONENT]... "
      "[--impact TEXT]";
  ExpectUsageError({"status", "incident", "update", "3", "--status", "fixed", "--message", "x"},
                   "invalid --status 'fixed' (expected investigating, identified, monitoring, "
                   "resolved, postmortem, scheduled, in_progress, verifying or completed)",
                   usage);
  ExpectUsageError({"status", "incident", "update", "3", "--status", "resolved", "--message", "x",
                    "--component", "Shop"},
                   "invalid --component 'Shop' (expected COMPONENT=STATUS, like Shop=partial)",
                   usage);

  server_.Reply(422, Problem(422, "invalid status page update"));
  EXPECT_EQ(Run({"status", "incident", "update", "4", "--status", "resolved", "--message", "x"}),
            kExitError);
  EXPECT_EQ(err(), "klaxon: 422 Unprocessable Entity: invalid status page update\n");
}

TEST_F(CliStatusCommandsTest, IncidentShowPrintsTheUpdates) {
  server_.Reply(200, StatusIncident());
  ReplyComponents();
  ASSERT_EQ(Run({"status", "incident", "show", "3"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/incidents/3");
  EXPECT_EQ(out(),
            "Checkout errors (status incident 3)\n"
            "Status:        identified\n"
            "Impact:        major\n"
            "Incident:      INC-42\n"
            "Started:       2026-11-25 22:30:00\n"
            "Components:    Shop\n"
            "Public id:     inc3\n"
            "URL:           http://klaxon.test:8080/status/incidents/inc3\n"
            "\n"
            "Updates, newest first:\n"
            "TIME                 STATUS         MESSAGE                      COMPONENTS\n"
            "2026-11-25 22:40:00  identified     A bad deploy; rolling back.  -\n"
            "2026-11-25 22:30:00  investigating  We are investigating.        "
            "Shop: partial_outage (was operational)\n");

  server_.Reply(200, Maintenance(false));
  ReplyComponents();
  ASSERT_EQ(Run({"status", "incident", "show", "mnt4"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[2].path, "/api/v1/status/incidents/mnt4");
  EXPECT_EQ(out(),
            "DB upgrade (maintenance 4)\n"
            "Status:        scheduled\n"
            "Scheduled:     2026-11-25 23:45:41 to 2026-11-26 01:45:41\n"
            "Moves on time: no, by hand ('klaxon status incident update')\n"
            "Components:    Shop, Search\n"
            "Public id:     mnt4\n"
            "URL:           http://klaxon.test:8080/status/incidents/mnt4\n"
            "\n"
            "Updates, newest first:\n"
            "TIME                 STATUS     MESSAGE                  COMPONENTS\n"
            "2026-11-25 22:45:41  scheduled  Upgrading the database.  -\n");

  server_.Reply(404, Problem(404, "no status page incident 'nope'"));
  EXPECT_EQ(Run({"status", "incident", "show", "nope"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no status page incident 'nope'\n");
}

TEST_F(CliStatusCommandsTest, MaintenanceScheduleComputesTheWindow) {
  server_.Reply(201, Maintenance());
  ASSERT_EQ(Run({"status", "maintenance", "schedule", "--name", "DB upgrade", "--start", "+1h",
                 "--duration", "2h", "--component", "Shop", "--component", "Search", "--message",
                 "Upgrading the database."}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/status/maintenances");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"name", "DB upgrade"},
                                             {"scheduled_for", "2026-11-25T23:45:41.123Z"},
                                             {"scheduled_until", "2026-11-26T01:45:41.123Z"},
                                             {"body", "Upgrading the database."},
                                             {"components", {"Shop", "Search"}}}));
  EXPECT_EQ(out(),
            "Scheduled maintenance 4 from 2026-11-25 23:45:41 to 2026-11-26 01:45:41 (starts "
            "and completes by itself): http://klaxon.test:8080/status/incidents/mnt4\n");

  server_.Reply(201, Maintenance(false));
  ASSERT_EQ(Run({"status", "maintenance", "schedule", "--name", "Reindex", "--start",
                 "2026-12-01T02:00:00+01:00", "--end", "2026-12-01T04:00:00Z", "--manual"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"name", "Reindex"},
                                             {"scheduled_for", "2026-12-01T01:00:00.000Z"},
                                             {"scheduled_until", "2026-12-01T04:00:00.000Z"},
                                             {"auto_transition", false}}));
  EXPECT_NE(out().find(" (moved by hand): "), std::string::npos) << out();

  const std::string usage =
      "status maintenance schedule --name NAME --start TIME [--end TIME] [--duration DURATION] "
      "[--component COMPONENT]... [--message TEXT] [--manual]";
  const std::vector<std::string> base = {"status", "maintenance", "schedule", "--name", "X"};
  const auto with = [&base](std::vector<std::string> more) {
    std::vector<std::string> args = base;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  ExpectUsageError(with({"--end", "+2h"}), "missing --start TIME", usage);
  ExpectUsageError(with({"--start", "+1h"}), "missing --end TIME (or --duration DURATION)", usage);
  ExpectUsageError(with({"--start", "+1h", "--end", "+2h", "--duration", "1h"}),
                   "give --end or --duration, not both", usage);
  ExpectUsageError(with({"--start", "tomorrow", "--duration", "1h"}),
                   "invalid --start 'tomorrow' (expected RFC 3339 like 2026-11-25T09:00:00Z, or "
                   "now, +30m, -2h, +1d, +1w)",
                   usage);
  ExpectUsageError(with({"--start", "+1h", "--end", "2026-11-25"}),
                   "invalid --end '2026-11-25' (expected RFC 3339 like 2026-11-25T09:00:00Z, or "
                   "now, +30m, -2h, +1d, +1w)",
                   usage);
  ExpectUsageError(with({"--start", "+2h", "--end", "+1h"}), "--end +1h is not after --start +2h",
                   usage);
  ExpectUsageError(with({"--start", "+1h", "--duration", "2"}),
                   "invalid --duration '2' (expected a duration like 90m, 2h, 1d, 1h30m)", usage);
  ExpectUsageError(with({"--start", "+1h", "--duration", "1h", "--component", "Shop=major"}),
                   "invalid --component 'Shop=major': a maintenance's components are "
                   "under_maintenance while it runs; give the component alone",
                   usage);
  ExpectUsageError(with({"--start", "+1h", "--duration", "1h", "--component", ""}),
                   "empty --component", usage);

  server_.Reply(422, Problem(422, "invalid maintenance"));
  EXPECT_EQ(Run(with({"--start", "+1h", "--duration", "40d"})), kExitError);
  EXPECT_EQ(err(), "klaxon: 422 Unprocessable Entity: invalid maintenance\n");
}

}  // namespace
}  // namespace klaxon::cli
