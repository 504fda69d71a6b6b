#include "analytics/analytics.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "analytics/analytics_test_fixture.h"
#include "core/time_format.h"

namespace klaxon::analytics {
namespace {

using fixture::At;
using fixture::kDay;
using fixture::kHour;
using fixture::kMinute;
using fixture::kSecond;
using fixture::Row;

Summary Expect(int n, DurationMs mean, DurationMs median, DurationMs p90, DurationMs min,
               DurationMs max) {
  Summary s;
  s.n = n;
  s.mean = mean;
  s.median = median;
  s.p90 = p90;
  s.min = min;
  s.max = max;
  return s;
}

TargetTally Tally(int met, int missed, int pending) {
  TargetTally t;
  t.met = met;
  t.missed = missed;
  t.pending = pending;
  return t;
}

NamedCount Count(std::string name, int n) {
  NamedCount c;
  c.name = std::move(name);
  c.incidents = n;
  return c;
}

std::vector<int64_t> Ids(const std::vector<IncidentRow>& rows) {
  std::vector<int64_t> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

TEST(AnalyticsSummary, NearestRankOnOddAndEvenCounts) {
  EXPECT_EQ(Summarize({}), Summary());
  EXPECT_EQ(Summarize({5}), Expect(1, 5, 5, 5, 5, 5));
  // 1 2 3 4: median rank ceil(0.5*4) = 2 → 2; p90 rank ceil(3.6) = 4 → 4; mean 2.5 → 3.
  EXPECT_EQ(Summarize({4, 1, 3, 2}), Expect(4, 3, 2, 4, 1, 4));
  // 10..50: median rank ceil(2.5) = 3 → 30; p90 rank ceil(4.5) = 5 → 50.
  EXPECT_EQ(Summarize({50, 10, 40, 30, 20}), Expect(5, 30, 30, 50, 10, 50));
  // 1..10: median rank 5 → 5; p90 rank 9 → 9; mean 5.5 → 6.
  EXPECT_EQ(Summarize({7, 3, 10, 1, 9, 2, 8, 4, 6, 5}), Expect(10, 6, 5, 9, 1, 10));
  // 1..20: median rank 10, p90 rank 18; mean 10.5 → 11.
  std::vector<DurationMs> twenty;
  for (int i = 20; i >= 1; --i) twenty.push_back(i);
  EXPECT_EQ(Summarize(twenty), Expect(20, 11, 10, 18, 1, 20));
  // 1 2: median rank 1 (the lower middle value, never an average).
  EXPECT_EQ(Summarize({2, 1}), Expect(2, 2, 1, 2, 1, 2));
}

TEST(AnalyticsSummary, HumanDuration) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(850), "850ms");
  EXPECT_EQ(HumanDuration(45 * kSecond), "45s");
  EXPECT_EQ(HumanDuration(4 * kMinute + 30 * kSecond), "4m 30s");
  EXPECT_EQ(HumanDuration(5 * kMinute + 999), "5m");
  EXPECT_EQ(HumanDuration(kHour), "1h");
  EXPECT_EQ(HumanDuration(kHour + kMinute), "1h 1m");
  EXPECT_EQ(HumanDuration(kHour + kSecond), "1h");  // two units at most
  EXPECT_EQ(HumanDuration(kDay + 3 * kHour + 59 * kMinute), "1d 3h");
  EXPECT_EQ(HumanDuration(-(kMinute + 34 * kSecond)), "-1m 34s");
}

TEST(Analytics, CountsTheIncidentsCreatedInThePeriod) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  // 1 was created before `from`, 11 exactly at `to`; 8 is a drill, 9 and 10 are noise.
  EXPECT_EQ(Ids(r.rows), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 12}));
  EXPECT_EQ(r.time_zone, "America/New_York");
  EXPECT_EQ(r.incidents, 7);
  EXPECT_EQ(r.open, 2);  // 6 (its resolution is after now) and 12
  EXPECT_EQ(r.reopened, 1);
  EXPECT_EQ(r.drills, 0);
  EXPECT_EQ(r.noise, 0);
  EXPECT_EQ(r.excluded_drills, 1);
  EXPECT_EQ(r.excluded_noise, 2);
}

TEST(Analytics, DurationsUseMomentsAfterThePeriodUpToNow) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  EXPECT_EQ(r.mtta, Expect(5, 306000, 270000, 600000, 60000, 600000));
  EXPECT_EQ(r.time_to_mitigate, Expect(1, 1200000, 1200000, 1200000, 1200000, 1200000));
  EXPECT_EQ(r.mttr, Expect(5, 11880000, 7200000, 36000000, 1800000, 36000000));

  // 7 was resolved after the period's end but before now: 10 hours.
  const IncidentRow* seven = Row(r.rows, 7);
  ASSERT_NE(seven, nullptr);
  EXPECT_EQ(seven->time_to_resolve, 10 * kHour);
  EXPECT_EQ(seven->resolved_at, At("2026-11-23T06:00:00Z"));
  // 6's resolution is after now: still open.
  const IncidentRow* six = Row(r.rows, 6);
  ASSERT_NE(six, nullptr);
  EXPECT_EQ(six->resolved_at, std::nullopt);
  EXPECT_EQ(six->time_to_resolve, std::nullopt);
  EXPECT_EQ(six->time_to_ack, std::nullopt);
  // 2: restored 50m after detection; 4 has no restore moment, so its resolution (2h).
  EXPECT_EQ(Row(r.rows, 2)->time_to_restore, 50 * kMinute);
  EXPECT_EQ(Row(r.rows, 4)->time_to_restore, 2 * kHour);
  // 5 was reopened: its final resolution counts (3h).
  EXPECT_EQ(Row(r.rows, 5)->time_to_resolve, 3 * kHour);
}

TEST(Analytics, TargetsMetMissedAndPending) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  EXPECT_EQ(r.ack, Tally(5, 1, 1));
  EXPECT_EQ(r.resolve, Tally(3, 3, 1));
  EXPECT_EQ(r.rto, Tally(1, 1, 0));
  EXPECT_EQ(Row(r.rows, 6)->ack, TargetState::kMissed);        // never acknowledged, 5m passed
  EXPECT_EQ(Row(r.rows, 12)->ack, TargetState::kPending);      // 8h of 24h
  EXPECT_EQ(Row(r.rows, 12)->resolve, TargetState::kPending);  // 8h of 72h
  EXPECT_EQ(Row(r.rows, 2)->rto, TargetState::kMissed);
  EXPECT_EQ(Row(r.rows, 4)->rto, TargetState::kMet);
  EXPECT_EQ(Row(r.rows, 3)->rto, TargetState::kNone);
  EXPECT_EQ(r.missed_targets_total, 4);
  EXPECT_EQ(Ids(r.missed_targets), (std::vector<int64_t>{2, 5, 6, 7}));
  EXPECT_EQ(Row(r.missed_targets, 6)->MissedTargets(),
            (std::vector<std::string>{"ack", "resolve"}));
  EXPECT_EQ(Row(r.missed_targets, 2)->MissedTargets(), (std::vector<std::string>{"rto"}));
}

TEST(Analytics, TargetBoundaries) {
  IncidentFacts f;
  f.id = 1;
  f.created_at = At("2026-11-10T12:00:00Z");
  f.ack_target = 5 * kMinute;
  Query q;
  q.from = At("2026-11-01T00:00:00Z");
  q.to = At("2026-12-01T00:00:00Z");

  // Unacknowledged: pending up to and including the deadline, missed after it.
  q.now = f.created_at + 5 * kMinute;
  EXPECT_EQ(Compute({f}, {}, q).rows[0].ack, TargetState::kPending);
  q.now += 1;
  EXPECT_EQ(Compute({f}, {}, q).rows[0].ack, TargetState::kMissed);

  // Acknowledged exactly on the target: met.
  q.now = f.created_at + kHour;
  f.acknowledged_at = f.created_at + 5 * kMinute;
  EXPECT_EQ(Compute({f}, {}, q).rows[0].ack, TargetState::kMet);

  // Resolved without an acknowledgement: the resolution is the response, MTTA excludes it.
  f.acknowledged_at.reset();
  f.resolved_at = f.created_at + 3 * kMinute;
  auto r = Compute({f}, {}, q);
  EXPECT_EQ(r.rows[0].ack, TargetState::kMet);
  EXPECT_EQ(r.mtta.n, 0);
  f.resolved_at = f.created_at + 10 * kMinute;
  EXPECT_EQ(Compute({f}, {}, q).rows[0].ack, TargetState::kMissed);

  // An acknowledgement before detection (clock skew) is a duration of 0.
  f.acknowledged_at = f.created_at - kSecond;
  EXPECT_EQ(Compute({f}, {}, q).rows[0].time_to_ack, 0);
}

TEST(Analytics, DrillsAndNoiseAreIncludedWhenAsked) {
  auto q = fixture::Period();
  q.include_drills = true;
  auto r = Compute(fixture::Incidents(), {}, q);
  EXPECT_EQ(r.incidents, 8);
  EXPECT_EQ(r.drills, 1);
  EXPECT_EQ(r.excluded_drills, 0);
  // MTTA with the drill's 3m: 60000 120000 180000 270000 480000 600000 → mean 1710000/6 =
  // 285000, median rank 3 → 180000, p90 rank ceil(5.4) = 6 → 600000.
  EXPECT_EQ(r.mtta, Expect(6, 285000, 180000, 600000, 60000, 600000));
  // MTTR with its 15m: 900000 1800000 3600000 7200000 10800000 36000000 → mean
  // 60300000/6 = 10050000, median rank 3 → 3600000.
  EXPECT_EQ(r.mttr, Expect(6, 10050000, 3600000, 36000000, 900000, 36000000));

  q.include_drills = false;
  q.include_noise = true;
  r = Compute(fixture::Incidents(), {}, q);
  EXPECT_EQ(r.incidents, 9);
  EXPECT_EQ(r.noise, 2);
  EXPECT_EQ(r.excluded_noise, 0);
  EXPECT_EQ(r.noise_report.incidents, 2);
}

TEST(Analytics, NoiseReportCountsNoiseEvenWhenItIsLeftOut) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  EXPECT_EQ(r.noise_report.incidents, 2);
  EXPECT_EQ(r.noise_report.alertnames,
            (std::vector<NamedCount>{Count("SearchFlap", 2), Count("SearchLatency", 1)}));
  EXPECT_EQ(r.noise_report.services, (std::vector<NamedCount>{Count("search", 2)}));
}

TEST(Analytics, AnAlertMarkedNoiseOnItsOwnCountsInTheNoiseReport) {
  auto incidents = fixture::Incidents();
  // Incident 2 (checkout, not noise) had one alert marked noise: its name and service count
  // once, and the incident itself stays in the numbers.
  for (auto& inc : incidents)
    if (inc.id == 2) inc.noise_alertnames = {"CheckoutFlap", "CheckoutFlap"};
  auto r = Compute(incidents, {}, fixture::Period());
  auto base = Compute(fixture::Incidents(), {}, fixture::Period());
  EXPECT_EQ(r.noise_report.incidents, 2);
  EXPECT_EQ(r.noise_report.alert_marks, 1);
  EXPECT_EQ(r.noise_report.alertnames,
            (std::vector<NamedCount>{Count("SearchFlap", 2), Count("CheckoutFlap", 1),
                                     Count("SearchLatency", 1)}));
  EXPECT_EQ(r.noise_report.services,
            (std::vector<NamedCount>{Count("search", 2), Count("checkout", 1)}));
  EXPECT_EQ(Ids(r.rows), Ids(base.rows));
  EXPECT_EQ(r.excluded_noise, base.excluded_noise);
}

TEST(Analytics, Filters) {
  auto q = fixture::Period();
  q.service = "checkout";
  auto r = Compute(fixture::Incidents(), {}, q);
  EXPECT_EQ(Ids(r.rows), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(r.excluded_drills, 1);  // 8 is a checkout drill
  EXPECT_EQ(r.noise_report.incidents, 0);

  q = fixture::Period();
  q.severity = "SEV-1";
  EXPECT_EQ(Ids(Compute(fixture::Incidents(), {}, q).rows), (std::vector<int64_t>{2, 6}));
  q = fixture::Period();
  q.team = "platform";
  EXPECT_EQ(Ids(Compute(fixture::Incidents(), {}, q).rows), (std::vector<int64_t>{7, 12}));
}

TEST(Analytics, CadenceActionItemsAndReviews) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  EXPECT_EQ(r.updates.kept, 5);
  EXPECT_EQ(r.updates.missed, 6);
  EXPECT_EQ(Row(r.rows, 7)->updates_kept, 0);  // 2 posted, 3 late: never below 0
  EXPECT_EQ(r.action_items.open, 4);
  EXPECT_EQ(r.action_items.overdue, 2);
  EXPECT_EQ(r.action_items.done, 2);
  EXPECT_EQ(r.reviews.due, 4);
  EXPECT_EQ(r.reviews.published, 2);
  EXPECT_EQ(r.reviews.late, 2);
  EXPECT_TRUE(Row(r.rows, 3)->review_late);   // published a day after it was due
  EXPECT_TRUE(Row(r.rows, 6)->review_late);   // unpublished, due before now
  EXPECT_FALSE(Row(r.rows, 5)->review_late);  // unpublished, not due yet
  EXPECT_FALSE(Row(r.rows, 2)->review_late);
}

TEST(Analytics, WeeksAreLocalIsoWeeksAcrossTheDstChange) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  ASSERT_EQ(r.by_week.size(), 4u);
  EXPECT_FALSE(r.weeks_truncated);
  const char* keys[] = {"2026-W44", "2026-W45", "2026-W46", "2026-W47"};
  const char* starts[] = {"2026-10-26T04:00:00.000Z", "2026-11-02T05:00:00.000Z",
                          "2026-11-09T05:00:00.000Z", "2026-11-16T05:00:00.000Z"};
  const int counts[] = {3, 1, 0, 3};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.by_week[i].key, keys[i]);
    EXPECT_EQ(FormatTime(r.by_week[i].start), starts[i]);
    EXPECT_EQ(r.by_week[i].incidents, counts[i]) << keys[i];
  }
  EXPECT_EQ(FormatTime(r.by_week[3].end), "2026-11-23T05:00:00.000Z");
  // W44 lasts 169 hours: the clocks went back on Sunday.
  EXPECT_EQ(r.by_week[0].end - r.by_week[0].start, 7 * kDay + kHour);
  // W44 holds 4 (Sunday 23:30 EST, already Monday in UTC): acks 2m 4m30s 10m → mean
  // 990000/3 = 330000, median (rank 2) 270000; resolutions 30m 1h 2h → mean 4200000.
  EXPECT_EQ(r.by_week[0].mtta, Expect(3, 330000, 270000, 600000, 120000, 600000));
  EXPECT_EQ(r.by_week[0].mttr.mean, 4200000);
  EXPECT_EQ(r.by_week[0].targets_missed, 1);  // 2's RTO
  EXPECT_EQ(r.by_week[2].mtta.n, 0);          // the empty week is listed
  EXPECT_EQ(r.by_week[3].open, 2);
  EXPECT_EQ(r.by_week[3].targets_missed, 2);

  // Spring forward: Sunday 2026-03-08 02:00 EST → 03:00 EDT; that week lasts 167 hours.
  Query q;
  q.time_zone = "America/New_York";
  q.from = At("2026-03-04T12:00:00Z");  // a Wednesday: its whole week is listed
  q.to = At("2026-03-10T00:00:00Z");
  q.now = q.to;
  auto spring = Compute({}, {}, q);
  ASSERT_EQ(spring.by_week.size(), 2u);
  EXPECT_EQ(spring.by_week[0].key, "2026-W10");
  EXPECT_EQ(FormatTime(spring.by_week[0].start), "2026-03-02T05:00:00.000Z");
  EXPECT_EQ(FormatTime(spring.by_week[0].end), "2026-03-09T04:00:00.000Z");
  EXPECT_EQ(spring.by_week[1].key, "2026-W11");
  EXPECT_EQ(spring.by_week[1].incidents, 0);
}

TEST(Analytics, WeeksAreBounded) {
  Query q;
  q.from = At("2000-01-01T00:00:00Z");
  q.to = At("2026-01-01T00:00:00Z");
  auto r = Compute({}, {}, q);
  EXPECT_EQ(r.by_week.size(), kMaxWeeks);
  EXPECT_TRUE(r.weeks_truncated);
  q.time_zone = "Not/A_Zone";
  q.to = At("2000-01-20T00:00:00Z");
  r = Compute({}, {}, q);
  EXPECT_EQ(r.time_zone, "UTC");
  ASSERT_EQ(r.by_week.size(), 4u);  // 1999-W52 (from Monday 1999-12-27) to 2000-W03
  EXPECT_EQ(r.by_week[0].key, "1999-W52");
  EXPECT_EQ(FormatTime(r.by_week[0].start), "1999-12-27T00:00:00.000Z");
}

TEST(Analytics, BreakdownsBySeverityServiceAndTeam) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  ASSERT_EQ(r.by_severity.size(), 4u);
  EXPECT_EQ(r.by_severity[0].key, "SEV-1");
  EXPECT_EQ(r.by_severity[0].incidents, 2);
  EXPECT_EQ(r.by_severity[0].open, 1);
  EXPECT_EQ(r.by_severity[1].key, "SEV-2");
  EXPECT_EQ(r.by_severity[1].incidents, 3);
  EXPECT_EQ(r.by_severity[1].mtta.mean, 220000);  // (2m + 1m + 8m) / 3
  EXPECT_EQ(r.by_severity[2].key, "SEV-3");
  EXPECT_EQ(r.by_severity[3].key, "SEV-4");
  EXPECT_EQ(r.by_severity[3].severity_rank, 4);

  ASSERT_EQ(r.by_service.size(), 3u);
  EXPECT_EQ(r.by_service[0].key, "checkout");
  EXPECT_EQ(r.by_service[0].incidents, 3);
  EXPECT_EQ(r.by_service[1].key, "api");  // 2 each: by name
  EXPECT_EQ(r.by_service[2].key, "search");
  ASSERT_EQ(r.by_team.size(), 3u);
  EXPECT_EQ(r.by_team[0].key, "payments");
  EXPECT_EQ(r.by_team[1].key, "discovery");
  EXPECT_EQ(r.by_team[2].key, "platform");
}

TEST(Analytics, RepeatOffendersAndSlowestAcks) {
  auto r = Compute(fixture::Incidents(), {}, fixture::Period());
  EXPECT_EQ(r.repeat_services,
            (std::vector<NamedCount>{Count("checkout", 3), Count("api", 2), Count("search", 2)}));
  // ApiErrors twice in 7 counts once; ApiLatency (once) is no repeat.
  EXPECT_EQ(r.repeat_alertnames,
            (std::vector<NamedCount>{Count("CheckoutErrorRate", 3), Count("ApiErrors", 2),
                                     Count("CheckoutLatency", 2), Count("SearchDown", 2)}));
  EXPECT_EQ(Ids(r.slowest_acks), (std::vector<int64_t>{4, 7, 2, 3, 5}));
}

TEST(Analytics, TopListsKeepTen) {
  std::vector<IncidentFacts> many;
  Query q;
  q.from = 0;
  q.to = 100 * kDay;
  q.now = q.to;
  for (int i = 0; i < 30; ++i) {
    IncidentFacts f;
    f.id = i + 1;
    f.created_at = i * kDay;
    f.acknowledged_at = f.created_at + i * kSecond;
    f.service = "svc" + std::to_string(i % 12);
    f.alertnames = {"Alert" + std::to_string(i % 15)};
    many.push_back(f);
  }
  auto r = Compute(many, {}, q);
  EXPECT_EQ(r.repeat_services.size(), kTopN);
  EXPECT_EQ(r.repeat_services[0], Count("svc0", 3));  // svc0..svc5 have 3, by name
  EXPECT_EQ(r.repeat_alertnames.size(), kTopN);
  ASSERT_EQ(r.slowest_acks.size(), kTopN);
  EXPECT_EQ(r.slowest_acks[0].id, 30);
}

TEST(Analytics, OncallLoadInEachPersonsTimeZone) {
  auto page = [](std::string user, std::string zone, std::string_view at, int64_t incident) {
    PageFacts p;
    p.username = std::move(user);
    p.time_zone = std::move(zone);
    p.at = At(at);
    p.incident_id = incident;
    return p;
  };
  std::vector<PageFacts> pages = {
      page("alice", "Asia/Tokyo", "2026-11-18T14:00:00Z", 6),  // Wed 23:00 JST: night
      page("alice", "Asia/Tokyo", "2026-11-20T16:00:00Z", 6),  // Sat 01:00 JST: both
      page("alice", "Asia/Tokyo", "2026-11-19T03:00:00Z", 6),  // Thu 12:00 JST
      page("bob", "", "2026-11-21T03:30:00Z", 7),  // Fri 22:30 EST (Saturday in UTC): night
      page("bob", "", "2026-11-16T12:00:00Z", 7),  // Mon 07:00 EST: the night has ended
      page("bob", "", "2026-11-16T11:59:00Z", 7),  // Mon 06:59 EST: night
      page("bob", "", "2026-11-23T05:00:00Z", 7),  // == to: outside
      page("carol", "Europe/Berlin", "2026-11-01T00:30:00Z", 2),  // Sun 01:30 CET: both
      page("carol", "Not/A_Zone", "2026-11-14T15:00:00Z", 2),     // Sat 10:00 EST: weekend
  };
  PageFacts drill = page("bob", "", "2026-11-17T12:00:00Z", 8);
  drill.drill = true;
  pages.push_back(drill);

  auto load = [](const std::string& user, int pages, int nights, int weekends) {
    PersonLoad p;
    p.username = user;
    p.pages = pages;
    p.night_pages = nights;
    p.weekend_pages = weekends;
    return p;
  };
  auto q = fixture::Period();
  EXPECT_EQ(Compute(fixture::Incidents(), pages, q).oncall,
            (std::vector<PersonLoad>{load("alice", 3, 2, 1), load("bob", 3, 2, 0),
                                     load("carol", 2, 1, 2)}));

  q.include_drills = true;  // the drill page: Tue 07:00 EST
  EXPECT_EQ(Compute(fixture::Incidents(), pages, q).oncall[0], load("bob", 4, 2, 0));

  q = fixture::Period();
  q.night_start_hour = 0;  // nights [00:00, 06:00)
  q.night_end_hour = 6;
  EXPECT_EQ(Compute(fixture::Incidents(), pages, q).oncall,
            (std::vector<PersonLoad>{load("alice", 3, 1, 1), load("bob", 3, 0, 0),
                                     load("carol", 2, 1, 2)}));

  q = fixture::Period();
  q.service = "search";  // pages of incident 6 only
  EXPECT_EQ(Compute(fixture::Incidents(), pages, q).oncall,
            (std::vector<PersonLoad>{load("alice", 3, 2, 1)}));
}

TEST(Analytics, PreviousPeriod) {
  auto q = fixture::Period();
  q.service = "checkout";
  auto prev = PreviousPeriod(q);
  // 28 days and 1 hour (the clocks went back) before 2026-10-26T04:00Z.
  EXPECT_EQ(FormatTime(prev.from), "2026-09-28T03:00:00.000Z");
  EXPECT_EQ(prev.to, q.from);
  EXPECT_EQ(prev.now, q.now);
  EXPECT_EQ(prev.service, "checkout");
  EXPECT_EQ(prev.time_zone, "America/New_York");

  Query empty;
  empty.from = 10;
  empty.to = 5;
  EXPECT_EQ(PreviousPeriod(empty).from, 10);
  EXPECT_EQ(PreviousPeriod(empty).to, 10);
  Query huge;
  huge.from = std::numeric_limits<TimeMs>::min() + 5;
  huge.to = std::numeric_limits<TimeMs>::max();
  EXPECT_EQ(PreviousPeriod(huge).from, std::numeric_limits<TimeMs>::min());
}

TEST(Analytics, QuarterRange) {
  auto range = [](const std::string& quarter, const std::string& zone) {
    auto r = QuarterRange(quarter, zone);
    return r ? FormatTime(r->first) + " " + FormatTime(r->second) : std::string("none");
  };
  // 2026-10-01 00:00 CEST (+02) to 2027-01-01 00:00 CET (+01).
  EXPECT_EQ(range("2026-Q4", "Europe/Berlin"), "2026-09-30T22:00:00.000Z 2026-12-31T23:00:00.000Z");
  // 2026-01-01 00:00 CET to 2026-04-01 00:00 CEST.
  EXPECT_EQ(range("2026-Q1", "Europe/Berlin"), "2025-12-31T23:00:00.000Z 2026-03-31T22:00:00.000Z");
  EXPECT_EQ(range("2026-Q2", "America/New_York"),
            "2026-04-01T04:00:00.000Z 2026-07-01T04:00:00.000Z");
  EXPECT_EQ(range("2026-Q3", "UTC"), "2026-07-01T00:00:00.000Z 2026-10-01T00:00:00.000Z");
  for (const char* bad : {"2026-Q5", "2026-Q0", "2026Q4", "2026-q4", "26-Q4", "2026-Q4 ", "abcd-Q1",
                          "1899-Q4", "9999-Q1", ""}) {
    EXPECT_EQ(range(bad, "Europe/Berlin"), "none") << bad;
  }
  EXPECT_EQ(range("2026-Q4", "Not/A_Zone"), "none");
}

TEST(Analytics, CalendarPeriodOf) {
  auto period = [](const std::string& at, const std::string& unit, const std::string& zone,
                   int offset) {
    auto p = CalendarPeriodOf(*ParseTime(at), unit, zone, offset);
    return p.name + " " + FormatTime(p.from) + " " + FormatTime(p.to);
  };
  // 2027-01-01 09:00 in Berlin is in 2027-Q1; the one before is 2026-Q4 (CEST to CET).
  EXPECT_EQ(period("2027-01-01T08:00:00Z", "quarter", "Europe/Berlin", -1),
            "2026-Q4 2026-09-30T22:00:00.000Z 2026-12-31T23:00:00.000Z");
  EXPECT_EQ(period("2027-01-01T08:00:00Z", "quarter", "Europe/Berlin", -2),
            "2026-Q3 2026-06-30T22:00:00.000Z 2026-09-30T22:00:00.000Z");
  // 23:30 UTC on 31 December is already 2027 in Berlin, still 2026 in New York.
  EXPECT_EQ(period("2026-12-31T23:30:00Z", "quarter", "Europe/Berlin", 0).substr(0, 7), "2027-Q1");
  EXPECT_EQ(period("2026-12-31T23:30:00Z", "quarter", "America/New_York", 0).substr(0, 7),
            "2026-Q4");
  EXPECT_EQ(period("2026-11-25T09:00:00Z", "quarter", "UTC", 1),
            "2027-Q1 2027-01-01T00:00:00.000Z 2027-04-01T00:00:00.000Z");
  // Months, across a year's end and a DST change; an unknown zone is UTC.
  EXPECT_EQ(period("2026-11-25T09:00:00Z", "month", "UTC", 0),
            "2026-11 2026-11-01T00:00:00.000Z 2026-12-01T00:00:00.000Z");
  EXPECT_EQ(period("2027-01-15T09:00:00Z", "month", "UTC", -1),
            "2026-12 2026-12-01T00:00:00.000Z 2027-01-01T00:00:00.000Z");
  EXPECT_EQ(period("2026-11-02T12:00:00Z", "month", "Europe/Berlin", -1),
            "2026-10 2026-09-30T22:00:00.000Z 2026-10-31T23:00:00.000Z");
  EXPECT_EQ(period("2026-11-25T09:00:00Z", "month", "Not/A_Zone", 2).substr(0, 7), "2027-01");
}

TEST(Analytics, LocalHourOnAcrossDstChanges) {
  auto at = [](const std::string& t, int hour, const std::string& zone) {
    return FormatTime(LocalHourOn(*ParseTime(t), hour, zone));
  };
  // Sydney: DST starts 2028-10-01 at 02:00 (+10 → +11); 09:00 that day is 22:00 UTC before.
  EXPECT_EQ(at("2028-09-30T14:00:00Z", 9, "Australia/Sydney"), "2028-09-30T22:00:00.000Z");
  // and ends 2029-04-01 at 03:00 (+11 → +10): 09:00 is 23:00 UTC before.
  EXPECT_EQ(at("2029-03-31T14:00:00Z", 9, "Australia/Sydney"), "2029-03-31T23:00:00.000Z");
  // 02:30 on a spring-forward night does not exist: the jump (03:00 CEST = 01:00 UTC).
  EXPECT_EQ(at("2027-03-28T12:00:00Z", 2, "Europe/Berlin"), "2027-03-28T01:00:00.000Z");
  EXPECT_EQ(at("2027-01-01T12:00:00Z", 9, "UTC"), "2027-01-01T09:00:00.000Z");
}

}  // namespace
}  // namespace klaxon::analytics
