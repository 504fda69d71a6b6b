// Response analytics: from the facts of incidents and pages, the numbers a team reviews
// per period — incident count, MTTA, time to mitigate, MTTR, targets met and missed,
// update cadence, on-call load, action items and reviews — with breakdowns by ISO week,
// severity, service and team, repeat offenders, the slowest acknowledgements and a noise
// report. The caller loads the facts from the event log; nothing here does I/O or reads
// a clock (`Query::now` is the clock).
//
// Which incidents count. An incident belongs to the period of its created_at: it counts
// when from <= created_at < to, once, even when it lasts beyond the period's end. It must
// match every filter that is set (service, team, severity name: exact, case-sensitive).
// Drills are left out unless include_drills, incidents marked noise unless include_noise;
// both are counted as excluded (excluded_drills, excluded_noise). A drill that is also
// noise counts as a drill.
//
// Moments. A moment (acknowledged, mitigated, restored, resolved, review published) later
// than `now` has not happened yet: it is ignored, so the report is what was known at
// `now` (set it; with the default 0 nothing has happened). Moments after the period's end
// but not after `now` count. A moment before created_at gives a duration of 0.
//
// Durations, in milliseconds:
//   time to acknowledge  = acknowledged_at - created_at           (acknowledged ones)
//   time to mitigate     = mitigated_at - created_at              (with that key moment)
//   time to restore      = (restored_at or else resolved_at) - created_at
//   time to resolve      = resolved_at - created_at (a reopened incident's final
//                          resolution; open incidents are left out and counted as open)
// MTTA, time to mitigate and MTTR are Summaries of these (see Summarize).
//
// Targets (each kNone when the incident has no such target):
//   ack      met when the first response came within ack_target of created_at. The first
//            response is the acknowledgement or, for an incident resolved without one,
//            its resolution (resolving is a response; MTTA still counts only
//            acknowledgements). Without a response: missed once now > created_at +
//            ack_target, pending until then. Exactly on the target is met.
//   resolve  likewise with resolved_at and resolve_target.
//   rto      likewise with the time to restore and rto.
// Update cadence: kept = max(0, updates_posted - updates_late), missed = updates_late.
// A review is due when review_due_at is set, published when review_published_at <= now,
// late when published after it was due, or unpublished and due < now.
//
// On-call load: pages with from <= at < to, drill pages left out unless include_drills
// (a page's own drill flag). Pages for noise incidents count: they woke someone. When a
// service, team or severity filter is set, only pages of incidents (among the facts,
// created in any period) that match it count. A page's local time is in the person's
// time zone, or the Query's when empty or unknown. Night: the local hour h is in
// [night_start_hour, 24) ∪ [0, night_end_hour) when start > end, in [start, end) when
// start < end, and never when they are equal. Weekend: local Saturday or Sunday.
//
// Calendar. Weeks are ISO weeks (Monday 00:00 to Monday 00:00 local, labelled
// "2026-W45") in Query::time_zone, so a week across a daylight-saving change lasts 167
// or 169 hours. Every week that overlaps [from, to) is listed, empty ones included, up
// to kMaxWeeks. An unknown time zone falls back to UTC (Report::time_zone says which was
// used). A local midnight that does not exist maps to the instant of the jump. Instants
// before 1900 or from the year 10000 on are clamped into that range for calendar lookups.
//
// Values and pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace klaxon::analytics {

using DurationMs = int64_t;

inline constexpr size_t kTopN = 10;        // repeat offenders, slowest acks, noise lists
inline constexpr size_t kMaxListed = 100;  // incidents that missed a target
inline constexpr size_t kMaxWeeks = 260;   // weekly breakdown (five years)

// What the event log knows about one incident.
struct IncidentFacts {
  int64_t id = 0;
  std::string ref;  // "INC-12"
  std::string title, severity;
  int severity_rank = 0;                                 // 1 = most severe
  std::string service, team;                             // may be empty
  TimeMs created_at = 0;                                 // detected
  std::optional<TimeMs> acknowledged_at;                 // first acknowledgement
  std::optional<TimeMs> mitigated_at;                    // "mitigation started" key moment
  std::optional<TimeMs> restored_at;                     // "service restored" key moment
  std::optional<TimeMs> resolved_at;                     // final resolution (nullopt: still open)
  std::optional<DurationMs> ack_target, resolve_target;  // the level's targets at the time
  std::optional<DurationMs> rto;                         // the runbook's recovery objective
  int updates_posted = 0, updates_late = 0;              // late: reminders that fired
  bool drill = false, noise = false;
  int reopened = 0;
  std::vector<std::string> alertnames;        // alerts that opened or joined it
  std::vector<std::string> noise_alertnames;  // of those, the ones marked noise one by one
  std::optional<TimeMs> review_due_at, review_published_at;
  int action_items_open = 0, action_items_overdue = 0, action_items_done = 0;
};

// One page sent to one person.
struct PageFacts {
  std::string username;
  TimeMs at = 0;
  std::string time_zone;  // the person's; empty: the Query's
  int64_t incident_id = 0;
  bool drill = false;
};

struct Query {
  TimeMs from = 0, to = 0;  // incidents created in [from, to)
  std::optional<std::string> service, team, severity;
  bool include_drills = false, include_noise = false;
  bool only_drills = false;       // drills apart: real incidents (and their pages) left out
  std::string time_zone = "UTC";  // weeks, and pages of people without a zone
  TimeMs now = 0;                 // what is known: moments after it are ignored
  int night_start_hour = 22, night_end_hour = 7;
};

// Statistics of durations in milliseconds; all 0 when n == 0.
struct Summary {
  int n = 0;
  DurationMs mean = 0, median = 0, p90 = 0, min = 0, max = 0;
  friend bool operator==(const Summary&, const Summary&) = default;
};

// The Summary of `values` (any order). mean = sum / n rounded to the nearest millisecond
// (halves up; values are >= 0 here). Percentiles by the nearest-rank method: the p-th
// percentile is the value at rank ceil(p/100 * n) (1-based) of the sorted values, so
// the median of 4 values is the 2nd, of 5 the 3rd; p90 of 10 values is the 9th, of 5
// the 5th. Always one of the values, never interpolated.
Summary Summarize(std::vector<DurationMs> values);

enum class TargetState { kNone, kMet, kMissed, kPending };

// "", "met", "missed", "pending".
const char* TargetStateName(TargetState s);

struct TargetTally {
  int met = 0, missed = 0, pending = 0;
  friend bool operator==(const TargetTally&, const TargetTally&) = default;
};

// One counted incident with what was computed for it.
struct IncidentRow {
  int64_t id = 0;
  std::string ref, title, severity;
  int severity_rank = 0;
  std::string service, team;
  TimeMs created_at = 0;
  std::optional<TimeMs> resolved_at;  // nullopt: open at `now`
  bool drill = false, noise = false;
  int reopened = 0;
  std::optional<DurationMs> time_to_ack, time_to_mitigate, time_to_restore, time_to_resolve;
  TargetState ack = TargetState::kNone, resolve = TargetState::kNone, rto = TargetState::kNone;
  int updates_kept = 0, updates_missed = 0;
  std::optional<TimeMs> review_due_at, review_published_at;  // published: as known at now
  bool review_late = false;
  int action_items_open = 0, action_items_overdue = 0, action_items_done = 0;
  std::vector<std::string> alertnames;  // distinct, in first-seen order

  bool MissedATarget() const;
  // "ack", "resolve", "rto": the targets missed, in that order.
  std::vector<std::string> MissedTargets() const;
};

// The numbers of one week, severity, service or team. Services and teams that are
// empty are grouped under "".
struct Group {
  std::string key;            // "2026-W45", "SEV-1", "checkout", "payments"
  int severity_rank = 0;      // by_severity: the smallest rank seen under that name
  TimeMs start = 0, end = 0;  // by_week: [local Monday 00:00, next Monday 00:00) in UTC
  int incidents = 0, open = 0, targets_missed = 0;  // incidents that missed any target
  Summary mtta, mttr;
};

struct NamedCount {
  std::string name;
  int incidents = 0;
  friend bool operator==(const NamedCount&, const NamedCount&) = default;
};

struct PersonLoad {
  std::string username;
  int pages = 0, night_pages = 0, weekend_pages = 0;
  friend bool operator==(const PersonLoad&, const PersonLoad&) = default;
};

struct UpdateCadence {
  int kept = 0, missed = 0;
};
struct ActionItems {
  int open = 0, overdue = 0, done = 0;
};
struct Reviews {
  int due = 0;        // with a review deadline
  int published = 0;  // published by now
  int late = 0;
};

// Incidents marked noise in the period that match the filters (drills left out unless
// included), whether or not include_noise: what to tune. An alert marked noise on its own
// (its incident not) counts too: its alertname, and its incident's service once.
struct NoiseReport {
  int incidents = 0;
  int alert_marks = 0;                           // incidents not marked noise with alerts that are
  std::vector<NamedCount> alertnames, services;  // top kTopN, count desc then name
};

struct Report {
  Query query;
  std::string time_zone;  // the zone used: query.time_zone, or "UTC" when unknown

  int incidents = 0, open = 0;
  int reopened = 0;                             // incidents reopened at least once
  int drills = 0, noise = 0;                    // counted (included) drills and noise
  int excluded_drills = 0, excluded_noise = 0;  // in the period and filters, left out
  Summary mtta, time_to_mitigate, mttr;
  TargetTally ack, resolve, rto;
  UpdateCadence updates;
  ActionItems action_items;
  Reviews reviews;

  std::vector<PersonLoad> oncall;          // pages desc, then username
  std::vector<Group> by_week;              // chronological
  bool weeks_truncated = false;            // the period has more than kMaxWeeks weeks
  std::vector<Group> by_severity;          // severity_rank, then name
  std::vector<Group> by_service, by_team;  // incidents desc, then name

  // Services and alertnames with at least two incidents (one is no repeat), top kTopN,
  // count desc then name. An alertname counts once per incident; an empty service never.
  std::vector<NamedCount> repeat_services, repeat_alertnames;
  std::vector<IncidentRow> slowest_acks;    // top kTopN by time to ack desc, then created
  std::vector<IncidentRow> missed_targets;  // the first kMaxListed by created_at
  int missed_targets_total = 0;
  NoiseReport noise_report;

  std::vector<IncidentRow> rows;  // every counted incident, by created_at then id
};

// The report of the incidents and pages that `query` selects (see the top of this file).
Report Compute(const std::vector<IncidentFacts>& incidents, const std::vector<PageFacts>& pages,
               const Query& query);

// The period of the same length immediately before `query`'s: [from - (to - from), from),
// everything else unchanged (saturating at the int64 limits; empty when to <= from).
// For calendar quarters, whose lengths differ, use QuarterRange of the previous quarter.
Query PreviousPeriod(const Query& query);

// "2026-Q4" → [local 2026-10-01 00:00, local 2027-01-01 00:00) in `time_zone`, as UTC
// milliseconds. nullopt unless exactly "YYYY-Qn" (year 1900-9998, n 1-4) and a known zone.
std::optional<std::pair<TimeMs, TimeMs>> QuarterRange(const std::string& quarter,
                                                      const std::string& time_zone);

// Local midnight starting `day` ("2026-10-01") plus `add_days` days in `time_zone`, as UTC
// milliseconds; nullopt unless a real date (year 1900-9998) and a known zone.
std::optional<TimeMs> LocalDayStart(const std::string& day, const std::string& time_zone,
                                    int add_days = 0);
// The quarter ("2026-Q4") holding instant `t` in `time_zone` (UTC when unknown).
std::string QuarterOf(TimeMs t, const std::string& time_zone);
// "2026-Q1" → "2025-Q4"; "" unless "YYYY-Qn".
std::string PreviousQuarter(const std::string& quarter);

// A calendar quarter or month in a time zone: its name ("2026-Q4", "2026-11") and
// [from, to) as UTC milliseconds of local midnights.
struct CalendarPeriod {
  std::string name;
  TimeMs from = 0, to = 0;
};
// The `unit` ("quarter" or "month") holding instant `t` in `time_zone` (UTC when unknown);
// with `offset` -1 the one before it, +1 the one after, and so on.
CalendarPeriod CalendarPeriodOf(TimeMs t, const std::string& unit, const std::string& time_zone,
                                int offset = 0);
// The instant of `hour`:00 local time on the local day holding `t` in `time_zone` (UTC when
// unknown); an hour skipped by a DST change maps to the jump.
TimeMs LocalHourOn(TimeMs t, int hour, const std::string& time_zone);

// "4m 30s": the largest two units of d, h, m, s (the second left out when zero),
// truncated to whole seconds: "2h", "1h 1m", "1d 3h", "45s", "0s"; under a second "850ms";
// a negative duration gets a leading "-".
std::string HumanDuration(DurationMs ms);

}  // namespace klaxon::analytics
