// `klaxon notify ...` against the fake server: the requests it sends and what it prints.
#include <gtest/gtest.h>

#include "cli/commands_test_fixture.h"

namespace klaxon::cli {
namespace {

class CliNotifyCommandsTest : public CliCommandsTest {
 protected:
  void SetUp() override {
    CliCommandsTest::SetUp();
    LoggedIn();
  }
};

nlohmann::json Method(int id, const std::string& kind, const std::string& address, bool verified) {
  return {{"id", id},
          {"kind", kind},
          {"address", address},
          {"label", kind == "email" ? "work" : ""},
          {"verified", verified},
          {"created_at", "2026-11-25T22:00:00.000Z"}};
}

nlohmann::json Profile() {
  return {{"id", 2},
          {"username", "alice"},
          {"name", "Alice Smith"},
          {"role", "responder"},
          {"time_zone", "Europe/Berlin"},
          {"contact_methods",
           {Method(5, "email", "alice@example.com", true),
            Method(6, "slack", "https://hooks.slack.test/T1", false)}},
          {"notification_rules",
           {{{"id", 1}, {"contact_method", 5}, {"delay_minutes", 0}},
            {{"id", 2}, {"contact_method", 6}, {"delay_minutes", 10}}}},
          {"ical_url", nullptr}};
}

TEST_F(CliNotifyCommandsTest, MethodsShowsContactMethodsAndRules) {
  server_.Reply(200, Profile());
  ASSERT_EQ(Run({"notify", "methods"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "GET");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/users/me");
  EXPECT_EQ(out(),
            "alice (Alice Smith), time zone Europe/Berlin\n"
            "\n"
            "Contact methods:\n"
            "ID  KIND   ADDRESS                      LABEL  VERIFIED\n"
            "5   email  alice@example.com            work   yes\n"
            "6   slack  https://hooks.slack.test/T1  -      no\n"
            "\n"
            "Notification rules:\n"
            "ID  CONTACT METHOD  AFTER\n"
            "1   5 (email)       0 min\n"
            "2   6 (slack)       10 min\n");

  nlohmann::json bare = Profile();
  bare["contact_methods"] = nlohmann::json::array();
  bare["notification_rules"] = nlohmann::json::array();
  server_.Reply(200, bare);
  ASSERT_EQ(Run({"notify", "methods", "--user", "alice smith"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/users/alice%20smith");
  EXPECT_NE(out().find("Contact methods:\n  (none; add one with 'klaxon notify add-method')\n"),
            std::string::npos)
      << out();
  EXPECT_NE(out().find("  (none; a page goes to every contact method at once)\n"),
            std::string::npos);
}

TEST_F(CliNotifyCommandsTest, AddMethodSendsTheFieldsAndPrintsTheNextStep) {
  server_.Reply(201, Method(5, "email", "alice@example.com", false));
  ASSERT_EQ(Run({"notify", "add-method", "--kind", "email", "--address", "alice@example.com",
                 "--label", "work"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/users/me/contact-methods");
  EXPECT_EQ(
      server_.body(0),
      (nlohmann::json{{"kind", "email"}, {"address", "alice@example.com"}, {"label", "work"}}));
  EXPECT_EQ(out(),
            "Added email contact method 5 (alice@example.com)\n"
            "Get a verification code with 'klaxon notify test 5'\n");

  nlohmann::json webhook = Method(7, "webhook", "https://hooks.test/x", false);
  webhook["webhook_secret"] = "whsec_abc";
  server_.Reply(201, webhook);
  ASSERT_EQ(Run({"notify", "add-method", "--user", "bob", "--kind", "webhook", "--address",
                 "https://hooks.test/x"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/users/bob/contact-methods");
  EXPECT_EQ(server_.body(1),
            (nlohmann::json{{"kind", "webhook"}, {"address", "https://hooks.test/x"}}));
  EXPECT_EQ(out(),
            "Added webhook contact method 7 (https://hooks.test/x)\n"
            "Webhook signing secret (Standard Webhooks): whsec_abc\n"
            "Get a verification code with 'klaxon notify test --user bob 7'\n");
}

TEST_F(CliNotifyCommandsTest, AddMethodShowsTheServersFieldErrors) {
  nlohmann::json invalid = Problem(422, "request body has invalid fields");
  invalid["errors"] = {{{"field", "/address"}, {"message", "must be an email address"}}};
  server_.Reply(422, invalid);
  EXPECT_EQ(Run({"notify", "add-method", "--kind", "email", "--address", "nope"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (address: must "
            "be an email address)\n");
}

TEST_F(CliNotifyCommandsTest, AddRule) {
  server_.Reply(201, {{"id", 3}, {"contact_method", 5}, {"delay_minutes", 10}});
  ASSERT_EQ(Run({"notify", "add-rule", "--method", "5", "--delay", "10"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/users/me/notification-rules");
  EXPECT_EQ(server_.body(0), (nlohmann::json{{"contact_method", 5}, {"delay_minutes", 10}}));
  EXPECT_EQ(out(), "Added notification rule 3: contact method 5 after 10 min\n");

  server_.Reply(201, {{"id", 4}, {"contact_method", 5}, {"delay_minutes", 0}});
  ASSERT_EQ(Run({"notify", "add-rule", "--method", "5", "--delay", "0", "--user", "alice"}),
            kExitOk);
  EXPECT_EQ(server_.requests[1].path, "/api/v1/users/alice/notification-rules");
  EXPECT_EQ(server_.body(1)["delay_minutes"], 0);

  EXPECT_EQ(Run({"notify", "add-rule", "--method", "5", "--delay", "ten"}), kExitUsage);
  EXPECT_TRUE(err().starts_with(
      "klaxon: invalid --delay 'ten' (expected minutes after the page, 0..1440)\n"))
      << err();
  EXPECT_EQ(Run({"notify", "add-rule", "--method", "5", "--delay", "-1"}), kExitUsage);
  EXPECT_EQ(Run({"notify", "add-rule", "--method", "x", "--delay", "1"}), kExitUsage);
  EXPECT_TRUE(err().starts_with("klaxon: invalid contact method id 'x'")) << err();
  EXPECT_EQ(server_.requests.size(), 2u);
}

TEST_F(CliNotifyCommandsTest, TestAndVerify) {
  server_.Reply(202, {{"notification_id", 17}});
  ASSERT_EQ(Run({"notify", "test", "5"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/users/me/contact-methods/5/test");
  EXPECT_EQ(server_.body(0), nlohmann::json::object());
  EXPECT_EQ(out(),
            "Sent a test message to contact method 5 (notification 17); enter its code with "
            "'klaxon notify verify 5 CODE'\n");

  server_.Reply(200, Method(5, "email", "alice@example.com", true));
  ASSERT_EQ(Run({"notify", "verify", "--user", "alice", "5", "123456"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[1].path, "/api/v1/users/alice/contact-methods/5/verify");
  EXPECT_EQ(server_.body(1), (nlohmann::json{{"code", "123456"}}));
  EXPECT_EQ(out(), "Verified email contact method 5 (alice@example.com)\n");

  nlohmann::json wrong = Problem(422, "request body has invalid fields");
  wrong["errors"] = {{{"field", "/code"}, {"message", "is wrong or expired"}}};
  server_.Reply(422, wrong);
  EXPECT_EQ(Run({"notify", "verify", "5", "000000"}), kExitError);
  EXPECT_EQ(err(),
            "klaxon: 422 Unprocessable Entity: request body has invalid fields (code: is wrong or "
            "expired)\n");

  server_.Reply(404, Problem(404, "no contact method 9"));
  EXPECT_EQ(Run({"notify", "test", "9"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 404 Not Found: no contact method 9\n");

  EXPECT_EQ(Run({"notify", "test", "email"}), kExitUsage);
  EXPECT_EQ(Run({"notify", "verify", "5"}), kExitUsage);
  EXPECT_EQ(server_.requests.size(), 4u);
}

TEST_F(CliNotifyCommandsTest, ListFiltersAndRendersATable) {
  server_.Reply(200, {{"items",
                       {{{"id", 12},
                         {"incident_id", 4},
                         {"user", {{"id", 2}, {"username", "alice"}, {"name", "Alice"}}},
                         {"kind", "page"},
                         {"channel", "webhook"},
                         {"address", "https://hooks.test/alice"},
                         {"status", "failed"},
                         {"attempts", 3},
                         {"created_at", "2026-11-25T22:40:00.000Z"},
                         {"next_attempt_at", nullptr},
                         {"sent_at", nullptr},
                         {"last_error", "HTTP 410"}},
                        {{"id", 11},
                         {"incident_id", nullptr},
                         {"user", nullptr},
                         {"kind", "test"},
                         {"channel", "email"},
                         {"address", "a@example.com"},
                         {"status", "sent"},
                         {"attempts", 1},
                         {"created_at", "2026-11-25T22:30:00.000Z"},
                         {"next_attempt_at", nullptr},
                         {"sent_at", "2026-11-25T22:30:01.000Z"},
                         {"last_error", ""}}}},
                      {"next_cursor", nullptr}});
  ASSERT_EQ(Run({"notify", "list", "--status", "failed", "--incident", "INC-4", "--user", "alice"}),
            kExitOk)
      << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/notifications?status=failed&incident=4&user=alice");
  EXPECT_EQ(out(),
            "ID  INCIDENT  USER   KIND  CHANNEL  ADDRESS                   STATUS  ATTEMPTS  "
            "CREATED              ERROR\n"
            "12  INC-4     alice  page  webhook  https://hooks.test/alice  failed  3         "
            "2026-11-25 22:40:00  HTTP 410\n"
            "11  -         -      test  email    a@example.com             sent    1         "
            "2026-11-25 22:30:00\n");

  server_.Reply(200, {{"items", nlohmann::json::array()}});
  ASSERT_EQ(Run({"notify", "list"}), kExitOk);
  EXPECT_EQ(server_.requests[1].path, "/api/v1/notifications");
  EXPECT_EQ(out(), "No notifications.\n");

  server_.Reply(400, Problem(400, "status must be pending, sent, failed or cancelled"));
  EXPECT_EQ(Run({"notify", "list", "--status", "lost"}), kExitError);
  EXPECT_EQ(err(), "klaxon: 400 Bad Request: status must be pending, sent, failed or cancelled\n");

  EXPECT_EQ(Run({"notify", "list", "--incident", "x"}), kExitUsage);
  EXPECT_EQ(server_.requests.size(), 3u);
}

}  // namespace
}  // namespace klaxon::cli
