#include "remediation/automation.h"

#include <algorithm>

namespace klaxon::remediation {
namespace {

using Json = nlohmann::json;

std::optional<TimeMs> OptionalTime(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<TimeMs>();
}

bool CoolingDown(const playbook::AutomationRule& rule, const RuleState& state, TimeMs now) {
  return state.last_run_at && now < *state.last_run_at + rule.cooldown;
}

}  // namespace

Json RuleState::ToJson() const {
  return Json{{"holding_since", holding_since ? Json(*holding_since) : Json(nullptr)},
              {"runs", runs},
              {"last_run_at", last_run_at ? Json(*last_run_at) : Json(nullptr)}};
}

RuleState RuleState::FromJson(const Json& j) {
  RuleState s;
  if (!j.is_object()) return s;
  s.holding_since = OptionalTime(j, "holding_since");
  s.last_run_at = OptionalTime(j, "last_run_at");
  auto runs = j.find("runs");
  if (runs != j.end() && runs->is_number_integer())
    s.runs = static_cast<int>(std::clamp<int64_t>(runs->get<int64_t>(), 0, 1 << 30));
  return s;
}

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kIdle:
      return "idle";
    case Decision::kWaiting:
      return "waiting";
    case Decision::kRun:
      return "run";
    case Decision::kCoolingDown:
      return "cooling_down";
    case Decision::kMaxRunsReached:
      return "max_runs_reached";
    case Decision::kDisabled:
      return "disabled";
  }
  return "unknown";
}

Decision Observe(const playbook::AutomationRule& rule, RuleState& state, bool holds, TimeMs now) {
  if (!rule.enabled) {
    state.holding_since.reset();
    return Decision::kDisabled;
  }
  if (state.runs >= rule.max_runs) {
    state.holding_since.reset();
    return Decision::kMaxRunsReached;
  }
  if (!holds) {
    state.holding_since.reset();
    return Decision::kIdle;
  }
  if (!state.holding_since) state.holding_since = now;
  if (now - *state.holding_since < rule.for_ms) return Decision::kWaiting;
  if (CoolingDown(rule, state, now)) return Decision::kCoolingDown;
  ++state.runs;
  state.last_run_at = now;
  state.holding_since.reset();
  return Decision::kRun;
}

std::optional<Decision> ObserveAlert(const playbook::AutomationRule& rule, RuleState& state,
                                     const playbook::LabelMap& labels,
                                     const playbook::LabelMap& annotations, TimeMs now) {
  if (!playbook::MatchesAll(rule.selector, labels)) return std::nullopt;
  return Observe(rule, state, playbook::Holds(rule.condition, labels, annotations), now);
}

std::optional<TimeMs> NextCheck(const playbook::AutomationRule& rule, const RuleState& state) {
  if (!rule.enabled || state.runs >= rule.max_runs || !state.holding_since) return std::nullopt;
  TimeMs at = *state.holding_since + rule.for_ms;
  if (state.last_run_at) at = std::max(at, *state.last_run_at + rule.cooldown);
  return at;
}

}  // namespace klaxon::remediation
