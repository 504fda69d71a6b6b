// `klaxon oncall|schedule|override|policy ...` and `klaxon incident escalate|repage`
// against the fake server: the requests they send and what they print.
#include <gtest/gtest.h>

#include "cli/commands_test_fixture.h"

namespace klaxon::cli {
namespace {

class CliOnCallCommandsTest : public CliCommandsTest {
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
};

nlohmann::json User(int id, const std::string& username, const std::string& name) {
  return {{"id", id}, {"username", username}, {"name", name}};
}

nlohmann::json Schedule() {
  return {
      {"id", 3},
      {"name", "primary"},
      {"description", "web tier"},
      {"time_zone", "America/New_York"},
      {"layers",
       {{{"name", "weekly"},
         {"users", {"alice", "bob"}},
         {"rotation", {{"unit", "weeks"}, {"length", 1}}},
         {"start_date", "2026-11-02"},
         {"handoff_time", "09:00"},
         {"restrictions", nlohmann::json::array()}},
        {{"name", "weekdays"},
         {"users", {"carol"}},
         {"rotation", {{"unit", "days"}, {"length", 2}}},
         {"start_date", "2026-11-02"},
         {"handoff_time", "08:00"},
         {"restrictions", {{{"weekday", "mon"}, {"start", "09:00"}, {"duration_minutes", 480}}}}}}},
      {"ical_url", "http://klaxon.test:8080/ical/schedules/abc.ics"},
      {"on_call_now", User(1, "alice", "Alice")},
      {"created_at", "2026-11-01T00:00:00.000Z"},
      {"updated_at", "2026-11-01T00:00:00.000Z"}};
}

nlohmann::json Policy() {
  return {{"id", 2},
          {"name", "web"},
          {"description", "web tier"},
          {"repeat", 2},
          {"default", true},
          {"steps",
           {{{"delay_minutes", 5},
             {"targets", {{{"type", "schedule"}, {"id", 3}, {"name", "primary"}}}}},
            {{"delay_minutes", 15},
             {"targets",
              {{{"type", "user"}, {"id", 2}, {"name", "bob"}},
               {{"type", "role"}, {"name", "commander"}}}}}}}};
}

TEST_F(CliOnCallCommandsTest, OnCallNowListsEverySchedule) {
  server_.Reply(
      200, {{"at", "2026-11-25T22:45:41.123Z"},
            {"items",
             {{{"schedule", {{"id", 3}, {"name", "primary"}}},
               {"user", User(1, "alice", "Alice Smith")},
               {"until", "2026-11-30T14:00:00.000Z"}},
              {{"schedule", {{"id", 4}, {"name", "db"}}}, {"user", nullptr}, {"until", nullptr}}}},
            {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"oncall", "now"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/oncall");
  EXPECT_EQ(out(),
            "SCHEDULE  ON CALL              UNTIL\n"
            "primary   alice (Alice Smith)  2026-11-30 14:00:00\n"
            "db        -                    -\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}});
  ASSERT_EQ(Run({"oncall", "now"}), kExitOk) << err();
  EXPECT_EQ(out(), "No schedules.\n");
}

TEST_F(CliOnCallCommandsTest, OnCallNowForOneScheduleAtATime) {
  server_.Reply(200, {{"schedule", {{"id", 3}, {"name", "primary rotation"}}},
                      {"at", "2026-11-26T22:45:41.123Z"},
                      {"user", User(2, "bob", "bob")},
                      {"until", "2026-11-30T14:00:00.000Z"}});
  ASSERT_EQ(Run({"oncall", "now", "--schedule", "primary rotation", "--at", "+1d"}), kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].path,
            "/api/v1/schedules/primary%20rotation/oncall?at=2026-11-26T22%3A45%3A41.123Z");
  EXPECT_EQ(out(),
            "SCHEDULE          ON CALL  UNTIL\n"
            "primary rotation  bob      2026-11-30 14:00:00\n");

  server_.Reply(200, {{"user", nullptr}});
  ASSERT_EQ(Run({"oncall", "now", "--schedule", "3", "--at", "2026-12-01T10:00:00+01:00"}),
            kExitOk);
  EXPECT_EQ(server_.requests[1].path, "/api/v1/schedules/3/oncall?at=2026-12-01T09%3A00%3A00.000Z");
}

TEST_F(CliOnCallCommandsTest, OnCallJsonIsTheServersJson) {
  const nlohmann::json reply = {{"schedule", {{"id", 3}, {"name", "primary"}}},
                                {"at", "2026-11-25T22:45:41.123Z"},
                                {"user", nullptr},
                                {"until", nullptr}};
  server_.Reply(200, reply);
  ASSERT_EQ(Run({"oncall", "now", "--schedule", "primary", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), reply);
}

TEST_F(CliOnCallCommandsTest, BadTimesAreUsageErrors) {
  EXPECT_EQ(Run({"oncall", "now", "--at", "tomorrow"}), kExitUsage);
  EXPECT_TRUE(
      err().starts_with("klaxon: invalid --at 'tomorrow' (expected RFC 3339 like "
                        "2026-11-25T09:00:00Z, or now, +30m, -2h, +1d, +1w)\n"
                        "usage: klaxon oncall now"))
      << err();
  EXPECT_EQ(Run({"oncall", "shifts", "--schedule", "s", "--to", "2026-11-25T09:00:00"}),
            kExitUsage);
  EXPECT_EQ(Run({"override", "create", "--schedule", "s", "--user", "bob", "--start", "now",
                 "--end", "+2x"}),
            kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: invalid --end '+2x'")) << err();
  EXPECT_EQ(Run({"oncall", "now", "--schedule", ""}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: empty --schedule\n")) << err();
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliOnCallCommandsTest, UnknownScheduleShowsTheServersMessage) {
  server_.Reply(404, Problem(404, "no schedule 'nope'"));
  EXPECT_EQ(Run({"oncall", "shifts", "--schedule", "nope"}), kExitError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no schedule 'nope'\n");
}

TEST_F(CliOnCallCommandsTest, ShiftsSendTheRangeAndRenderATable) {
  server_.Reply(200, {{"schedule", {{"id", 3}, {"name", "primary"}}},
                      {"items",
                       {{{"user", User(1, "alice", "Alice")},
                         {"user_id", 1},
                         {"start", "2026-11-23T14:00:00.000Z"},
                         {"end", "2026-11-26T10:00:00.000Z"},
                         {"source", "weekly"}},
                        {{"user", User(2, "bob", "Bob")},
                         {"user_id", 2},
                         {"start", "2026-11-26T10:00:00.000Z"},
                         {"end", "2026-11-26T12:00:00.000Z"},
                         {"source", "override"}}}}});
  ASSERT_EQ(Run({"oncall", "shifts", "--schedule", "primary", "--from", "2026-11-25T00:00:00Z",
                 "--to", "+2d"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].path,
            "/api/v1/schedules/primary/shifts?from=2026-11-25T00%3A00%3A00.000Z"
            "&to=2026-11-27T22%3A45%3A41.123Z");
  EXPECT_EQ(out(),
            "START                END                  USER   SOURCE\n"
            "2026-11-23 14:00:00  2026-11-26 10:00:00  alice  weekly\n"
            "2026-11-26 10:00:00  2026-11-26 12:00:00  bob    override\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}});
  ASSERT_EQ(Run({"oncall", "shifts", "--schedule", "primary"}), kExitOk);
  EXPECT_EQ(server_.requests[1].path, "/api/v1/schedules/primary/shifts");
  EXPECT_EQ(out(), "No shifts.\n");
}

TEST_F(CliOnCallCommandsTest, ScheduleListAndShow) {
  server_.Reply(200, {{"items", {Schedule()}}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"schedule", "list"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/schedules");
  EXPECT_EQ(out(),
            "ID  NAME     TIME ZONE         ON CALL NOW  DESCRIPTION\n"
            "3   primary  America/New_York  alice        web tier\n");

  server_.Reply(200, Schedule());
  ASSERT_EQ(Run({"schedule", "show", "primary"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/schedules/primary");
  EXPECT_EQ(out(),
            "primary (schedule 3)\n"
            "Description:   web tier\n"
            "Time zone:     America/New_York\n"
            "On call now:   alice\n"
            "Calendar:      http://klaxon.test:8080/ical/schedules/abc.ics\n"
            "\n"
            "Layers (later layers win where they overlap):\n"
            "LAYER     ROTATION  USERS       START DATE  HANDOFF  RESTRICTIONS\n"
            "weekly    1 week    alice, bob  2026-11-02  09:00    -\n"
            "weekdays  2 days    carol       2026-11-02  08:00    mon 09:00 for 480 min\n");
}

TEST_F(CliOnCallCommandsTest, NamesAreOnePathSegment) {
  server_.Reply(404, Problem(404, "no schedule"));
  server_.Reply(404, Problem(404, "no schedule"));
  server_.Reply(404, Problem(404, "no escalation policy"));
  Run({"schedule", "show", ".."});
  Run({"schedule", "show", "a/b?c"});
  Run({"policy", "show", "."});
  EXPECT_EQ(server_.requests[0].path, "/api/v1/schedules/%2E%2E");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/schedules/a%2Fb%3Fc");
  EXPECT_EQ(server_.requests[2].path, "/api/v1/escalation-policies/%2E");
}

TEST_F(CliOnCallCommandsTest, ScheduleCreateAndReplaceSendTheFile) {
  const nlohmann::json definition = {
      {"name", "primary"}, {"time_zone", "UTC"}, {"layers", nlohmann::json::array()}};
  const std::string path = WriteFile("primary.json", definition.dump(2));
  server_.Reply(201, Schedule());
  ASSERT_EQ(Run({"schedule", "create", "-f", path}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/schedules");
  EXPECT_EQ(server_.body(0), definition);
  EXPECT_EQ(out(), "Created schedule primary (id 3)\n");

  server_.Reply(200, Schedule());
  ASSERT_EQ(Run({"schedule", "replace", "primary", "--file", path}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].method, "PUT");
  EXPECT_EQ(server_.requests[1].path, "/api/v1/schedules/primary");
  EXPECT_EQ(server_.body(1), definition);
  EXPECT_EQ(out(), "Replaced schedule primary (id 3)\n");
}

TEST_F(CliOnCallCommandsTest, ScheduleFilesThatCannotBeSent) {
  const std::string missing = (dir_ / "missing.json").string();
  EXPECT_EQ(Run({"schedule", "create", "-f", missing}), kExitError);
  EXPECT_EQ(err(), "klaxon: cannot read " + missing + ": No such file or directory\n");

  const std::string malformed = WriteFile("bad.json", "{\"name\": ");
  EXPECT_EQ(Run({"schedule", "create", "-f", malformed}), kExitError);
  EXPECT_EQ(err(), "klaxon: " + malformed + ": malformed JSON at byte 10\n");

  const std::string array = WriteFile("array.json", "[1]");
  EXPECT_EQ(Run({"schedule", "create", "-f", array}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: " + array + ": expected a JSON object (the request body, see docs/api.md)\n");

  const std::string huge = WriteFile("huge.json", std::string((1 << 20) + 1, ' '));
  EXPECT_EQ(Run({"schedule", "create", "-f", huge}), kExitError);
  EXPECT_EQ(err(), "klaxon: " + huge + " is larger than 1 MiB\n");
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliOnCallCommandsTest, ScheduleDelete) {
  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"schedule", "delete", "primary"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "DELETE");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/schedules/primary");
  EXPECT_EQ(out(), "Deleted schedule primary\n");

  server_.Reply(409, Problem(409, "schedule primary is used by escalation policy web"));
  EXPECT_EQ(Run({"schedule", "delete", "primary"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: schedule primary is used by escalation policy web\n");
}

TEST_F(CliOnCallCommandsTest, Overrides) {
  const nlohmann::json entry = {{"id", 7},
                                {"user", User(2, "bob", "Bob")},
                                {"start", "2026-11-25T22:45:41.123Z"},
                                {"end", "2026-11-26T00:45:41.123Z"},
                                {"created_by", "admin"}};
  server_.Reply(201, entry);
  ASSERT_EQ(Run({"override", "create", "--schedule", "primary", "--user", "bob", "--start", "now",
                 "--end", "+2h"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/schedules/primary/overrides");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"user", "bob"},
                                             {"start", "2026-11-25T22:45:41.123Z"},
                                             {"end", "2026-11-26T00:45:41.123Z"}}));
  EXPECT_EQ(out(),
            "Created override 7: bob covers 2026-11-25 22:45:41 to 2026-11-26 00:45:41 on "
            "primary\n");

  server_.Reply(200, {{"items", {entry}}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"override", "list", "--schedule", "primary"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/schedules/primary/overrides");
  EXPECT_EQ(out(),
            "ID  USER  START                END                  CREATED BY\n"
            "7   bob   2026-11-25 22:45:41  2026-11-26 00:45:41  admin\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}});
  ASSERT_EQ(Run({"override", "list", "--schedule", "primary"}), kExitOk);
  EXPECT_EQ(out(), "No current or future overrides.\n");

  server_.ReplyRaw(204, "");
  ASSERT_EQ(Run({"override", "delete", "--schedule", "primary", "7"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[3].method, "DELETE");
  EXPECT_EQ(server_.requests[3].path, "/api/v1/schedules/primary/overrides/7");
  EXPECT_EQ(out(), "Deleted override 7\n");

  EXPECT_EQ(Run({"override", "delete", "--schedule", "primary", "seven"}), kExitUsage);
  EXPECT_EQ(Run({"override", "create", "--schedule", "primary", "--start", "now", "--end", "+1h"}),
            kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: missing --user USER\n")) << err();
  EXPECT_EQ(server_.requests.size(), 4u);
}

TEST_F(CliOnCallCommandsTest, OverrideForAnUnknownUserNamesTheField) {
  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/user"}, {"message", "unknown user 'zed'"}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"override", "create", "--schedule", "primary", "--user", "zed", "--start", "now",
                 "--end", "+1h"}),
            kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (user: unknown "
            "user 'zed')\n");
}

TEST_F(CliOnCallCommandsTest, PolicyListAndShow) {
  server_.Reply(200, {{"items", {Policy()}}, {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"policy", "list"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/escalation-policies");
  EXPECT_EQ(out(),
            "ID  NAME  STEPS  REPEAT  DEFAULT  DESCRIPTION\n"
            "2   web   2      2       yes      web tier\n");

  server_.Reply(200, Policy());
  ASSERT_EQ(Run({"policy", "show", "web"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/escalation-policies/web");
  EXPECT_EQ(out(),
            "web (policy 2)\n"
            "Description:   web tier\n"
            "Default:       yes (for services without a policy)\n"
            "Repeat:        2 more times\n"
            "\n"
            "Steps (the next fires when nobody acknowledges in time):\n"
            "STEP  NEXT AFTER  TARGETS\n"
            "1     5 min       schedule primary\n"
            "2     15 min      user bob, role commander\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}});
  ASSERT_EQ(Run({"policy", "list"}), kExitOk);
  EXPECT_EQ(out(), "No escalation policies.\n");
}

TEST_F(CliOnCallCommandsTest, EscalateAndRepagePrintTheEscalation) {
  const nlohmann::json escalation = {{"policy", {{"id", 2}, {"name", "web"}}},
                                     {"state", "active"},
                                     {"step", 2},
                                     {"steps", 3},
                                     {"repeat", 0},
                                     {"next_at", "2026-11-25T23:00:41.123Z"}};
  server_.Reply(200, escalation);
  ASSERT_EQ(Run({"incident", "escalate", "INC-4"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/incidents/4/escalate");
  EXPECT_EQ(server_.body(0), nlohmann::json::object());
  EXPECT_EQ(out(),
            "Escalated INC-4: policy web, step 2 of 3, active, next step at 2026-11-25 "
            "23:00:41\n");

  nlohmann::json exhausted = escalation;
  exhausted["state"] = "exhausted";
  exhausted["next_at"] = nullptr;
  server_.Reply(200, exhausted);
  ASSERT_EQ(Run({"incident", "repage", "4"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/incidents/4/repage");
  EXPECT_EQ(out(), "Paged INC-4 again: policy web, step 2 of 3, exhausted\n");

  server_.Reply(200, escalation);
  ASSERT_EQ(Run({"incident", "escalate", "4", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), escalation);

  server_.Reply(409, Problem(409, "INC-4 has no escalation policy"));
  EXPECT_EQ(Run({"incident", "escalate", "4"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 409 Conflict: INC-4 has no escalation policy\n");

  EXPECT_EQ(Run({"incident", "repage", "four"}), kExitUsage);
  EXPECT_EQ(server_.requests.size(), 4u);
}

}  // namespace
}  // namespace klaxon::cli
