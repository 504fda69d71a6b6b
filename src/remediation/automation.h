// Deciding when an automation rule runs its action: "when an alert matching the selector
// keeps a value over a threshold for a duration, run the action, at most max_runs times
// per incident and not again within the cooldown".
//
// The decision is a pure function of the rule, the rule's state for one incident, one
// observation (does the condition hold now?) and `now`; nothing here reads a clock or
// keeps state of its own. The caller keeps one RuleState per (rule, incident), persists
// it (ToJson / FromJson), feeds it every observation of the incident's alerts that the
// rule's selector matches, and runs the action on kRun. NextCheck says when to evaluate
// again without a new observation (the moment `for` elapses or the cooldown ends), so a
// timer can fire the rule even when no alert update arrives.
//
// Semantics of Observe, in order:
//   disabled                      → kDisabled        (holding_since cleared)
//   runs >= max_runs              → kMaxRunsReached  (holding_since cleared)
//   the condition does not hold   → kIdle            (holding_since cleared)
//   it holds (holding_since := now if unset), and
//     now - holding_since < for   → kWaiting
//     now < last_run_at+cooldown  → kCoolingDown     (it held long enough)
//     otherwise                   → kRun: runs++, last_run_at = now, holding_since
//                                   cleared, so a further run needs the condition to hold
//                                   for `for` again (counted from the next observation)
//                                   and the cooldown to be over.
//
// Values and pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "core/clock.h"
#include "playbook/match.h"
#include "playbook/playbook.h"

namespace klaxon::remediation {

// One rule's progress on one incident.
struct RuleState {
  std::optional<TimeMs> holding_since;  // when the condition started holding continuously
  int runs = 0;
  std::optional<TimeMs> last_run_at;

  // {"holding_since": ms|null, "runs": n, "last_run_at": ms|null}.
  nlohmann::json ToJson() const;
  // Lenient: a missing or mistyped field takes its default. Never throws.
  static RuleState FromJson(const nlohmann::json& j);
  friend bool operator==(const RuleState&, const RuleState&) = default;
};

enum class Decision { kIdle, kWaiting, kRun, kCoolingDown, kMaxRunsReached, kDisabled };

// "idle", "waiting", "run", "cooling_down", "max_runs_reached", "disabled".
const char* DecisionName(Decision d);

// One observation of an alert that the rule's selector matches; `holds` is
// playbook::Holds(rule.condition, labels, annotations). Updates `state` as described above.
Decision Observe(const playbook::AutomationRule& rule, RuleState& state, bool holds, TimeMs now);

// Observe for one alert: nullopt (state untouched) when the selector does not match it.
std::optional<Decision> ObserveAlert(const playbook::AutomationRule& rule, RuleState& state,
                                     const playbook::LabelMap& labels,
                                     const playbook::LabelMap& annotations, TimeMs now);

// When Observe (with the condition still holding) would next change its answer: the
// moment `for` elapses, or the cooldown ends, whichever is later. nullopt when nothing is
// pending (the condition does not hold, the rule is disabled or has run max_runs times).
std::optional<TimeMs> NextCheck(const playbook::AutomationRule& rule, const RuleState& state);

}  // namespace klaxon::remediation
