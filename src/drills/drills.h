// Drills (game days): scenarios kept in the store, and their runs through the real flow.
//
// A run injects the scenario's alerts through the built-in drill integration
// (alerts::AlertService::DrillIntegration), so they go through intake, suppression,
// classification and grouping like any alert, and open one incident marked as a drill.
// From there everything is the real thing: paging and escalation, default roles,
// communication cadence and reminders, targets, stakeholders. Pages and messages show
// "[DRILL]" before the title; every event of the incident carries "drill": true; the
// public status page and customer notices refuse the incident unless the scenario says
// `allow_public` (incidents::CheckMayGoPublic).
//
// A run is started now or scheduled (engine timer "drill_start"). It ends when the team
// resolves the incident (outcome "resolved"), when the time limit passes (timer
// "drill_end": the drill resolves the incident itself, outcome "time_limit"), or when
// someone cancels it ("cancelled"). At the end the drill's alerts are resolved. A
// scheduled run whose alerts are all silenced when it starts fails ("silenced"), and one
// whose time passed while the server was down by more than 15 minutes fails ("missed");
// a run started now whose alerts are all silenced is refused instead (409), and nothing
// is written.
//
// Run statuses: scheduled, running, finished, cancelled, failed. Events:
// drill.scenario_created/updated/deleted, drill.scheduled, drill.started, drill.finished
// (with the report's summary), drill.cancelled, drill.failed.
//
// Thread-safe; holds references only.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "alerts/alert_service.h"
#include "core/clock.h"
#include "drills/scenario.h"
#include "engine/timers.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "response/response.h"
#include "store/store.h"

namespace klaxon::drills {

struct RunFilter {
  std::optional<std::string> scenario;  // id or name
  std::optional<std::string> status;
  int limit = 50;
};

class Drills {
 public:
  Drills(const Clock& clock, events::EventLog& log, engine::Timers& timers,
         alerts::AlertService& alerts, incidents::IncidentService& incidents,
         response::Response& response)
      : clock_(clock),
        log_(log),
        timers_(timers),
        alerts_(alerts),
        incidents_(incidents),
        response_(response) {}

  // The timer handlers and the tx hook that ends a run when its incident is resolved.
  // Call once, before the engine starts.
  void Install();

  // Scenarios, by id or name. Create and Replace check the service (an active one), the
  // severity (a level in force), and the roles and actions the expectations name (in the
  // playbook) as well as the JSON; 422 naming each wrong field.
  Result<nlohmann::json> CreateScenario(store::Tx& tx, const nlohmann::json& body,
                                        const events::Actor& actor);
  Result<nlohmann::json> ReplaceScenario(store::Tx& tx, const std::string& key,
                                         const nlohmann::json& body, const events::Actor& actor);
  // 409 while a run of it is scheduled or running.
  Status DeleteScenario(store::Tx& tx, const std::string& key, const events::Actor& actor);
  Result<nlohmann::json> ListScenarios(store::Tx& tx);
  Result<nlohmann::json> GetScenario(store::Tx& tx, const std::string& key);

  // Runs the scenario now, or schedules it for `at` (in the future, within a year).
  Result<nlohmann::json> Run(store::Tx& tx, const std::string& scenario, std::optional<TimeMs> at,
                             const events::Actor& actor);
  // A scheduled run is cancelled; a running one ends now (its incident resolved).
  Result<nlohmann::json> Cancel(store::Tx& tx, int64_t run_id, const events::Actor& actor);
  Result<nlohmann::json> GetRun(store::Tx& tx, int64_t run_id);
  Result<nlohmann::json> ListRuns(store::Tx& tx, const RunFilter& filter);
  // The report of a run (drills::BuildReport), as of now while it runs.
  Result<nlohmann::json> Report(store::Tx& tx, int64_t run_id);

 private:
  struct RunRow;
  Result<RunRow> LoadRun(store::Tx& tx, int64_t run_id);
  nlohmann::json RunJson(const RunRow& r) const;
  Result<std::pair<int64_t, Scenario>> FindScenario(store::Tx& tx, const std::string& key);
  // The checks that need the store and the playbook.
  Status CheckReferences(store::Tx& tx, const Scenario& s);
  // Injects the alerts of a scheduled run. When every alert was silenced: Conflict if
  // `refuse_silenced` (run now: nothing is written), else the run fails.
  Status Start(store::Tx& tx, int64_t run_id, bool refuse_silenced);
  // Ends a running run with `outcome`: its row, its timer, the incident (resolved by the
  // drill with `resolution` unless empty or resolved already), the drill's alerts, and
  // drill.finished or drill.cancelled.
  Status Finish(store::Tx& tx, RunRow& run, const std::string& status, const std::string& outcome,
                const std::string& resolution);
  // A run whose time passed more than 15 minutes ago (the server was down) fails
  // ("missed") rather than paging people at an unplanned hour.
  Status OnStartTimer(store::Tx& tx, int64_t run_id, TimeMs due);
  Status FailRun(store::Tx& tx, RunRow& run, const std::string& outcome, const std::string& note);
  // Resolves every alert the run injected (silenced ones too).
  Status ResolveAlerts(store::Tx& tx, const RunRow& run);
  Status OnEndTimer(store::Tx& tx, int64_t run_id);
  Status OnResolved(store::Tx& tx, const events::Event& e);
  Result<nlohmann::json> ReportOf(store::Tx& tx, const RunRow& r);

  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  alerts::AlertService& alerts_;
  incidents::IncidentService& incidents_;
  response::Response& response_;
};

}  // namespace klaxon::drills
