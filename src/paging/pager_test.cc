#include "paging/pager.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "core/time_format.h"
#include "paging/paging_test_fixture.h"

namespace klaxon::paging {
namespace {

using nlohmann::json;
using test::kMinute;
using test::kStart;
using test::PagingTest;

constexpr const char* kEscalation = "escalation";
constexpr const char* kHandoff = "handoff";

// The world of most tests: a weekly schedule of alice, bob and carol (alice on call at
// kStart, bob from 2026-11-30T09:00Z); the "checkout" policy pages the schedule, then
// after 5 minutes dave, then after 10 more minutes starts over once; the "checkout"
// service uses it. Everybody has an email address and no notification rules.
class PagerTest : public PagingTest {
 protected:
  void SetUp() override {
    PagingTest::SetUp();
    for (const char* name : {"alice", "bob", "carol", "dave", "erin"}) {
      int64_t id = AddUser(name);
      users_[name] = id;
      emails_[name] = MustAddMethod(id, "email", std::string(name) + "@example.com");
    }
    StartEngine();
    schedule_ = MustCreateSchedule(WeeklySchedule("primary", {"alice", "bob", "carol"}));
    policy_ = MustCreatePolicy(
        {{"name", "checkout"},
         {"repeat", 1},
         {"steps",
          {{{"delay_minutes", 5}, {"targets", {{{"type", "schedule"}, {"name", "primary"}}}}},
           {{"delay_minutes", 10}, {"targets", {{{"type", "user"}, {"name", "dave"}}}}}}}});
    MustCreateService("checkout", policy_.id);
  }

  int64_t U(const std::string& name) { return users_.at(name); }
  std::vector<int64_t> Us(std::initializer_list<const char*> names) {
    std::vector<int64_t> out;
    for (const char* n : names) out.push_back(U(n));
    return out;
  }
  events::Actor Actor(const std::string& name) { return {"user", U(name), name}; }

  Status Acknowledge(int64_t id, const std::string& who) {
    return InWrite([&](store::Tx& tx) { return incidents_.Acknowledge(tx, id, Actor(who)); })
        .status();
  }
  Status Resolve(int64_t id) {
    return InWrite([&](store::Tx& tx) { return incidents_.Resolve(tx, id, "fixed", admin_); })
        .status();
  }
  Status Reopen(int64_t id) {
    return InWrite([&](store::Tx& tx) { return incidents_.Reopen(tx, id, "again", admin_); })
        .status();
  }
  Result<json> EscalateNow(int64_t id) {
    return InWrite([&](store::Tx& tx) { return pager_->EscalateNow(tx, id, admin_); });
  }
  Result<json> Repage(int64_t id) {
    return InWrite([&](store::Tx& tx) { return pager_->Repage(tx, id, admin_); });
  }
  Result<json> AssignRole(int64_t id, const std::string& role, const std::string& user) {
    return InWrite([&](store::Tx& tx) { return pager_->AssignRole(tx, id, role, user, admin_); });
  }
  std::vector<events::Event> Fired(int64_t incident) {
    return Events(incident, "escalation.step_fired");
  }
  // No two outbox rows share an idempotency key (the table enforces it; this checks
  // that distinct firings also got distinct keys).
  void ExpectDistinctKeys() {
    std::set<std::string> keys;
    for (const auto& o : Outbox()) EXPECT_TRUE(keys.insert(o.idem_key).second) << o.idem_key;
  }

  std::map<std::string, int64_t> users_;
  std::map<std::string, ContactMethod> emails_;
  StoredSchedule schedule_;
  Policy policy_;
};

TEST_F(PagerTest, EscalatesThroughTheStepsRepeatsAndIsExhausted) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  auto started = Events(inc.id, "escalation.started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].data["policy_name"], "checkout");
  EXPECT_EQ(started[0].data["restart"], false);

  Settle();
  auto out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, "page");
  EXPECT_EQ(out[0].incident_id, inc.id);
  EXPECT_EQ(out[0].user_id, U("alice"));
  EXPECT_EQ(out[0].contact_method_id, emails_["alice"].id);
  EXPECT_EQ(out[0].channel, "email");
  EXPECT_EQ(out[0].address, "alice@example.com");
  EXPECT_EQ(out[0].status, "pending");
  EXPECT_EQ(out[0].due_at, kStart);
  EXPECT_EQ(out[0].next_attempt_at, kStart);
  EXPECT_EQ(out[0].message["kind"], "page");
  EXPECT_EQ(out[0].message["incident_ref"], inc.ref());
  EXPECT_EQ(out[0].message["title"], "checkout is down");
  EXPECT_EQ(out[0].message["service"], "checkout");
  EXPECT_TRUE(
      out[0].message["ack_url"].get<std::string>().starts_with("https://klaxon.example/a/"));
  auto fired = Fired(inc.id);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].data["step"], 1);
  EXPECT_EQ(fired[0].data["repeat"], 0);
  EXPECT_EQ(fired[0].data["paged"], json({"alice"}));
  EXPECT_EQ(fired[0].data["targets"][0]["user"], "alice");
  EXPECT_EQ(fired[0].data["via"], "declared");  // step 1 fires in the declaring transaction
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 5 * kMinute);
  auto esc = Escalation(inc.id);
  ASSERT_TRUE(esc);
  EXPECT_EQ(esc->state, "active");
  EXPECT_EQ(esc->step, 1);
  EXPECT_EQ(esc->fired, 1);

  auto j = InRead([&](store::Tx& tx) { return pager_->EscalationJson(tx, inc.id); });
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["state"], "active");
  EXPECT_EQ((*j)["step"], 1);
  EXPECT_EQ((*j)["next_step"], 2);
  EXPECT_EQ((*j)["next_at"], FormatTime(kStart + 5 * kMinute));

  AdvanceAndSettle(4 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice"}));

  AdvanceAndSettle(kMinute);  // T+5: step 2
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
  EXPECT_EQ(Outbox().back().next_attempt_at, kStart + 5 * kMinute);
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 15 * kMinute);

  AdvanceAndSettle(10 * kMinute - 1);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
  AdvanceAndSettle(1);  // T+15: the policy starts over
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice"}));
  EXPECT_EQ(Fired(inc.id).back().data["repeat"], 1);
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 20 * kMinute);
  EXPECT_TRUE(Events(inc.id, "escalation.exhausted").empty());

  AdvanceAndSettle(5 * kMinute);  // T+20: the last step of the last repeat
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice", "dave"}));
  // Its wait still runs: nobody acknowledged yet.
  EXPECT_EQ(Escalation(inc.id)->state, "active");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 30 * kMinute);
  EXPECT_TRUE(Events(inc.id, "escalation.exhausted").empty());
  j = InRead([&](store::Tx& tx) { return pager_->EscalationJson(tx, inc.id); });
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["step"], 2);
  EXPECT_EQ((*j)["repeat"], 1);
  EXPECT_EQ((*j)["next_step"], 0);

  AdvanceAndSettle(10 * kMinute);  // T+30: the last wait ran out
  EXPECT_EQ(PagedUsers().size(), 4u);
  auto exhausted = Events(inc.id, "escalation.exhausted");
  ASSERT_EQ(exhausted.size(), 1u);
  EXPECT_EQ(exhausted[0].data["repeats"], 1);
  EXPECT_EQ(Escalation(inc.id)->state, "exhausted");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);

  AdvanceAndSettle(60 * kMinute);
  EXPECT_EQ(PagedUsers().size(), 4u);
  EXPECT_EQ(Fired(inc.id).size(), 4u);
  EXPECT_EQ(Events(inc.id, "escalation.exhausted").size(), 1u);
  ExpectDistinctKeys();

  // Acknowledging an exhausted escalation stops it (and cancels what is still queued).
  ASSERT_TRUE(Acknowledge(inc.id, "dave").ok());
  EXPECT_EQ(Escalation(inc.id)->state, "stopped");
  auto stopped = Events(inc.id, "escalation.stopped");
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].data["cancelled_notifications"], 4);
}

TEST_F(PagerTest, AnIncidentWithoutAPolicyIsNotPaged) {
  MustCreateService("search");
  incidents::Incident a = MustDeclare("search is slow", "search");
  incidents::Incident b = MustDeclare("no service");
  AdvanceAndSettle(30 * kMinute);
  for (int64_t id : {a.id, b.id}) {
    EXPECT_FALSE(Escalation(id).has_value());
    EXPECT_EQ(TimerDue(kEscalation, id), std::nullopt);
    EXPECT_TRUE(Events(id, "escalation.started").empty());
  }
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(PagerTest, TheDefaultPolicyAppliesToIncidentsWithoutAService) {
  MustCreatePolicy(
      {{"name", "fallback"},
       {"default", true},
       {"steps", {{{"delay_minutes", 5}, {"targets", {{{"type", "user"}, {"name", "erin"}}}}}}}});
  incidents::Incident inc = MustDeclare("something odd");
  Settle();
  auto started = Events(inc.id, "escalation.started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].data["policy_name"], "fallback");
  EXPECT_EQ(PagedUsers(inc.id), Us({"erin"}));
  // A single step without repeats: exhausted when its wait runs out.
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 5 * kMinute);
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(Escalation(inc.id)->state, "exhausted");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);
  EXPECT_EQ(PagedUsers(inc.id), Us({"erin"}));
  // An incident on a service with its own policy still follows that one.
  incidents::Incident other = MustDeclare("checkout again", "checkout");
  Settle();
  EXPECT_EQ(PagedUsers(other.id), Us({"alice"}));
}

TEST_F(PagerTest, AcknowledgeStopsAndCancelsWhatIsNotSentYet) {
  ContactMethod slack = MustAddMethod(U("alice"), "slack", "https://hooks.example.com/alice");
  MustAddRule(U("alice"), emails_["alice"].id, 0);
  MustAddRule(U("alice"), slack.id, 2);
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  auto out = Outbox();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].channel, "email");
  EXPECT_EQ(out[0].next_attempt_at, kStart);
  EXPECT_EQ(out[1].channel, "slack");
  EXPECT_EQ(out[1].next_attempt_at, kStart + 2 * kMinute);
  DeliverDue();  // the email went out; the chat message waits for its 2 minutes

  AdvanceAndSettle(kMinute);
  ASSERT_TRUE(Acknowledge(inc.id, "alice").ok());
  auto esc = Escalation(inc.id);
  ASSERT_TRUE(esc);
  EXPECT_EQ(esc->state, "stopped");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);
  out = Outbox();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].status, "sent");
  EXPECT_EQ(out[1].status, "cancelled");
  EXPECT_EQ(out[1].last_error, "cancelled: incident acknowledged");
  auto stopped = Events(inc.id, "escalation.stopped");
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].data["reason"], "acknowledged");
  EXPECT_EQ(stopped[0].data["cancelled_notifications"], 1);
  EXPECT_EQ(stopped[0].actor.name, "alice");

  AdvanceAndSettle(60 * kMinute);
  EXPECT_EQ(Outbox().size(), 2u);
  EXPECT_EQ(Fired(inc.id).size(), 1u);
  // Resolving later finds nothing left to stop.
  ASSERT_TRUE(Resolve(inc.id).ok());
  EXPECT_EQ(Events(inc.id, "escalation.stopped").size(), 1u);
}

TEST_F(PagerTest, MovingPastAcknowledgedAlsoStops) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  ASSERT_TRUE(InWrite([&](store::Tx& tx) {
                return incidents_.ChangeStatus(
                    tx, inc.id, incidents::IncidentStatus::kInvestigating, "", admin_);
              }).ok());
  EXPECT_EQ(Escalation(inc.id)->state, "stopped");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);
  AdvanceAndSettle(30 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice"}));
}

TEST_F(PagerTest, ResolveStops) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  AdvanceAndSettle(5 * kMinute);
  ASSERT_EQ(PagedUsers(), Us({"alice", "dave"}));
  ASSERT_TRUE(Resolve(inc.id).ok());
  EXPECT_EQ(Escalation(inc.id)->state, "stopped");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);
  for (const auto& o : Outbox()) EXPECT_EQ(o.status, "cancelled");  // nothing was sent yet
  auto stopped = Events(inc.id, "escalation.stopped");
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].data["reason"], "resolved");
  EXPECT_EQ(stopped[0].data["cancelled_notifications"], 2);
  AdvanceAndSettle(60 * kMinute);
  EXPECT_EQ(Outbox().size(), 2u);
}

TEST_F(PagerTest, ReopenStartsOverFromStepOne) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  AdvanceAndSettle(5 * kMinute);
  ASSERT_EQ(PagedUsers(), Us({"alice", "dave"}));
  ASSERT_TRUE(Resolve(inc.id).ok());
  AdvanceAndSettle(kMinute);

  ASSERT_TRUE(Reopen(inc.id).ok());
  auto started = Events(inc.id, "escalation.started");
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[1].data["restart"], true);
  Settle();
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice"}));
  auto out = Outbox();
  EXPECT_EQ(out.back().status, "pending");
  EXPECT_EQ(out.back().next_attempt_at, kStart + 6 * kMinute);
  auto esc = Escalation(inc.id);
  EXPECT_EQ(esc->state, "active");
  EXPECT_EQ(esc->step, 1);
  EXPECT_EQ(esc->repeat, 0);
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 11 * kMinute);
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice", "dave"}));
  ExpectDistinctKeys();
}

TEST_F(PagerTest, NotificationRulesChooseMethodsAndDelays) {
  // alice: email at once, chat after 2 minutes, the webhook never (no rule for it).
  ContactMethod slack = MustAddMethod(U("alice"), "slack", "https://hooks.example.com/alice");
  MustAddMethod(U("alice"), "webhook", "https://example.com/alice");
  MustAddRule(U("alice"), emails_["alice"].id, 0);
  MustAddRule(U("alice"), slack.id, 2);
  // bob: no rules, so every method at once.
  ContactMethod bob_hook = MustAddMethod(U("bob"), "webhook", "https://example.com/bob");
  Policy direct = MustCreatePolicy({{"name", "direct"},
                                    {"steps",
                                     {{{"delay_minutes", 5},
                                       {"targets",
                                        {{{"type", "user"}, {"name", "bob"}},
                                         {{"type", "user"}, {"name", "alice"}},
                                         {{"type", "user"}, {"name", "bob"}}}}}}}});
  MustCreateService("direct", direct.id);
  clock_.Advance(kMinute);
  const TimeMs t = clock_.Now();
  MustDeclare("paging everyone", "direct");
  Settle();

  auto out = Outbox();
  ASSERT_EQ(out.size(), 4u);  // bob is paged once though named twice
  EXPECT_EQ(out[0].user_id, U("bob"));
  EXPECT_EQ(out[0].contact_method_id, emails_["bob"].id);
  EXPECT_EQ(out[0].next_attempt_at, t);
  EXPECT_EQ(out[1].user_id, U("bob"));
  EXPECT_EQ(out[1].contact_method_id, bob_hook.id);
  EXPECT_EQ(out[1].channel, "webhook");
  EXPECT_EQ(out[1].next_attempt_at, t);
  EXPECT_EQ(out[2].user_id, U("alice"));
  EXPECT_EQ(out[2].contact_method_id, emails_["alice"].id);
  EXPECT_EQ(out[2].next_attempt_at, t);
  EXPECT_EQ(out[3].user_id, U("alice"));
  EXPECT_EQ(out[3].contact_method_id, slack.id);
  EXPECT_EQ(out[3].next_attempt_at, t + 2 * kMinute);
  EXPECT_EQ(out[3].due_at, t + 2 * kMinute);
  for (const auto& o : out) EXPECT_EQ(o.status, "pending");
}

TEST_F(PagerTest, ASameStepFiringTwiceQueuesItsPagesOnce) {
  // The declaring transaction fires step 1 and sets the timer for step 2; setting it again
  // at the same due time (here in the same transaction) leaves two heap entries for one timer.
  auto inc = InWrite([&](store::Tx& tx) -> Result<incidents::Incident> {
    KLAXON_ASSIGN_OR_RETURN(incidents::Incident i,
                            incidents_.Declare(tx, {"dup", "", "checkout", "", "", ""}, admin_));
    KLAXON_RETURN_IF_ERROR(timers_->Set(tx, kEscalation, i.id, kStart + 5 * kMinute));
    return i;
  });
  ASSERT_TRUE(inc.ok()) << inc.status().ToString();
  Settle();
  EXPECT_EQ(PagedUsers(), Us({"alice"}));
  EXPECT_EQ(Fired(inc->id).size(), 1u);

  // And again for the second step, from two separate transactions.
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(InWrite([&](store::Tx& tx) {
                  return timers_->Set(tx, kEscalation, inc->id, kStart + 5 * kMinute);
                }).ok());
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
  EXPECT_EQ(Fired(inc->id).size(), 2u);
  EXPECT_EQ(Escalation(inc->id)->fired, 2);
  ExpectDistinctKeys();
}

TEST_F(PagerTest, EnqueueWithARepeatedKeyKeepsTheFirstRow) {
  std::vector<std::pair<int64_t, TimeMs>> heard;
  std::mutex heard_mu;
  pager_->SetOutboxListener([&](const Pager::Queued& q) {
    std::lock_guard lock(heard_mu);
    heard.emplace_back(q.id, q.due);
    EXPECT_EQ(q.channel, "email");
    EXPECT_EQ(q.address, "bob@example.com");
  });
  OutboxItem item;
  item.idem_key = "test:once";
  item.kind = "test";
  item.user_id = U("bob");
  item.method = emails_["bob"];
  item.message.kind = "test";
  item.not_before = kStart + kMinute;
  auto first = InWrite([&](store::Tx& tx) { return pager_->Enqueue(tx, item); });
  auto second = InWrite([&](store::Tx& tx) { return pager_->Enqueue(tx, item); });
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(Outbox().size(), 1u);
  std::lock_guard lock(heard_mu);
  ASSERT_EQ(heard.size(), 1u);  // only a new row wakes the dispatcher
  EXPECT_EQ(heard[0], std::make_pair(*first, kStart + kMinute));
}

TEST_F(PagerTest, ARestartInTheMiddleResumesAtTheRightStep) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  ASSERT_EQ(PagedUsers(), Us({"alice"}));
  AdvanceAndSettle(2 * kMinute);

  RestartEngine();
  EXPECT_GE(timers_->stats().pending, 2u);  // the escalation and the schedule's handoff
  AdvanceAndSettle(3 * kMinute - 1);
  EXPECT_EQ(PagedUsers(), Us({"alice"}));
  AdvanceAndSettle(1);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));

  RestartEngine();
  AdvanceAndSettle(10 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice"}));
  EXPECT_EQ(Escalation(inc.id)->fired, 3);
  EXPECT_EQ(Fired(inc.id).size(), 3u);
  ExpectDistinctKeys();
}

TEST_F(PagerTest, AStepDueWhileTheServerWasDownFiresOnceAtStart) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  StopEngine();
  clock_.Advance(7 * kMinute);  // step 2 was due at +5
  StartEngine();
  Settle();
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
  // The next wait counts from when the step actually fired.
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 17 * kMinute);
  AdvanceAndSettle(10 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice"}));
  EXPECT_EQ(Fired(inc.id).size(), 3u);
}

TEST_F(PagerTest, RoleTargetsPageTheHolderOrNobody) {
  Policy roles = MustCreatePolicy(
      {{"name", "incident-command"},
       {"repeat", 1},
       {"steps",
        {{{"delay_minutes", 5}, {"targets", {{{"type", "role"}, {"name", "commander"}}}}}}}});
  MustCreateService("payments", roles.id);

  // Declared with its commander assigned in the same transaction, after step 1 fired at
  // declaration: the commander hears of the role, and is paged from the next firing on.
  auto a = InWrite([&](store::Tx& tx) -> Result<incidents::Incident> {
    KLAXON_ASSIGN_OR_RETURN(incidents::Incident i,
                            incidents_.Declare(tx, {"a", "", "payments", "", "", ""}, admin_));
    KLAXON_RETURN_IF_ERROR(pager_->AssignRole(tx, i.id, "commander", "erin", admin_).status());
    return i;
  });
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  incidents::Incident b = MustDeclare("b", "payments");
  Settle();

  auto role_rows = Outbox("role");
  ASSERT_EQ(role_rows.size(), 1u);
  EXPECT_EQ(role_rows[0].user_id, U("erin"));
  EXPECT_EQ(role_rows[0].incident_id, a->id);
  EXPECT_TRUE(PagedUsers(a->id).empty());
  EXPECT_TRUE(PagedUsers(b.id).empty());
  auto fired_b = Fired(b.id);
  ASSERT_EQ(fired_b.size(), 1u);
  EXPECT_EQ(fired_b[0].data["paged"], json::array());
  EXPECT_TRUE(fired_b[0].data["targets"][0]["user"].is_null());
  EXPECT_EQ(fired_b[0].data["targets"][0]["name"], "commander");

  // Assigned later: the next firing pages the holder.
  ASSERT_TRUE(AssignRole(b.id, "commander", "carol").ok());
  EXPECT_EQ(AssignRole(b.id, "commander", "carol").status().code(), Code::kConflict);
  EXPECT_EQ(AssignRole(b.id, "commander", "mallory").status().code(), Code::kInvalidArgument);
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(PagedUsers(b.id), Us({"carol"}));
  EXPECT_EQ(PagedUsers(a->id), Us({"erin"}));
  auto assigned = Events(b.id, "incident.role_assigned");
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].data["user"], "carol");
}

TEST_F(PagerTest, EscalateNowFiresTheNextStepAndRepageTheLastOne) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  AdvanceAndSettle(kMinute);

  auto j = EscalateNow(inc.id);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
  auto fired = Fired(inc.id);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[1].data["step"], 2);
  EXPECT_EQ(fired[1].data["via"], "escalate");
  EXPECT_EQ(fired[1].actor.name, "admin");
  EXPECT_EQ((*j)["step"], 2);
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 11 * kMinute);

  AdvanceAndSettle(4 * kMinute);  // T+5, when step 2 would have fired: nothing
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
  AdvanceAndSettle(6 * kMinute);  // T+11: the repeat
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice"}));

  AdvanceAndSettle(kMinute);
  j = Repage(inc.id);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice", "alice"}));
  EXPECT_EQ(Fired(inc.id).back().data["via"], "repage");
  EXPECT_EQ(Fired(inc.id).back().data["step"], 1);
  auto esc = Escalation(inc.id);
  EXPECT_EQ(esc->step, 1);  // still waiting to fire step 2 of the repeat
  EXPECT_EQ(esc->repeat, 1);
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 17 * kMinute);  // the wait starts again

  AdvanceAndSettle(5 * kMinute);  // T+17: the last step of the last round
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice", "alice", "dave"}));
  EXPECT_EQ(TimerDue(kEscalation, inc.id), kStart + 27 * kMinute);
  AdvanceAndSettle(10 * kMinute);
  EXPECT_EQ(Escalation(inc.id)->state, "exhausted");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);

  // Exhausted: a re-page pages the last step again, and nothing restarts.
  j = Repage(inc.id);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["step"], 2);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave", "alice", "alice", "dave", "dave"}));
  EXPECT_EQ(Escalation(inc.id)->state, "exhausted");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);
  AdvanceAndSettle(60 * kMinute);
  EXPECT_EQ(PagedUsers().size(), 6u);
  EXPECT_EQ(Events(inc.id, "escalation.exhausted").size(), 1u);
  ExpectDistinctKeys();

  ASSERT_TRUE(Resolve(inc.id).ok());
  EXPECT_EQ(EscalateNow(inc.id).status().code(), Code::kConflict);
  EXPECT_EQ(Repage(inc.id).status().code(), Code::kConflict);
}

TEST_F(PagerTest, RepageOfAnAcknowledgedIncidentPagesTheSameStepEachTime) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  ASSERT_TRUE(Acknowledge(inc.id, "bob").ok());
  for (int i = 0; i < 3; ++i) {
    auto j = Repage(inc.id);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    EXPECT_EQ((*j)["step"], 1) << "repage " << i;
  }
  EXPECT_EQ(PagedUsers(), Us({"alice", "alice", "alice", "alice"}));
  EXPECT_EQ(Escalation(inc.id)->state, "stopped");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);
  for (const auto& e : Fired(inc.id)) EXPECT_EQ(e.data["step"], 1);
}

TEST_F(PagerTest, EscalateNowOnAnAcknowledgedIncidentIsOneExtraPage) {
  incidents::Incident inc = MustDeclare("checkout is down", "checkout");
  Settle();
  ASSERT_TRUE(Acknowledge(inc.id, "bob").ok());
  auto j = EscalateNow(inc.id);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
  EXPECT_EQ((*j)["state"], "stopped");
  EXPECT_EQ(TimerDue(kEscalation, inc.id), std::nullopt);
  AdvanceAndSettle(60 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
}

TEST_F(PagerTest, RepageRightAfterDeclarePagesStepOneAgainAndRestartsItsWait) {
  // Step 1 fired in the declaring transaction, so a re-page (even in that transaction)
  // pages its targets again and restarts step 1's wait.
  auto inc = InWrite([&](store::Tx& tx) -> Result<incidents::Incident> {
    KLAXON_ASSIGN_OR_RETURN(incidents::Incident i,
                            incidents_.Declare(tx, {"early", "", "checkout", "", "", ""}, admin_));
    KLAXON_RETURN_IF_ERROR(pager_->Repage(tx, i.id, admin_).status());
    return i;
  });
  ASSERT_TRUE(inc.ok()) << inc.status().ToString();
  Settle();
  EXPECT_EQ(PagedUsers(), Us({"alice", "alice"}));
  EXPECT_EQ(TimerDue(kEscalation, inc->id), kStart + 5 * kMinute);
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice", "alice", "dave"}));
  ExpectDistinctKeys();
}

TEST_F(PagerTest, AnEscalationFromBeforeStepOneFiredAtDeclareStillPagesStepOneOnce) {
  // Escalations started by earlier versions waited for a timer due at declaration (step
  // 0, nothing fired yet). Re-paging one fires step 1 once and the policy goes on.
  incidents::Incident inc = MustDeclare("old", "checkout");
  ASSERT_TRUE(
      InWrite([&](store::Tx& tx) -> Status {
        KLAXON_RETURN_IF_ERROR(
            tx.Exec("UPDATE escalations SET step = 0, repeat = 0, fired = 0, last_step = NULL, "
                    "last_repeat = NULL WHERE incident_id = ?",
                    {inc.id}));
        KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM outbox WHERE incident_id = ?", {inc.id}));
        KLAXON_RETURN_IF_ERROR(pager_->Repage(tx, inc.id, admin_).status());
        return timers_->Set(tx, kEscalation, inc.id, kStart + 5 * kMinute);
      }).ok());
  Settle();
  EXPECT_EQ(PagedUsers(), Us({"alice"}));
  AdvanceAndSettle(5 * kMinute);
  EXPECT_EQ(PagedUsers(), Us({"alice", "dave"}));
}

TEST_F(PagerTest, AHandoffTellsTheIncomingPerson) {
  const TimeMs handoff = *ParseTime("2026-11-30T09:00:00Z");
  EXPECT_EQ(TimerDue(kHandoff, schedule_.schedule.id), handoff);
  incidents::Incident open = MustDeclare("still open");

  AdvanceAndSettle(handoff - clock_.Now() - 1);
  EXPECT_TRUE(Events(std::nullopt, "oncall.handoff").empty());
  AdvanceAndSettle(1);
  auto handoffs = Events(std::nullopt, "oncall.handoff");
  ASSERT_EQ(handoffs.size(), 1u);
  EXPECT_EQ(handoffs[0].data["schedule"], schedule_.schedule.id);
  EXPECT_EQ(handoffs[0].data["from"], "alice");
  EXPECT_EQ(handoffs[0].data["to"], "bob");
  auto rows = Outbox("handoff");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].user_id, U("bob"));
  EXPECT_EQ(rows[0].contact_method_id, emails_["bob"].id);
  EXPECT_EQ(rows[0].incident_id, std::nullopt);
  EXPECT_EQ(rows[0].next_attempt_at, handoff);
  EXPECT_EQ(rows[0].message["kind"], "handoff");
  EXPECT_NE(rows[0].message["summary"].get<std::string>().find(open.ref()), std::string::npos)
      << rows[0].message.dump();
  EXPECT_EQ(TimerDue(kHandoff, schedule_.schedule.id), handoff + 7 * 86'400'000LL);

  AdvanceAndSettle(7 * 86'400'000LL);
  handoffs = Events(std::nullopt, "oncall.handoff");
  ASSERT_EQ(handoffs.size(), 2u);
  EXPECT_EQ(handoffs[1].data["to"], "carol");
  EXPECT_EQ(Outbox("handoff").back().user_id, U("carol"));
}

TEST_F(PagerTest, AnOverrideMovesTheHandoffTimer) {
  const TimeMs start = kStart + 60 * kMinute;
  const TimeMs end = start + 60 * kMinute;
  ASSERT_TRUE(InWrite([&](store::Tx& tx) {
                return catalog_.AddOverride(tx, schedule_.schedule.id, U("erin"), start, end,
                                            admin_);
              }).ok());
  EXPECT_EQ(TimerDue(kHandoff, schedule_.schedule.id), start);
  AdvanceAndSettle(60 * kMinute);
  auto handoffs = Events(std::nullopt, "oncall.handoff");
  ASSERT_EQ(handoffs.size(), 1u);
  EXPECT_EQ(handoffs[0].data["from"], "alice");
  EXPECT_EQ(handoffs[0].data["to"], "erin");
  EXPECT_EQ(Outbox("handoff").back().user_id, U("erin"));
  EXPECT_EQ(TimerDue(kHandoff, schedule_.schedule.id), end);

  // An incident declared during the override pages erin.
  MustDeclare("during the override", "checkout");
  Settle();
  EXPECT_EQ(PagedUsers(), Us({"erin"}));

  AdvanceAndSettle(60 * kMinute);
  handoffs = Events(std::nullopt, "oncall.handoff");
  ASSERT_EQ(handoffs.size(), 2u);
  EXPECT_EQ(handoffs[1].data["from"], "erin");
  EXPECT_EQ(handoffs[1].data["to"], "alice");
}

}  // namespace
}  // namespace klaxon::paging
