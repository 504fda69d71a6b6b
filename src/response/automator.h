// Automation rules at work: "when an alert matching the selector keeps a value over a
// threshold for a duration, run the action, at most max_runs times per incident and not
// again within the cooldown" (remediation/automation.h decides; this keeps its state and
// runs the action).
//
// Observe runs in the intake transaction for every observation of an alert (new, refresh,
// resolve) once it is stored. For each enabled rule whose selector matches the alert, the
// condition holds when any firing alert of the incident matching the selector satisfies
// it (so two alerts of one incident do not reset each other), and never once the incident
// is resolved. The rule's state per incident lives in `automation_state`; one durable timer
// "automation" per incident fires when a rule's `for` or cooldown ends without a new
// observation (NextCheck). A decision to run appends `incident.automation_triggered` and
// a row in `automation_runs`, in the same transaction, so a run decided is never lost.
//
// Runs happen on one runner thread, outside any transaction (an action may take up to its
// timeout), in order: the row is marked started, the call made, and its result recorded as
// `incident.action_run` with "automation": the rule. A queued run whose incident was
// resolved, or whose rule was disabled or removed, meanwhile is recorded as skipped and not
// made. A run that was started when the
// process died is not repeated (a remediation is not idempotent in general): at the next
// start it is recorded as failed with "interrupted by a restart; outcome unknown". Runs
// queued but not started are made after a restart.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "engine/timers.h"
#include "events/event.h"
#include "playbook/match.h"
#include "remediation/runner.h"
#include "response/response.h"
#include "store/store.h"

namespace klaxon::response {

class Automator {
 public:
  Automator(store::Store& store, const Clock& clock, events::EventLog& log, engine::Timers& timers,
            Response& response, remediation::EnvLookup env = remediation::ProcessEnv());
  ~Automator();

  // Registers the timer handler. Before timers.Start().
  void Install();
  // Whether an alert with these labels concerns any rule (cheap; no store access).
  bool Concerns(const playbook::LabelMap& labels) const;
  // Observations of the alerts of one intake batch that Concerns() said matter, after they
  // were stored in `tx`: `incidents` are the ones they belong to, each evaluated once.
  Status Observe(store::Tx& tx, const std::set<int64_t>& incidents);
  // Settles interrupted runs and starts the runner thread.
  Status Start();
  void Stop();

 private:
  Status Evaluate(store::Tx& tx, int64_t incident_id, bool timer);
  Status Arm(store::Tx& tx, int64_t incident_id);
  void Wake();
  void RunLoop();
  // Runs the oldest queued run; false when there was none (or the store failed).
  bool RunOne();

  store::Store& store_;
  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  Response& response_;
  remediation::EnvLookup env_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace klaxon::response
