// The incidents and the period shared by the analytics tests, with every number the tests
// expect worked out by hand below.
//
// The period is four ISO weeks in America/New_York across the end of daylight saving time
// (Sunday 2026-11-01 02:00 EDT → 01:00 EST):
//   from = Mon 2026-10-26 00:00 EDT = 2026-10-26T04:00Z
//   to   = Mon 2026-11-23 00:00 EST = 2026-11-23T05:00Z
//   now  = 2026-11-23T12:00Z
//   W44 [10-26T04:00Z, 11-02T05:00Z) (169 h)   W45 [11-02T05:00Z, 11-09T05:00Z)
//   W46 [11-09T05:00Z, 11-16T05:00Z)           W47 [11-16T05:00Z, 11-23T05:00Z)
//
// id  created (UTC)     week  sev  service   ack     resolve         notes
//  1  10-25 12:00       -     1    checkout  5m      1h              before the period
//  2  10-26 10:00       W44   1    checkout  4m30s   1h              mitigated 20m, restored
//                                                                    50m > rto 30m: missed
//  3  10-28 15:00       W44   2    checkout  2m      30m             review published late
//  4  11-02 04:30       W44   3    search    10m     2h              Sun 23:30 EST; rto 4h
//                                                                    met via resolution
//  5  11-02 05:00       W45   2    checkout  1m      3h > 2h         reopened once
//  6  11-17 14:00       W47   1    search    none    after now       ack and resolve missed,
//                                                                    open, review late
//  7  11-22 20:00       W47   2    api       8m      10h > 8h        resolved after `to`
//  8  11-04 15:00       W45   1    checkout  3m      15m             drill
//  9  11-05 09:00       W45   3    search    1m      5m              noise
// 10  11-12 09:00       W46   3    search    1m      5m              noise
// 11  11-23 05:00       -     2    api       -       -               == to: outside
// 12  11-23 04:00       W47   4    api       none    open            ack 24h, resolve 72h:
//                                                                    both pending
//
// Counted by default: 2 3 4 5 6 7 12 (7 incidents; 8 is a drill, 9 and 10 are noise).
//   MTTA: 60000 120000 270000 480000 600000 → n 5, mean 1530000/5 = 306000, median (rank 3)
//         270000, p90 (rank ceil(4.5) = 5) 600000.
//   MTTR: 1800000 3600000 7200000 10800000 36000000 → n 5, mean 59400000/5 = 11880000,
//         median 7200000, p90 36000000.
//   ack:     2 3 4 5 7 met, 6 missed, 12 pending        → 5 / 1 / 1
//   resolve: 2 3 4 met, 5 7 missed, 6 missed (open past 4h), 12 pending → 3 / 3 / 1
//   rto:     2 missed (50m > 30m), 4 met (2h <= 4h)     → 1 / 1 / 0
//   updates: 2 kept 4-1=3 missed 1, 3 kept 2, 6 missed 2, 7 kept max(0, 2-3)=0 missed 3
//            → kept 5, missed 6
//   action items: open 1+2+1 = 4, overdue 1+1 = 2, done 2
//   reviews: due 2 3 5 6 = 4, published 2 3 = 2, late 3 (after due) and 6 (unpublished,
//            due 11-22 < now) = 2
#pragma once

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "analytics/analytics.h"
#include "core/time_format.h"

namespace klaxon::analytics::fixture {

constexpr DurationMs kSecond = 1000;
constexpr DurationMs kMinute = 60 * kSecond;
constexpr DurationMs kHour = 60 * kMinute;
constexpr DurationMs kDay = 24 * kHour;

inline TimeMs At(std::string_view rfc3339) {
  auto t = ParseTime(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(0);
}

inline Query Period() {
  Query q;
  q.from = At("2026-10-26T00:00:00-04:00");
  q.to = At("2026-11-23T00:00:00-05:00");
  q.time_zone = "America/New_York";
  q.now = At("2026-11-23T12:00:00Z");
  return q;
}

// An incident with the common fields; the caller sets the rest.
inline IncidentFacts Incident(int64_t id, std::string_view created, std::string severity, int rank,
                              std::string service, std::string team) {
  IncidentFacts f;
  f.id = id;
  f.ref = "INC-" + std::to_string(id);
  f.title = "Incident " + std::to_string(id);
  f.severity = std::move(severity);
  f.severity_rank = rank;
  f.service = std::move(service);
  f.team = std::move(team);
  f.created_at = At(created);
  return f;
}

inline std::vector<IncidentFacts> Incidents() {
  std::vector<IncidentFacts> all;

  auto i1 = Incident(1, "2026-10-25T12:00:00Z", "SEV-1", 1, "checkout", "payments");
  i1.acknowledged_at = i1.created_at + 5 * kMinute;
  i1.resolved_at = i1.created_at + kHour;
  i1.ack_target = 5 * kMinute;
  i1.resolve_target = 4 * kHour;
  i1.alertnames = {"CheckoutErrorRate"};
  all.push_back(i1);

  auto i2 = Incident(2, "2026-10-26T10:00:00Z", "SEV-1", 1, "checkout", "payments");
  i2.title = "Checkout \"slow\", again";
  i2.acknowledged_at = i2.created_at + 4 * kMinute + 30 * kSecond;
  i2.mitigated_at = i2.created_at + 20 * kMinute;
  i2.restored_at = i2.created_at + 50 * kMinute;
  i2.resolved_at = i2.created_at + kHour;
  i2.ack_target = 5 * kMinute;
  i2.resolve_target = 4 * kHour;
  i2.rto = 30 * kMinute;
  i2.updates_posted = 4;
  i2.updates_late = 1;
  i2.alertnames = {"CheckoutErrorRate", "CheckoutLatency"};
  i2.review_due_at = i2.created_at + 5 * kDay;
  i2.review_published_at = i2.created_at + 3 * kDay;
  i2.action_items_open = 1;
  i2.action_items_done = 2;
  all.push_back(i2);

  auto i3 = Incident(3, "2026-10-28T15:00:00Z", "SEV-2", 2, "checkout", "payments");
  i3.title = "=HYPERLINK(\"http://evil\")";
  i3.acknowledged_at = i3.created_at + 2 * kMinute;
  i3.resolved_at = i3.created_at + 30 * kMinute;
  i3.ack_target = 15 * kMinute;
  i3.resolve_target = 8 * kHour;
  i3.updates_posted = 2;
  i3.alertnames = {"CheckoutErrorRate"};
  i3.review_due_at = i3.created_at + 5 * kDay;
  i3.review_published_at = i3.created_at + 6 * kDay;
  i3.action_items_open = 2;
  i3.action_items_overdue = 1;
  all.push_back(i3);

  auto i4 = Incident(4, "2026-11-02T04:30:00Z", "SEV-3", 3, "search", "discovery");
  i4.title = "Search index stale\nin eu-west";
  i4.acknowledged_at = i4.created_at + 10 * kMinute;
  i4.resolved_at = i4.created_at + 2 * kHour;
  i4.ack_target = 30 * kMinute;
  i4.resolve_target = kDay;
  i4.rto = 4 * kHour;
  i4.alertnames = {"SearchDown"};
  all.push_back(i4);

  auto i5 = Incident(5, "2026-11-02T05:00:00Z", "SEV-2", 2, "checkout", "payments");
  i5.title = "Latency [click](http://x) | spike";
  i5.reopened = 1;
  i5.acknowledged_at = i5.created_at + kMinute;
  i5.resolved_at = i5.created_at + 3 * kHour;
  i5.ack_target = 15 * kMinute;
  i5.resolve_target = 2 * kHour;
  i5.alertnames = {"CheckoutLatency", "CheckoutErrorRate"};
  i5.review_due_at = At("2026-11-30T00:00:00Z");
  all.push_back(i5);

  auto i6 = Incident(6, "2026-11-17T14:00:00Z", "SEV-1", 1, "search", "discovery");
  i6.title = "<img src=x onerror=alert(1)>";
  i6.resolved_at = At("2026-11-23T13:00:00Z");  // after now: not known yet
  i6.ack_target = 5 * kMinute;
  i6.resolve_target = 4 * kHour;
  i6.updates_late = 2;
  i6.alertnames = {"SearchDown"};
  i6.review_due_at = i6.created_at + 5 * kDay;
  i6.action_items_open = 1;
  i6.action_items_overdue = 1;
  all.push_back(i6);

  auto i7 = Incident(7, "2026-11-22T20:00:00Z", "SEV-2", 2, "api", "platform");
  i7.title = "@here api errors";
  i7.acknowledged_at = i7.created_at + 8 * kMinute;
  i7.resolved_at = At("2026-11-23T06:00:00Z");
  i7.ack_target = 15 * kMinute;
  i7.resolve_target = 8 * kHour;
  i7.updates_posted = 2;
  i7.updates_late = 3;
  i7.alertnames = {"ApiErrors", "ApiErrors"};
  all.push_back(i7);

  auto i8 = Incident(8, "2026-11-04T15:00:00Z", "SEV-1", 1, "checkout", "payments");
  i8.drill = true;
  i8.acknowledged_at = i8.created_at + 3 * kMinute;
  i8.resolved_at = i8.created_at + 15 * kMinute;
  i8.ack_target = 5 * kMinute;
  i8.resolve_target = 4 * kHour;
  i8.alertnames = {"CheckoutErrorRate"};
  all.push_back(i8);

  auto i9 = Incident(9, "2026-11-05T09:00:00Z", "SEV-3", 3, "search", "discovery");
  i9.noise = true;
  i9.acknowledged_at = i9.created_at + kMinute;
  i9.resolved_at = i9.created_at + 5 * kMinute;
  i9.alertnames = {"SearchFlap"};
  all.push_back(i9);

  auto i10 = Incident(10, "2026-11-12T09:00:00Z", "SEV-3", 3, "search", "discovery");
  i10.noise = true;
  i10.acknowledged_at = i10.created_at + kMinute;
  i10.resolved_at = i10.created_at + 5 * kMinute;
  i10.alertnames = {"SearchFlap", "SearchLatency"};
  all.push_back(i10);

  auto i11 = Incident(11, "2026-11-23T05:00:00Z", "SEV-2", 2, "api", "platform");
  i11.alertnames = {"ApiErrors"};
  all.push_back(i11);

  auto i12 = Incident(12, "2026-11-23T04:00:00Z", "SEV-4", 4, "api", "platform");
  i12.ack_target = kDay;
  i12.resolve_target = 3 * kDay;
  i12.alertnames = {"ApiErrors", "ApiLatency"};
  all.push_back(i12);

  return all;
}

// The row of incident `id` in `rows`; fails the test when it is missing.
inline const IncidentRow* Row(const std::vector<IncidentRow>& rows, int64_t id) {
  for (const auto& r : rows) {
    if (r.id == id) return &r;
  }
  ADD_FAILURE() << "no row for incident " << id;
  return nullptr;
}

}  // namespace klaxon::analytics::fixture
