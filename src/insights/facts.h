// Loading the facts of response analytics (analytics::IncidentFacts and PageFacts) from
// the store: the incidents created in a period and the pages sent in one, with everything
// analytics::Compute needs about them.
//
// Incidents: the rows of `incidents` with from <= created_at < to.
//   id, created_at, title, severity   the row's columns; ref = "INC-<id>"
//   service       services.name through service_id ("" when NULL)
//   acknowledged_at  the first `incident.acknowledged` event of the incident (a reopen
//                 clears the column), else incidents.acknowledged_at
//   resolved_at   incidents.resolved_at when status = 'resolved'; a reopened incident that
//                 is open again has none
//   drill         incidents.drill = 1;  noise: incidents.noise_reason IS NOT NULL
//   mitigated_at, restored_at  incident_moments.at of the key moments
//                 "mitigation_started" and "service_restored" (response::kMoments)
//   ack_target    incident_clocks.ack_due_at - created_at (none when either is NULL);
//   resolve_target  likewise with resolve_due_at
//   updates_posted  incident_clocks.updates (0 without a clocks row)
//   updates_late  the number of `incident.update_late` events of the incident
//   reopened      the number of `incident.reopened` events of the incident
//   review_due_at  reviews.due_at when the incident has a review (even when NULL: the
//                 review's deadline replaces the playbook's), else
//                 incident_clocks.review_due_at;  review_published_at: reviews.published_at
//   alertnames    the `alertname` label (a string under that top-level key of the labels
//                 JSON object) of the incident's alerts (alerts.incident_id), distinct, in
//                 first-seen order (alerts.first_seen, then id); an alert without one, or
//                 with an empty one, adds none
//   action_items_open     its action_items with status open or in_progress
//   action_items_overdue  those of them with due_at < LoadOptions::now
//   action_items_done     its action_items with status done (wont_do counts nowhere)
//   severity_rank  LoadOptions::severity_rank[severity], kUnknownSeverityRank when absent
//   team          LoadOptions::team_by_service[service], else the service's owner
//                 (services.owner, archived services too; "" without a service)
//   rto           LoadOptions::rto_ms_by_service[service] (none when absent)
// Sorted by created_at, then id.
//
// Pages: outbox rows with kind = 'page' and pages_from <= created_at < pages_to, of
// incidents created at any time. The pager queues one row per (person, contact method,
// notification-rule delay) each time it pages someone (an escalation step firing, a
// repeat, a manual re-page, a playbook matrix step), with
// idem_key = "<firing>:<user id>:<contact method id>:<delay minutes>", where <firing> is
// "page:<incident>:<n>" (the policy's n-th firing) or "matrix:<incident>:<level>:<step>".
// One page is one person paged by one firing: the rows with the same incident_id and the
// same idem_key without its last two fields (so the same firing and user) are one page. Its
// time (`at`) is the earliest created_at among them (they are queued together). A page
// whose rows were all cancelled (the incident was acknowledged or resolved before any went
// out) reached nobody and is left out; pending, sent and failed rows count. An idem_key
// with fewer than three ':' is a page of its own.
//   username, time_zone   users.username, users.time_zone through outbox.user_id (rows
//                         without a user are left out)
//   incident_id, drill    outbox.incident_id and that incident's drill flag
// Sorted by at, then incident_id, then username.
//
// Cost: one query per table, never one per incident. The incident-keyed tables are read
// over the range of the loaded incidents' ids and joined in memory (rows of incidents in
// that range but created outside the period are dropped; ids grow with created_at, so
// there are few); events only through the partial index events_for_analytics. Services
// and users are read whole. `incidents` and `outbox` have no index on created_at: both
// are scanned.
//
// Any thread; LoadFacts reads through the caller's Tx only.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "analytics/analytics.h"
#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace klaxon::insights {

// The rank of a severity name missing from LoadOptions::severity_rank.
inline constexpr int kUnknownSeverityRank = 1000;

struct LoadOptions {
  TimeMs from = 0, to = 0;              // incidents created in [from, to)
  TimeMs pages_from = 0, pages_to = 0;  // pages (outbox rows) created in [pages_from, pages_to)
  TimeMs now = 0;                       // action items due before it are overdue
  std::map<std::string, int> severity_rank;            // severity name -> rank (1 = most severe)
  std::map<std::string, std::string> team_by_service;  // overrides services.owner as the team
  std::map<std::string, int64_t> rto_ms_by_service;    // service name -> recovery objective
};

struct Facts {
  std::vector<analytics::IncidentFacts> incidents;
  std::vector<analytics::PageFacts> pages;
};

// The facts of the incidents and pages `o` selects (see the top of this file).
Result<Facts> LoadFacts(store::Tx& tx, const LoadOptions& o);

// The statements LoadFacts runs, named by what they read (for tests of their query plans).
// Each takes its parameters in the order LoadFacts binds them: (from, to) for
// "incidents", (pages_from, pages_to) for "pages", (now, first id, last id) for
// "action_items", none for "services" and "users", else (first id, last id).
struct FactsQuery {
  const char* name;
  const char* sql;
};
std::span<const FactsQuery> FactsQueries();

}  // namespace klaxon::insights
