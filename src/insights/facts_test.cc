// LoadFacts over a real SQLite store whose rows the tests insert with SQL.
//
// The store below, times relative to kFrom = 2026-10-01T00:00Z (the period is 30 days):
//
// id  created   sev     service   status     notes
//  1  +1d       SEV-1   checkout  resolved   every fact set (see EveryFactOfAnIncident)
//  2  -1h       SEV-1   checkout  resolved   before the period; paged within it
//  3  +2d       SEV-X   none      triggered  reopened, stale resolved_at, no clocks row
//  4  +3d       SEV-2   search    resolved   drill, acked after 1m
//  5  +4d       SEV-2   search    resolved   noise, acked after 30s
//  6  +5d       SEV-2   checkout  resolved   acked after 2m
//  7  +30d      SEV-1   checkout  triggered  created at `to`: outside
#include "insights/facts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analytics/analytics.h"
#include "store/store.h"
#include "store/test_store.h"

namespace klaxon::insights {
namespace {

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;
constexpr TimeMs kFrom = 1790812800000;  // 2026-10-01T00:00:00Z
constexpr TimeMs kTo = kFrom + 30 * kDay;
constexpr TimeMs kNow = kFrom + 10 * kDay;

struct NewIncident {
  int64_t id = 0;
  TimeMs created_at = 0;
  std::string severity = "SEV-2";
  std::optional<int64_t> service_id;
  std::string status = "resolved";
  std::optional<TimeMs> acknowledged_at, resolved_at;
  bool drill = false;
  std::optional<std::string> noise_reason;
};

// A resolved incident; the caller sets the rest.
NewIncident Incident(int64_t id, TimeMs created_at, std::string severity,
                     std::optional<int64_t> service_id) {
  NewIncident n;
  n.id = id;
  n.created_at = created_at;
  n.severity = std::move(severity);
  n.service_id = service_id;
  return n;
}

class FactsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.status().ok()) << store_.status().ToString(); }
  void Exec(const std::string& sql, const store::Params& params = {}) {
    Status s = store_->Write([&](store::Tx& tx) { return tx.Exec(sql, params); });
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << sql;
  }

  void AddIncident(const NewIncident& n) {
    Exec(
        "INSERT INTO incidents(id, title, description, impact, severity, status, service_id, "
        "created_at, updated_at, acknowledged_at, resolved_at, created_by, resolution_summary, "
        "drill, noise_reason) VALUES (?,?,'','',?,?,?,?,?,?,?,'test','',?,?)",
        {n.id, "Incident " + std::to_string(n.id), n.severity, n.status, store::Opt(n.service_id),
         n.created_at, n.created_at, store::Opt(n.acknowledged_at), store::Opt(n.resolved_at),
         int64_t{n.drill}, n.noise_reason ? store::Value(*n.noise_reason) : store::Value(nullptr)});
  }
  void AddEvent(int64_t incident_id, const std::string& kind, TimeMs at) {
    Exec(
        "INSERT INTO events(at, kind, actor_type, actor_name, incident_id, data) "
        "VALUES (?,?,'system','engine',?,'{}')",
        {at, kind, incident_id});
  }
  void AddAlert(int64_t id, int64_t incident_id, const std::string& labels, TimeMs first_seen) {
    Exec(
        "INSERT INTO alerts(id, integration_id, fingerprint, status, labels, annotations, "
        "generator_url, starts_at, first_seen, last_seen, count, group_key, incident_id) "
        "VALUES (?,1,?,'firing',?,'{}','',?,?,?,1,'',?)",
        {id, "fp" + std::to_string(id), labels, first_seen, first_seen, first_seen, incident_id});
  }
  void AddActionItem(int64_t incident_id, const std::string& status, std::optional<TimeMs> due) {
    Exec(
        "INSERT INTO action_items(incident_id, source, title, priority, due_at, status, "
        "created_by, created_at, updated_at) VALUES (?,'incident','fix','medium',?,?,'test',?,?)",
        {incident_id, store::Opt(due), status, kFrom, kFrom});
  }
  void AddPage(const std::string& idem_key, int64_t incident_id, int64_t user_id, TimeMs at,
               const std::string& status, const std::string& kind = "page") {
    Exec(
        "INSERT INTO outbox(idem_key, kind, incident_id, user_id, contact_method_id, channel, "
        "address, message, status, due_at, next_attempt_at, created_at) "
        "VALUES (?,?,?,?,1,'email','a@example.com','{}',?,?,?,?)",
        {idem_key, kind, incident_id, user_id, status, at, at, at});
  }

  // The store described at the top of this file.
  void Populate() {
    Exec(
        "INSERT INTO users(id, username, name, role, password_hash, created_at, time_zone) VALUES "
        "(1, 'alice', 'Alice', 'responder', '', 0, 'Europe/Berlin'), "
        "(2, 'bob', 'Bob', 'responder', '', 0, 'UTC')");
    Exec(
        "INSERT INTO services(id, name, description, owner, created_at) VALUES "
        "(1, 'checkout', '', '', 0), (2, 'search', '', '', 0)");
    Exec(
        "INSERT INTO integrations(id, name, kind, key, group_by, auto_resolve, flap_window_s, "
        "created_at) VALUES (1, 'prom', 'alertmanager', 'k', '[]', 1, 0, 0)");

    const TimeMs c1 = kFrom + kDay;
    NewIncident i1 = Incident(1, c1, "SEV-1", 1);
    i1.acknowledged_at = c1 + 4 * kMinute;
    i1.resolved_at = c1 + kHour;
    AddIncident(i1);
    NewIncident i2 = Incident(2, kFrom - kHour, "SEV-1", 1);
    i2.acknowledged_at = kFrom - 50 * kMinute;
    i2.resolved_at = kFrom - 10 * kMinute;
    AddIncident(i2);
    NewIncident i3 = Incident(3, kFrom + 2 * kDay, "SEV-X", std::nullopt);
    i3.status = "triggered";
    i3.resolved_at = kFrom + 2 * kDay + kHour;  // stale: reopening clears it
    AddIncident(i3);
    const TimeMs c4 = kFrom + 3 * kDay;
    NewIncident i4 = Incident(4, c4, "SEV-2", 2);
    i4.acknowledged_at = c4 + kMinute;
    i4.resolved_at = c4 + kHour;
    i4.drill = true;
    AddIncident(i4);
    const TimeMs c5 = kFrom + 4 * kDay;
    NewIncident i5 = Incident(5, c5, "SEV-2", 2);
    i5.acknowledged_at = c5 + 30 * kSecond;
    i5.resolved_at = c5 + kMinute;
    i5.noise_reason = "flapping";
    AddIncident(i5);
    const TimeMs c6 = kFrom + 5 * kDay;
    NewIncident i6 = Incident(6, c6, "SEV-2", 1);
    i6.acknowledged_at = c6 + 2 * kMinute;
    i6.resolved_at = c6 + 3 * kHour;
    AddIncident(i6);
    NewIncident i7 = Incident(7, kTo, "SEV-1", 1);
    i7.status = "triggered";
    AddIncident(i7);

    // Incident 1: moments, clocks, review, events, alerts, action items.
    Exec(
        "INSERT INTO incident_moments(incident_id, moment, at, marked_by) VALUES "
        "(1, 'root_cause_identified', ?, 'a'), (1, 'mitigation_started', ?, 'a'), "
        "(1, 'service_restored', ?, 'a'), (2, 'mitigation_started', ?, 'a')",
        {c1 + 10 * kMinute, c1 + 20 * kMinute, c1 + 50 * kMinute, kFrom - 30 * kMinute});
    Exec(
        "INSERT INTO incident_clocks(incident_id, ack_due_at, resolve_due_at, updates, "
        "review_due_at) VALUES (1, ?, ?, 4, ?), (4, ?, NULL, 1, ?), (2, ?, ?, 9, NULL)",
        {c1 + 5 * kMinute, c1 + 2 * kHour, c1 + 3 * kDay, c4 + 15 * kMinute, c4 + 2 * kDay, kFrom,
         kFrom});
    Exec(
        "INSERT INTO reviews(incident_id, state, due_at, template, created_at, updated_at, "
        "published_at) VALUES (1, 'published', ?, '', ?, ?, ?)",
        {c1 + 5 * kDay, c1, c1, c1 + 4 * kDay});
    AddEvent(1, "incident.update_late", c1 + 30 * kMinute);
    for (int i = 0; i < 4; ++i) AddEvent(1, "incident.update_posted", c1 + i * 10 * kMinute);
    AddEvent(1, "incident.acknowledged", c1 + 4 * kMinute);
    AddEvent(2, "incident.reopened", kFrom - 20 * kMinute);
    AddEvent(3, "incident.reopened", kFrom + 2 * kDay + 2 * kHour);
    AddEvent(7, "incident.update_late", kTo + kMinute);
    // By first seen: HighLatency (11) first; 12 and 13 tie, so by id: ErrorRate, then
    // HighLatency again; 14 has no alertname, 15 an empty one, 16 labels that are not an
    // object; 18 belongs to incident 2.
    AddAlert(13, 1, R"({"alertname":"HighLatency","env":"prod"})", c1 + kMinute);
    AddAlert(12, 1, R"({"alertname":"ErrorRate"})", c1 + kMinute);
    Exec("UPDATE alerts SET noise_reason = 'flaky' WHERE id = 12", {});  // one alert is noise
    AddAlert(11, 1, R"({"alertname":"HighLatency","env":"staging"})", c1);
    AddAlert(14, 1, R"({"severity":"page"})", c1);
    AddAlert(15, 1, R"({"alertname":""})", c1);
    AddAlert(16, 1, R"(["alertname"])", c1);
    AddAlert(17, 1, R"({"alertname":"DiskFull"})", c1 + kHour);
    AddAlert(18, 2, R"({"alertname":"Old"})", kFrom - kHour);
    AddActionItem(1, "open", kNow - kDay);      // overdue
    AddActionItem(1, "in_progress", kNow - 1);  // overdue
    AddActionItem(1, "in_progress", kNow);      // due now: not yet
    AddActionItem(1, "open", std::nullopt);     // no due time
    AddActionItem(1, "done", kNow - kDay);      // done, past due: not overdue
    AddActionItem(1, "wont_do", kNow - kDay);   // counts nowhere
    AddActionItem(2, "open", kNow - kDay);      // another incident's
  }

  Facts Load(const LoadOptions& o) {
    Facts out;
    Status s = store_->Read([&](store::Tx& tx) {
      auto f = LoadFacts(tx, o);
      if (!f.ok()) return f.status();
      out = std::move(f).value();
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static LoadOptions Options() {
    LoadOptions o;
    o.from = kFrom;
    o.to = kTo;
    o.pages_from = kFrom;
    o.pages_to = kTo;
    o.now = kNow;
    o.severity_rank = {{"SEV-1", 1}, {"SEV-2", 2}};
    o.team_by_service = {{"checkout", "payments"}, {"search", "discovery"}};
    o.rto_ms_by_service = {{"checkout", 30 * kMinute}};
    return o;
  }

  static const analytics::IncidentFacts* Find(const Facts& f, int64_t id) {
    for (const auto& i : f.incidents)
      if (i.id == id) return &i;
    return nullptr;
  }

  store::TempStore store_{"klaxon_facts_test"};
};

std::vector<int64_t> Ids(const Facts& f) {
  std::vector<int64_t> ids;
  for (const auto& i : f.incidents) ids.push_back(i.id);
  return ids;
}

TEST_F(FactsTest, LoadsOnlyIncidentsCreatedInThePeriodByCreationTime) {
  Populate();
  Facts f = Load(Options());
  EXPECT_EQ(Ids(f), (std::vector<int64_t>{1, 3, 4, 5, 6}));  // 2 before, 7 at `to`
}

TEST_F(FactsTest, EveryFactOfAnIncident) {
  Populate();
  Facts f = Load(Options());
  const analytics::IncidentFacts* i = Find(f, 1);
  ASSERT_NE(i, nullptr);
  const TimeMs c1 = kFrom + kDay;
  EXPECT_EQ(i->ref, "INC-1");
  EXPECT_EQ(i->title, "Incident 1");
  EXPECT_EQ(i->severity, "SEV-1");
  EXPECT_EQ(i->severity_rank, 1);
  EXPECT_EQ(i->service, "checkout");
  EXPECT_EQ(i->team, "payments");
  EXPECT_EQ(i->created_at, c1);
  EXPECT_EQ(i->acknowledged_at, c1 + 4 * kMinute);
  EXPECT_EQ(i->mitigated_at, c1 + 20 * kMinute);
  EXPECT_EQ(i->restored_at, c1 + 50 * kMinute);
  EXPECT_EQ(i->resolved_at, c1 + kHour);
  EXPECT_EQ(i->ack_target, 5 * kMinute);
  EXPECT_EQ(i->resolve_target, 2 * kHour);
  EXPECT_EQ(i->rto, 30 * kMinute);
  EXPECT_EQ(i->updates_posted, 4);  // the clock's count, not the events
  EXPECT_EQ(i->updates_late, 1);
  EXPECT_FALSE(i->drill);
  EXPECT_FALSE(i->noise);
  EXPECT_EQ(i->reopened, 0);
  EXPECT_EQ(i->alertnames, (std::vector<std::string>{"HighLatency", "ErrorRate", "DiskFull"}));
  EXPECT_EQ(i->noise_alertnames, std::vector<std::string>{"ErrorRate"});
  EXPECT_EQ(i->review_due_at, c1 + 5 * kDay);  // the review's, not the clock's 3d
  EXPECT_EQ(i->review_published_at, c1 + 4 * kDay);
  EXPECT_EQ(i->action_items_open, 4);     // 2 open + 2 in progress
  EXPECT_EQ(i->action_items_overdue, 2);  // due before now
  EXPECT_EQ(i->action_items_done, 1);
}

TEST_F(FactsTest, AReopenedIncidentIsOpenAgain) {
  Populate();
  Facts f = Load(Options());
  const analytics::IncidentFacts* i = Find(f, 3);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->resolved_at, std::nullopt);  // status triggered: the stale column is ignored
  EXPECT_EQ(i->acknowledged_at, std::nullopt);
  EXPECT_EQ(i->reopened, 1);
  // No service, no clocks row, no review, an unknown severity.
  EXPECT_EQ(i->service, "");
  EXPECT_EQ(i->team, "");
  EXPECT_EQ(i->rto, std::nullopt);
  EXPECT_EQ(i->severity_rank, kUnknownSeverityRank);
  EXPECT_EQ(i->ack_target, std::nullopt);
  EXPECT_EQ(i->resolve_target, std::nullopt);
  EXPECT_EQ(i->updates_posted, 0);
  EXPECT_EQ(i->review_due_at, std::nullopt);
  EXPECT_TRUE(i->alertnames.empty());
  EXPECT_EQ(i->action_items_open, 0);
}

TEST_F(FactsTest, DrillAndNoiseMarks) {
  Populate();
  Facts f = Load(Options());
  const analytics::IncidentFacts* drill = Find(f, 4);
  const analytics::IncidentFacts* noise = Find(f, 5);
  ASSERT_NE(drill, nullptr);
  ASSERT_NE(noise, nullptr);
  EXPECT_TRUE(drill->drill);
  EXPECT_FALSE(drill->noise);
  EXPECT_FALSE(noise->drill);
  EXPECT_TRUE(noise->noise);
  // Incident 4's clocks: an ack target, no resolve target, the clock's review deadline.
  EXPECT_EQ(drill->ack_target, 15 * kMinute);
  EXPECT_EQ(drill->resolve_target, std::nullopt);
  EXPECT_EQ(drill->review_due_at, kFrom + 5 * kDay);
  EXPECT_EQ(drill->review_published_at, std::nullopt);
  EXPECT_EQ(drill->team, "discovery");
  EXPECT_EQ(drill->rto, std::nullopt);  // search has no objective
  EXPECT_EQ(drill->severity_rank, 2);
}

TEST_F(FactsTest, AReviewWithoutADeadlineReplacesTheClocks) {
  Populate();
  Exec(
      "INSERT INTO reviews(incident_id, state, due_at, template, created_at, updated_at) "
      "VALUES (4, 'draft', NULL, '', 0, 0)");
  Facts f = Load(Options());
  const analytics::IncidentFacts* i = Find(f, 4);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->review_due_at, std::nullopt);
}

std::vector<std::string> PageList(const Facts& f) {
  std::vector<std::string> out;
  for (const auto& p : f.pages)
    out.push_back(p.username + "@" + std::to_string((p.at - kFrom) / kMinute) + " INC-" +
                  std::to_string(p.incident_id) + (p.drill ? " drill" : "") + " " + p.time_zone);
  return out;
}

TEST_F(FactsTest, PagesAreOnePerPersonPerFiring) {
  Populate();
  const TimeMs t = kFrom + kDay;  // minute 1440
  // Step 1 of incident 1: alice by two contact methods (the later one cancelled), bob by one.
  AddPage("page:1:1:1:1:0", 1, 1, t, "sent");
  AddPage("page:1:1:1:2:5", 1, 1, t + 1, "cancelled");
  AddPage("page:1:1:2:3:0", 1, 2, t, "failed");
  // Step 2 pages alice again; the playbook's matrix step too.
  AddPage("page:1:2:1:1:0", 1, 1, t + 5 * kMinute, "sent");
  AddPage("matrix:1:SEV-1:0:1:1:0", 1, 1, t + 10 * kMinute, "pending");
  // Step 3 was cancelled before anything went out: reached nobody.
  AddPage("page:1:3:1:1:0", 1, 1, t + 15 * kMinute, "cancelled");
  AddPage("page:1:3:1:2:5", 1, 1, t + 15 * kMinute, "cancelled");
  // A drill's page; a page for an incident created before the period; a key of its own.
  AddPage("page:4:1:2:3:0", 4, 2, kFrom + 3 * kDay, "sent");
  AddPage("page:2:5:2:3:0", 2, 2, kFrom, "sent");
  AddPage("odd:key", 6, 1, kFrom + 5 * kDay, "sent");
  AddPage("odd:key2", 6, 1, kFrom + 5 * kDay, "sent");
  // Not counted: before / at the end of the pages' range, other kinds of rows.
  AddPage("page:2:4:2:3:0", 2, 2, kFrom - 1, "sent");
  AddPage("page:7:1:2:3:0", 7, 2, kTo, "sent");
  AddPage("role:1:commander:1:1:0", 1, 1, t, "sent", "role");
  AddPage("late:1:1:1:0", 1, 1, t, "sent", "reminder");

  Facts f = Load(Options());
  EXPECT_EQ(PageList(f), (std::vector<std::string>{
                             "bob@0 INC-2 UTC",
                             "alice@1440 INC-1 Europe/Berlin",
                             "bob@1440 INC-1 UTC",
                             "alice@1445 INC-1 Europe/Berlin",
                             "alice@1450 INC-1 Europe/Berlin",
                             "bob@4320 INC-4 drill UTC",
                             "alice@7200 INC-6 Europe/Berlin",
                             "alice@7200 INC-6 Europe/Berlin",
                         }));
}

// Pages of incidents outside the incidents' period count, with their incident's drill flag.
TEST_F(FactsTest, PagesHaveTheirOwnRange) {
  Populate();
  Exec("UPDATE incidents SET drill = 1 WHERE id = 7");
  AddPage("page:2:0:2:3:0", 2, 2, kFrom - 2 * kDay, "sent");  // before the pages' range
  AddPage("page:2:1:2:3:0", 2, 2, kFrom - kHour, "sent");
  AddPage("page:1:1:1:1:0", 1, 1, kFrom + kDay, "sent");
  AddPage("page:7:1:2:3:0", 7, 2, kTo + kMinute, "sent");
  AddPage("page:7:2:2:3:0", 7, 2, kTo + kDay, "sent");  // at the end of the pages' range
  LoadOptions o = Options();
  o.pages_from = kFrom - kDay;
  o.pages_to = kTo + kDay;
  Facts f = Load(o);
  EXPECT_EQ(PageList(f),
            (std::vector<std::string>{"bob@-60 INC-2 UTC", "alice@1440 INC-1 Europe/Berlin",
                                      "bob@43201 INC-7 drill UTC"}));
  EXPECT_EQ(Ids(f), (std::vector<int64_t>{1, 3, 4, 5, 6}));
}

TEST_F(FactsTest, AnEmptyPeriodLoadsNothing) {
  Populate();
  LoadOptions o = Options();
  o.from = o.to = o.pages_from = o.pages_to = kFrom + 100 * kDay;
  Facts f = Load(o);
  EXPECT_TRUE(f.incidents.empty());
  EXPECT_TRUE(f.pages.empty());
}

TEST_F(FactsTest, FeedsComputeMtta) {
  Populate();
  Facts f = Load(Options());
  analytics::Query q;
  q.from = kFrom;
  q.to = kTo;
  q.now = kNow;
  analytics::Report r = analytics::Compute(f.incidents, f.pages, q);
  // Counted: 1, 3 and 6 (4 is a drill, 5 noise). Acknowledged: 1 after 4m, 6 after 2m.
  EXPECT_EQ(r.incidents, 3);
  EXPECT_EQ(r.excluded_drills, 1);
  EXPECT_EQ(r.excluded_noise, 1);
  EXPECT_EQ(r.open, 1);
  EXPECT_EQ(r.reopened, 1);
  EXPECT_EQ(r.mtta, (analytics::Summary{.n = 2,
                                        .mean = 3 * kMinute,
                                        .median = 2 * kMinute,
                                        .p90 = 4 * kMinute,
                                        .min = 2 * kMinute,
                                        .max = 4 * kMinute}));
  EXPECT_EQ(r.ack.met, 1);     // 1 within 5m; 6 and 3 have no target
  EXPECT_EQ(r.rto.missed, 2);  // 1 restored after 50m, 6 resolved after 3h (> 30m)
  EXPECT_EQ(r.action_items.overdue, 2);
}

// The incident-keyed queries read an index range, and the events query goes through the
// partial index events_for_analytics (never a scan of the event log).
TEST_F(FactsTest, QueriesUseTheirIndexes) {
  for (const FactsQuery& q : FactsQueries()) {
    std::string plan;
    Status s = store_->Read([&](store::Tx& tx) {
      std::string sql = q.sql;
      auto params = static_cast<size_t>(std::count(sql.begin(), sql.end(), '?'));
      auto rows = tx.Query(std::string("EXPLAIN QUERY PLAN ") + q.sql,
                           store::Params(params, store::Value(int64_t{0})));
      if (!rows.ok()) return rows.status();
      for (const auto& r : *rows) plan += r.Str(3) + "\n";
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << q.name << ": " << s.ToString();
    std::string name = q.name;
    // By created_at (no index on it yet: a scan) or small tables read whole.
    if (name == "incidents" || name == "pages" || name == "services" || name == "users") {
      continue;
    }
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << name << ":\n" << plan;
    EXPECT_NE(plan.find("SEARCH"), std::string::npos) << name << ":\n" << plan;
    if (name == "events") {
      EXPECT_NE(plan.find("INDEX events_for_analytics"), std::string::npos) << plan;
    }
  }
}

}  // namespace
}  // namespace klaxon::insights
