// Drill (game day) scenarios and the report of a run, as values.
//
// A scenario names a service and a severity, the alerts to inject (labels and
// annotations), the actions the team is expected to take (optionally each within a
// time from the start), a time limit, and whether the drill may reach the public status
// page and customers (never, unless `allow_public`). Its JSON:
//
//   {"name": "checkout-db-failover", "description": "...",
//    "service": "checkout", "severity": "SEV-2",
//    "alerts": [{"labels": {"alertname": "CheckoutDBDown"},
//                "annotations": {"summary": "Primary database unreachable"}}],
//    "expected_actions": ["acknowledge",
//                         {"action": "assign_role:commander", "within": "10m"},
//                         {"action": "run_action:failover-db", "within": "20m"}],
//    "time_limit": "1h", "allow_public": false}
//
// Expected actions, each matched with the first event of the drill's incident that shows
// it (not counting what the drill itself did, e.g. resolving at the time limit):
//   acknowledge               incident.acknowledged
//   assign_role:ROLE          incident.role_assigned with that role
//   post_update               incident.update_posted
//   run_action:NAME           incident.action_run of that playbook action
//   check_runbook_step[:N]    incident.runbook_step_checked (step N), checked done
//   add_note                  incident.note_added
//   mark_moment:MOMENT        incident.moment_marked (root_cause_identified, ...)
//   link_war_room             incident.war_room_linked
//   change_severity           incident.severity_changed
//   resolve                   incident.resolved
//
// The report compares the run with the level's targets (the severity the alerts were
// classified as, a page, acknowledgement within ack_target, the required roles filled,
// the first update within update_every, resolution within resolve_target and within the
// time limit) and with the expected actions: each met, missed or pending.
//
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "intake/alert.h"
#include "playbook/playbook.h"

namespace klaxon::drills {

inline constexpr size_t kMaxAlerts = 20;
inline constexpr size_t kMaxExpectedActions = 30;
inline constexpr int64_t kDefaultTimeLimitMs = 3'600'000;  // 1h
inline constexpr int64_t kMaxTimeLimitMs = 86'400'000;     // 24h

struct ExpectedAction {
  std::string action;                          // acknowledge, assign_role, run_action, ...
  std::string argument;                        // the role, action, moment or step; may be empty
  std::optional<playbook::DurationMs> within;  // from the start of the drill

  std::string Name() const { return argument.empty() ? action : action + ":" + argument; }
  // Whether `e` (an event of the drill's incident) shows this action.
  bool MatchedBy(const events::Event& e) const;
};

struct DrillAlert {
  intake::Labels labels;
  intake::Labels annotations;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string service;   // a service's name
  std::string severity;  // a level's name
  std::vector<DrillAlert> alerts;
  std::vector<ExpectedAction> expected_actions;
  playbook::DurationMs time_limit = kDefaultTimeLimitMs;
  bool allow_public = false;  // the status page and customers may hear of it

  nlohmann::json ToJson() const;
};

// Parses and checks a scenario's JSON: every wrong field is named (JSON pointer) in one
// InvalidArgument. Does not look up the service, severity, roles or actions (the caller
// does, in its transaction). With no alerts, one alert named after the scenario.
Result<Scenario> ParseScenario(const nlohmann::json& body);

// The labels and annotations of the drill's alerts for run `run_id`: each alert's own,
// plus drill_run=<id>, service=<service>, severity=<severity> unless the alert sets one,
// alertname "Drill" unless set, and a summary naming the scenario unless set.
std::vector<intake::NormalizedAlert> AlertsForRun(const Scenario& s, int64_t run_id,
                                                  const std::string& service, TimeMs now);

// What the report is computed from.
struct RunFacts {
  int64_t run_id = 0;
  Scenario scenario;
  std::string status;   // scheduled, running, finished, cancelled, failed
  std::string outcome;  // resolved, time_limit, cancelled, silenced, ...
  std::optional<TimeMs> started_at, ends_at, finished_at;
  std::optional<incidents::Incident> incident;
  std::vector<events::Event> events;          // the incident's, oldest first
  const playbook::Severity* level = nullptr;  // the incident's severity level, if known
  TimeMs now = 0;
};

// The drill report (JSON): the run, the incident, "targets" and "expected_actions" (each
// with a state met / missed / pending), paging facts and a summary
// {met, missed, pending, result: passed | failed | in_progress | cancelled | scheduled |
// not_run}. A cancelled run is judged as of the cancel: what was due by then, the rest
// left pending. Expected actions count people's actions only (not the engine's default
// role holders, not the drill's own).
nlohmann::json BuildReport(const RunFacts& f);
// The report as Markdown.
std::string ReportMarkdown(const nlohmann::json& report);

// The actor of what a drill does by itself (start, time limit, cancel).
events::Actor DrillActor();

}  // namespace klaxon::drills
