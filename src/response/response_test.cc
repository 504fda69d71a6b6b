// The playbook on the clock, on a real SQLite store with the engine's timers and a manual
// clock: record-only and business-hours levels, the acknowledgement target, the
// elapsed-time matrix across a restart, update reminders, and the review deadline.
#include "response/response.h"

#include <gtest/gtest.h>

#include <memory>

#include "core/time_format.h"
#include "paging/paging_test_fixture.h"

namespace klaxon::response {
namespace {

using paging::test::kMinute;
using paging::test::kStart;  // Wednesday 2026-11-25 22:45:41 UTC: after business hours

constexpr const char* kPlaybook = R"(
organization:
  name: Test
  time_zone: UTC
  business_calendar:
    working_days: [mon, tue, wed, thu, fri]
    hours: "09:00-17:00"
    holidays: ["2026-11-26"]
roles:
  - name: commander
  - name: communications_lead
severities:
  - name: P1
    ack_target: 5m
    resolve_target: 1h
    update_every: 15m
    required_roles: [commander, communications_lead]
    stakeholders: [user:boss]
    escalation_matrix:
      - {after: 30m, notify: [user:boss]}
      - {after: 45m, notify: [user:vp]}
    review: {required: true, deadline: 2 business days}
  - name: P2
    ack_target: 1h
    page: business_hours
  - name: P3
    page: never
)";

class ResponseTest : public paging::test::PagingTest {
 protected:
  void SetUp() override {
    PagingTest::SetUp();
    alice_ = AddUser("alice");
    boss_ = AddUser("boss");
    vp_ = AddUser("vp");
    for (int64_t u : {alice_, boss_, vp_}) {
      auto m = MustAddMethod(u, "email", "u" + std::to_string(u) + "@example.test");
      MustAddRule(u, m.id, 0);
    }
    MustCreatePolicy(
        {{"name", "default"},
         {"default", true},
         {"steps",
          {{{"delay_minutes", 10}, {"targets", {{{"type", "user"}, {"name", "alice"}}}}}}}});
    auto loaded = playbook::LoadSources({{"test.yaml", kPlaybook}});
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    Status s = store_->Write([&](store::Tx& tx) {
      return tx.Exec("INSERT INTO settings(key, value) VALUES ('playbook', ?)",
                     {playbook::ToJson(loaded.doc).dump()});
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    Start();
  }
  void TearDown() override {
    Stop();
    PagingTest::TearDown();
  }
  // As app.cc: the response hook before the pager's, then the engine.
  void Start() {
    timers_ = std::make_unique<engine::Timers>(*store_, clock_);
    paging::PagerOptions o;
    o.public_url = "https://klaxon.example";
    o.link_key = std::string(32, 'k');
    pager_ =
        std::make_unique<paging::Pager>(clock_, log_, *timers_, people_, catalog_, incidents_, o);
    response_ = std::make_unique<Response>(clock_, log_, *timers_, *pager_, people_, incidents_);
    response_->Install();
    pager_->Install();
    ASSERT_TRUE(store_->Read([&](store::Tx& tx) { return response_->Load(tx); }).ok());
    ASSERT_TRUE(timers_->Start().ok());
  }
  void Stop() {
    StopEngine();
    response_.reset();
  }
  incidents::Incident Declare(const std::string& severity) {
    auto r = InWrite([&](store::Tx& tx) {
      return incidents_.Declare(tx, {"Checkout down", severity, std::nullopt, "", "", ""}, admin_);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : incidents::Incident{};
  }
  size_t Count(int64_t incident, const std::string& kind) { return Events(incident, kind).size(); }
  nlohmann::json View(int64_t id) {
    auto r = InRead([&](store::Tx& tx) -> Result<nlohmann::json> {
      KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, id));
      return response_->IncidentJson(tx, inc);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nlohmann::json();
  }

  std::unique_ptr<Response> response_;
  int64_t alice_ = 0, boss_ = 0, vp_ = 0;
};

TEST_F(ResponseTest, TheSchemeIsThePlaybooks) {
  auto levels = incidents_.Severities();
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0].name, "P1");
  EXPECT_EQ(Declare("").severity, "P3");
}

TEST_F(ResponseTest, RecordOnlyPagesNobody) {
  auto inc = Declare("P3");
  Settle();
  EXPECT_EQ(Count(inc.id, "escalation.skipped"), 1u);
  EXPECT_EQ(Count(inc.id, "escalation.step_fired"), 0u);
  EXPECT_TRUE(PagedUsers(inc.id).empty());
}

TEST_F(ResponseTest, BusinessHoursWaitForTheNextOpeningPastAHoliday) {
  auto inc = Declare("P2");
  Settle();
  auto deferred = Events(inc.id, "escalation.deferred");
  ASSERT_EQ(deferred.size(), 1u);
  // Thursday is a holiday: Friday 09:00 UTC.
  EXPECT_EQ(deferred[0].data["until"], "2026-11-27T09:00:00.000Z");
  EXPECT_EQ(View(inc.id)["targets"]["ack"]["due_at"], "2026-11-27T10:00:00.000Z");
  TimeMs opening = *ParseTime("2026-11-27T09:00:00.000Z");
  AdvanceAndSettle(opening - kStart - 1);
  EXPECT_TRUE(PagedUsers(inc.id).empty());
  AdvanceAndSettle(1);
  EXPECT_EQ(PagedUsers(inc.id), std::vector<int64_t>{alice_});
}

TEST_F(ResponseTest, AckTargetMissedEscalatesAtItsMinute) {
  auto inc = Declare("P1");
  Settle();
  EXPECT_EQ(Count(inc.id, "escalation.step_fired"), 1u);
  AdvanceAndSettle(5 * kMinute - 1);
  EXPECT_EQ(Count(inc.id, "incident.ack_target_missed"), 0u);
  AdvanceAndSettle(1);
  EXPECT_EQ(Count(inc.id, "incident.ack_target_missed"), 1u);
  EXPECT_EQ(Count(inc.id, "escalation.step_fired"), 2u) << "the next step fires at once";
  EXPECT_EQ(View(inc.id)["targets"]["ack"]["state"], "missed");
  EXPECT_EQ(View(inc.id)["unfilled_roles"], (nlohmann::json{"commander", "communications_lead"}));
}

TEST_F(ResponseTest, MatrixPagesByElapsedTimeAcrossARestartWithoutRepeats) {
  auto inc = Declare("P1");
  Settle();
  ASSERT_TRUE(
      InWrite([&](store::Tx& tx) { return incidents_.Acknowledge(tx, inc.id, admin_); }).ok());
  AdvanceAndSettle(20 * kMinute);
  Stop();  // the process dies; time goes on
  clock_.Advance(15 * kMinute);
  Start();
  Settle();
  auto m = Events(inc.id, "incident.matrix_escalated");
  ASSERT_EQ(m.size(), 1u) << "the 30-minute step, acknowledged or not";
  EXPECT_EQ(m[0].data["paged"], nlohmann::json{"boss"});
  AdvanceAndSettle(10 * kMinute);
  m = Events(inc.id, "incident.matrix_escalated");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].data["paged"], nlohmann::json{"vp"});
  Stop();
  Start();
  AdvanceAndSettle(60 * kMinute);
  EXPECT_EQ(Count(inc.id, "incident.matrix_escalated"), 2u);
  size_t boss_pages = 0;
  for (const auto& o : Outbox("page"))
    if (o.incident_id == inc.id && o.user_id == boss_) ++boss_pages;
  EXPECT_EQ(boss_pages, 1u);
  EXPECT_EQ(Count(inc.id, "incident.resolve_target_missed"), 1u);
}

TEST_F(ResponseTest, UpdateRemindersAndPostingResetsTheClock) {
  auto inc = Declare("P1");
  ASSERT_TRUE(InWrite([&](store::Tx& tx) {
                return response_->AssignRole(tx, inc.id, "communications_lead", "boss", admin_);
              }).ok());
  auto unknown = InWrite([&](store::Tx& tx) {
    return response_->AssignRole(tx, inc.id, "navigator", "boss", admin_);
  });
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  AdvanceAndSettle(10 * kMinute);
  auto soon = Events(inc.id, "incident.update_due_soon");
  ASSERT_EQ(soon.size(), 1u);
  EXPECT_EQ(soon[0].data["notified"], nlohmann::json{"boss"});
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(Count(inc.id, "incident.update_late"), 1u);
  auto posted = InWrite([&](store::Tx& tx) {
    return response_->PostUpdate(tx, inc.id, "Rolled back.", "", {"internal"}, admin_);
  });
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_EQ((*posted)["update_number"], 1);
  EXPECT_EQ(View(inc.id)["updates"]["state"], "ok");
  AdvanceAndSettle(10 * kMinute);
  EXPECT_EQ(Count(inc.id, "incident.update_due_soon"), 2u);
}

TEST_F(ResponseTest, AReopenedIncidentGetsAFreshAckTarget) {
  auto inc = Declare("P1");
  AdvanceAndSettle(kMinute);
  ASSERT_TRUE(
      InWrite([&](store::Tx& tx) { return incidents_.Acknowledge(tx, inc.id, admin_); }).ok());
  ASSERT_TRUE(
      InWrite([&](store::Tx& tx) { return incidents_.Resolve(tx, inc.id, "fixed", admin_); }).ok());
  AdvanceAndSettle(10 * kMinute);
  ASSERT_TRUE(
      InWrite([&](store::Tx& tx) { return incidents_.Reopen(tx, inc.id, "again", admin_); }).ok());
  Settle();
  EXPECT_EQ(Count(inc.id, "incident.ack_target_missed"), 0u) << "not missed at once";
  EXPECT_EQ(Count(inc.id, "escalation.step_fired"), 2u) << "step 1 again, nothing more";
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(Count(inc.id, "incident.ack_target_missed"), 1u);
}

TEST_F(ResponseTest, ReviewDeadlineInBusinessDays) {
  auto inc = Declare("P1");
  AdvanceAndSettle(kMinute);
  ASSERT_TRUE(
      InWrite([&](store::Tx& tx) { return incidents_.Resolve(tx, inc.id, "fixed", admin_); }).ok());
  auto due = Events(inc.id, "incident.review_due");
  ASSERT_EQ(due.size(), 1u);
  // Wednesday night; Thursday is a holiday, Friday day 1, Monday day 2, at closing time.
  EXPECT_EQ(due[0].data["due_at"], "2026-11-30T17:00:00.000Z");
  EXPECT_EQ(View(inc.id)["review"]["due_at"], "2026-11-30T17:00:00.000Z");
}

}  // namespace
}  // namespace klaxon::response
