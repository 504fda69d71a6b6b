#include "paging/catalog.h"

#include <gtest/gtest.h>

#include "paging/paging_test_fixture.h"

namespace klaxon::paging {
namespace {

using nlohmann::json;
using test::kMinute;
using test::kStart;
using test::PagingTest;

std::string FieldOf(const Status& s) {
  if (s.code() != Code::kInvalidArgument || s.fields().size() != 1) return "";
  return s.fields()[0].field;
}

class CatalogTest : public PagingTest {
 protected:
  void SetUp() override {
    PagingTest::SetUp();
    alice_ = AddUser("alice");
    bob_ = AddUser("bob");
    carol_ = AddUser("carol");
  }
  Status CreatePolicyStatus(const json& body) {
    return InWrite([&](store::Tx& tx) { return catalog_.CreatePolicy(tx, body, admin_); }).status();
  }
  static json Policy1(const json& targets, int delay = 5) {
    return {{"name", "p"}, {"steps", {{{"delay_minutes", delay}, {"targets", targets}}}}};
  }
  int64_t alice_ = 0, bob_ = 0, carol_ = 0;
};

TEST_F(CatalogTest, ScheduleUsersAreNamesInTheApiAndIdsInStorage) {
  StoredSchedule s = MustCreateSchedule(WeeklySchedule("primary", {"alice", "bob", "carol"}));
  ASSERT_EQ(s.schedule.layers.size(), 1u);
  EXPECT_EQ(s.schedule.layers[0].users, (std::vector<int64_t>{alice_, bob_, carol_}));
  auto j = InRead([&](store::Tx& tx) {
    return catalog_.ScheduleJson(tx, s, clock_.Now(), "https://klaxon.example");
  });
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["layers"][0]["users"], json({"alice", "bob", "carol"}));
  EXPECT_EQ((*j)["on_call_now"]["username"], "alice");
  EXPECT_EQ((*j)["ical_url"], "https://klaxon.example/ical/schedules/" + s.ical_token + ".ics");
}

TEST_F(CatalogTest, ScheduleValidationNamesTheField) {
  auto create = [&](const json& body) {
    return InWrite([&](store::Tx& tx) { return catalog_.CreateSchedule(tx, body, admin_); })
        .status();
  };
  EXPECT_EQ(FieldOf(create(WeeklySchedule("", {"alice"}))), "/name");
  EXPECT_EQ(FieldOf(create(WeeklySchedule("42", {"alice"}))), "/name");
  EXPECT_EQ(FieldOf(create(WeeklySchedule("s", {"alice", "mallory"}))), "/layers/0/users/1");
  json bad_unit = WeeklySchedule("s", {"alice"});
  bad_unit["layers"][0]["rotation"]["unit"] = "fortnights";
  EXPECT_EQ(FieldOf(create(bad_unit)), "/layers/0/rotation/unit");
  MustCreateSchedule(WeeklySchedule("s", {"alice"}));
  EXPECT_EQ(create(WeeklySchedule("s", {"bob"})).code(), Code::kConflict);
}

TEST_F(CatalogTest, PolicyValidationNamesTheField) {
  MustCreateSchedule(WeeklySchedule("primary", {"alice"}));
  struct Case {
    json body;
    std::string field;
  };
  std::vector<Case> cases = {
      {Policy1({{{"type", "user"}, {"name", "mallory"}}}), "/steps/0/targets/0/name"},
      {Policy1({{{"type", "user"}, {"name", "alice"}}, {{"type", "schedule"}, {"name", "nope"}}}),
       "/steps/0/targets/1/name"},
      {Policy1({{{"type", "team"}, {"name", "alice"}}}), "/steps/0/targets/0/type"},
      {Policy1({{{"type", "user"}}}), "/steps/0/targets/0/name"},
      {Policy1(json::array()), "/steps/0/targets"},
      {Policy1({{{"type", "user"}, {"name", "alice"}}}, 0), "/steps/0/delay_minutes"},
      {Policy1({{{"type", "user"}, {"name", "alice"}}}, 1441), "/steps/0/delay_minutes"},
      {{{"name", "p"}, {"steps", json::array()}}, "/steps"},
      {{{"name", "p"}}, "/steps"},
      {{{"steps", Policy1({{{"type", "user"}, {"name", "alice"}}})["steps"]}}, "/name"},
  };
  json repeat = Policy1({{{"type", "user"}, {"name", "alice"}}});
  repeat["repeat"] = 10;
  cases.push_back({repeat, "/repeat"});
  json second_step_bad = Policy1({{{"type", "user"}, {"name", "alice"}}});
  second_step_bad["steps"].push_back(
      {{"delay_minutes", 5}, {"targets", {{{"type", "user"}, {"name", "zed"}}}}});
  cases.push_back({second_step_bad, "/steps/1/targets/0/name"});
  for (const auto& c : cases) {
    Status s = CreatePolicyStatus(c.body);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.body.dump();
    EXPECT_EQ(FieldOf(s), c.field) << c.body.dump() << " → " << s.ToString();
  }
  EXPECT_TRUE(Events(std::nullopt, "escalation_policy.created").empty());
}

TEST_F(CatalogTest, PolicyTargetsResolveNamesAndIds) {
  StoredSchedule s = MustCreateSchedule(WeeklySchedule("primary", {"alice"}));
  Policy p = MustCreatePolicy(
      {{"name", "checkout"},
       {"repeat", 2},
       {"steps",
        {{{"delay_minutes", 5},
          {"targets",
           {{{"type", "schedule"}, {"name", "primary"}}, {{"type", "user"}, {"id", bob_}}}}},
         {{"delay_minutes", 10}, {"targets", {{{"type", "role"}, {"name", "commander"}}}}}}}});
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].targets[0].id, s.schedule.id);
  EXPECT_EQ(p.steps[0].targets[1].id, bob_);
  EXPECT_EQ(p.steps[0].targets[1].name, "bob");
  EXPECT_EQ(p.steps[1].targets[0].name, "commander");
  auto got = InRead([&](store::Tx& tx) { return catalog_.FindPolicy(tx, "checkout"); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ToJson(), p.ToJson());
  EXPECT_EQ(CreatePolicyStatus({{"name", "checkout"}, {"steps", p.ToJson()["steps"]}}).code(),
            Code::kConflict);
}

TEST_F(CatalogTest, DeletingAScheduleUsedByAPolicyIsAConflict) {
  StoredSchedule s = MustCreateSchedule(WeeklySchedule("primary", {"alice"}));
  Policy p = MustCreatePolicy(Policy1({{{"type", "schedule"}, {"name", "primary"}}}));
  Status del =
      InWrite([&](store::Tx& tx) { return catalog_.DeleteSchedule(tx, s.schedule.id, admin_); });
  EXPECT_EQ(del.code(), Code::kConflict);
  EXPECT_NE(del.message().find("'p'"), std::string::npos) << del.message();

  ASSERT_TRUE(InWrite([&](store::Tx& tx) { return catalog_.DeletePolicy(tx, p.id, admin_); }).ok());
  ASSERT_TRUE(InWrite([&](store::Tx& tx) {
                return catalog_.DeleteSchedule(tx, s.schedule.id, admin_);
              }).ok());
  auto gone = InRead([&](store::Tx& tx) { return catalog_.GetSchedule(tx, s.schedule.id); });
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
}

TEST_F(CatalogTest, DeletingAPolicyUsedByAServiceIsAConflict) {
  Policy p = MustCreatePolicy(Policy1({{{"type", "user"}, {"name", "alice"}}}));
  incidents::Service svc = MustCreateService("checkout", p.id);
  Status del = InWrite([&](store::Tx& tx) { return catalog_.DeletePolicy(tx, p.id, admin_); });
  EXPECT_EQ(del.code(), Code::kConflict);
  EXPECT_NE(del.message().find("checkout"), std::string::npos) << del.message();

  ASSERT_TRUE(InWrite([&](store::Tx& tx) {
                return catalog_.SetServicePolicy(tx, svc.id, std::nullopt);
              }).ok());
  EXPECT_TRUE(InWrite([&](store::Tx& tx) { return catalog_.DeletePolicy(tx, p.id, admin_); }).ok());
}

TEST_F(CatalogTest, PolicyForIncidentPrefersTheServiceThenTheDefault) {
  json steps = Policy1({{{"type", "user"}, {"name", "alice"}}})["steps"];
  Policy svc_policy = MustCreatePolicy({{"name", "svc"}, {"steps", steps}});
  MustCreateService("checkout", svc_policy.id);
  MustCreateService("search");
  incidents::Incident a = MustDeclare("on checkout", "checkout");
  incidents::Incident b = MustDeclare("on search", "search");
  incidents::Incident c = MustDeclare("no service");
  auto policy_of = [&](int64_t incident) -> std::optional<std::string> {
    auto r = InRead([&](store::Tx& tx) { return catalog_.PolicyForIncident(tx, incident); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !*r) return std::nullopt;
    return (*r)->name;
  };
  EXPECT_EQ(policy_of(a.id), "svc");
  EXPECT_EQ(policy_of(b.id), std::nullopt);
  EXPECT_EQ(policy_of(c.id), std::nullopt);

  Policy def = MustCreatePolicy({{"name", "fallback"}, {"default", true}, {"steps", steps}});
  EXPECT_TRUE(def.is_default);
  EXPECT_EQ(policy_of(a.id), "svc");
  EXPECT_EQ(policy_of(b.id), "fallback");
  EXPECT_EQ(policy_of(c.id), "fallback");

  // Only one policy is the default.
  MustCreatePolicy({{"name", "fallback2"}, {"default", true}, {"steps", steps}});
  EXPECT_EQ(policy_of(c.id), "fallback2");
  auto all = InRead([&](store::Tx& tx) { return catalog_.ListPolicies(tx); });
  ASSERT_TRUE(all.ok());
  int defaults = 0;
  for (const auto& p : *all) defaults += p.is_default ? 1 : 0;
  EXPECT_EQ(defaults, 1);
}

TEST_F(CatalogTest, AnEditedPolicyIsReadWithItsNewSteps) {
  // Parsed steps are remembered by their stored text: an edit must not read the old ones.
  Policy p = MustCreatePolicy(Policy1({{{"type", "user"}, {"name", "alice"}}}, 5));
  auto read = [&] {
    auto r = InRead([&](store::Tx& tx) { return catalog_.GetPolicy(tx, p.id); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Policy{};
  };
  ASSERT_EQ(read().steps.size(), 1u);
  EXPECT_EQ(read().steps[0].delay_minutes, 5);
  auto updated = InWrite([&](store::Tx& tx) {
    return catalog_.UpdatePolicy(
        tx, p.id,
        {{"name", "p"},
         {"steps",
          {{{"delay_minutes", 7}, {"targets", {{{"type", "user"}, {"name", "bob"}}}}},
           {{"delay_minutes", 9}, {"targets", {{{"type", "user"}, {"name", "carol"}}}}}}}},
        admin_);
  });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  Policy after = read();
  ASSERT_EQ(after.steps.size(), 2u);
  EXPECT_EQ(after.steps[0].delay_minutes, 7);
  ASSERT_EQ(after.steps[0].targets.size(), 1u);
  EXPECT_EQ(after.steps[0].targets[0].id, bob_);
  EXPECT_EQ(after.steps[1].targets[0].id, carol_);
}

TEST_F(CatalogTest, OverridesAreValidatedAndListed) {
  StoredSchedule s = MustCreateSchedule(WeeklySchedule("primary", {"alice", "bob"}));
  auto add = [&](TimeMs start, TimeMs end) {
    return InWrite([&](store::Tx& tx) {
      return catalog_.AddOverride(tx, s.schedule.id, carol_, start, end, admin_);
    });
  };
  EXPECT_EQ(FieldOf(add(kStart + 2 * kMinute, kStart + kMinute).status()), "/end");
  EXPECT_EQ(FieldOf(add(kStart - 2 * kMinute, kStart - kMinute).status()), "/end");
  auto o = add(kStart, kStart + 60 * kMinute);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  auto now = InRead([&](store::Tx& tx) { return catalog_.GetSchedule(tx, s.schedule.id); });
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(oncall::OnCallAt(now->schedule, kStart), carol_);
  EXPECT_EQ(oncall::OnCallAt(now->schedule, kStart + 60 * kMinute), alice_);
}

}  // namespace
}  // namespace klaxon::paging
