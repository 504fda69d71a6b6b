#include "drills/scenario.h"

#include <algorithm>
#include <functional>
#include <set>

#include "core/time_format.h"
#include "response/response.h"

namespace klaxon::drills {

using nlohmann::json;

namespace {

// The actions an expectation may name, and whether each takes (or needs) an argument.
struct ActionKind {
  const char* name;
  const char* event;
  bool argument;  // takes one
  bool required;  // must have one
};
constexpr ActionKind kActions[] = {
    {"acknowledge", "incident.acknowledged", false, false},
    {"assign_role", "incident.role_assigned", true, true},
    {"post_update", "incident.update_posted", false, false},
    {"run_action", "incident.action_run", true, true},
    {"check_runbook_step", "incident.runbook_step_checked", true, false},
    {"add_note", "incident.note_added", false, false},
    {"mark_moment", "incident.moment_marked", true, true},
    {"link_war_room", "incident.war_room_linked", false, false},
    {"change_severity", "incident.severity_changed", false, false},
    {"resolve", "incident.resolved", false, false},
};

const ActionKind* FindAction(const std::string& name) {
  for (const auto& a : kActions)
    if (name == a.name) return &a;
  return nullptr;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

size_t Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A map of string labels; errors under `at`.
intake::Labels Labels(const json& j, const std::string& at, std::vector<FieldError>& errs) {
  intake::Labels out;
  if (j.is_null()) return out;
  if (!j.is_object() || j.size() > intake::kLimits.max_labels) {
    errs.push_back({at, "must map at most 64 names to strings"});
    return out;
  }
  for (const auto& [k, v] : j.items()) {
    if (k.empty() || k.size() > intake::kLimits.max_name || !v.is_string() ||
        v.get<std::string>().size() > intake::kLimits.max_label_value) {
      errs.push_back({at + "/" + k, "must be a string of at most 4096 bytes"});
      continue;
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

json OptTime(const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(); }

// "met" when done by `due` (or done, without a due time); "missed" when done late, or
// not done once the drill is over or the due time has passed; else "pending".
std::string StateOf(std::optional<TimeMs> due, std::optional<TimeMs> done, bool over, TimeMs now) {
  if (done) return !due || *done <= *due ? "met" : "missed";
  if (over || (due && now >= *due)) return "missed";
  return "pending";
}

json Took(std::optional<TimeMs> from, std::optional<TimeMs> done) {
  if (!from || !done) return json();
  return playbook::FormatDuration(std::max<TimeMs>(0, *done - *from));
}

// What the drill did itself: started, ended at the time limit, resolved its alerts.
bool ByTheDrill(const events::Event& e) {
  return (e.actor.type == "system" && e.actor.name == DrillActor().name) ||
         (e.actor.type == "integration" && e.actor.name == "klaxon-drills");
}

}  // namespace

events::Actor DrillActor() { return {"system", std::nullopt, "drill"}; }

bool ExpectedAction::MatchedBy(const events::Event& e) const {
  const ActionKind* k = FindAction(action);
  // People's actions only: not the drill's, nor the engine's (default role holders).
  if (!k || e.kind != k->event || ByTheDrill(e) || e.actor.type == "system") return false;
  if (action == "assign_role") return Str(e.data, "role") == argument;
  if (action == "run_action") return Str(e.data, "action") == argument;
  if (action == "mark_moment") return Str(e.data, "moment") == argument;
  if (action == "check_runbook_step") {
    if (!e.data.value("done", false)) return false;
    if (argument.empty()) return true;
    auto step = e.data.find("step");
    return step != e.data.end() && step->is_number_integer() &&
           std::to_string(step->get<int64_t>()) == argument;
  }
  return true;
}

json Scenario::ToJson() const {
  json alerts_json = json::array();
  for (const auto& a : alerts)
    alerts_json.push_back({{"labels", a.labels}, {"annotations", a.annotations}});
  json expected = json::array();
  for (const auto& e : expected_actions)
    expected.push_back({{"action", e.Name()},
                        {"within", e.within ? json(playbook::FormatDuration(*e.within)) : json()}});
  return {{"name", name},
          {"description", description},
          {"service", service},
          {"severity", severity},
          {"alerts", alerts_json},
          {"expected_actions", expected},
          {"time_limit", playbook::FormatDuration(time_limit)},
          {"allow_public", allow_public}};
}

Result<Scenario> ParseScenario(const json& body) {
  if (!body.is_object()) return InvalidField("", "must be a JSON object");
  std::vector<FieldError> errs;
  static const std::set<std::string> kKnown = {
      "name",       "description",  "service", "severity", "alerts",     "expected_actions",
      "time_limit", "allow_public", "id",      "version",  "created_at", "updated_at",
      "created_by", "runs",         "last_run"};
  for (const auto& [k, v] : body.items())
    if (!kKnown.count(k)) errs.push_back({"/" + k, "is not a scenario field"});
  Scenario s;
  auto text = [&](const char* key, size_t max, bool required) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) {
      if (required) errs.push_back({std::string("/") + key, "is required"});
      return std::string();
    }
    if (!it->is_string()) {
      errs.push_back({std::string("/") + key, "must be a string"});
      return std::string();
    }
    std::string v = it->get<std::string>();
    if (required && v.find_first_not_of(" \t\r\n") == std::string::npos)
      errs.push_back({std::string("/") + key, "is required"});
    else if (Chars(v) > max)
      errs.push_back(
          {std::string("/") + key, "must be at most " + std::to_string(max) + " characters"});
    return v;
  };
  s.name = text("name", 100, true);
  if (s.name.find('/') != std::string::npos) errs.push_back({"/name", "must not contain '/'"});
  s.description = text("description", 2000, false);
  s.service = text("service", 100, true);
  s.severity = text("severity", 100, true);

  if (auto it = body.find("alerts"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > kMaxAlerts) {
      errs.push_back({"/alerts", "must be a list of at most 20 alerts"});
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        const json& a = (*it)[i];
        std::string at = "/alerts/" + std::to_string(i);
        if (!a.is_object()) {
          errs.push_back({at, "must be an object with labels and annotations"});
          continue;
        }
        for (const auto& [k, v] : a.items())
          if (k != "labels" && k != "annotations")
            errs.push_back({at + "/" + k, "is not an alert field (labels, annotations)"});
        DrillAlert d;
        d.labels = Labels(a.value("labels", json()), at + "/labels", errs);
        d.annotations = Labels(a.value("annotations", json()), at + "/annotations", errs);
        for (const char* reserved : {"drill_run"})
          if (d.labels.count(reserved))
            errs.push_back({at + "/labels/" + reserved, "is set by the drill"});
        s.alerts.push_back(std::move(d));
      }
    }
  }
  if (s.alerts.empty()) {
    DrillAlert d;
    d.labels["alertname"] = "Drill";
    s.alerts.push_back(std::move(d));
  }

  if (auto it = body.find("expected_actions"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > kMaxExpectedActions) {
      errs.push_back({"/expected_actions", "must be a list of at most 30 actions"});
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        const json& a = (*it)[i];
        std::string at = "/expected_actions/" + std::to_string(i);
        std::string spec;
        std::optional<playbook::DurationMs> within;
        if (a.is_string()) {
          spec = a.get<std::string>();
        } else if (a.is_object()) {
          for (const auto& [k, v] : a.items())
            if (k != "action" && k != "within")
              errs.push_back({at + "/" + k, "is not an expected action field (action, within)"});
          spec = Str(a, "action");
          if (auto w = a.find("within"); w != a.end() && !w->is_null()) {
            within = w->is_string() ? playbook::ParseDuration(w->get<std::string>()) : std::nullopt;
            if (!within || *within <= 0 || *within > kMaxTimeLimitMs) {
              errs.push_back({at + "/within", "must be a duration from 1s to 24h, like 10m"});
              within.reset();
            }
          }
        } else {
          errs.push_back({at, "must be an action (\"acknowledge\") or {action, within}"});
          continue;
        }
        ExpectedAction e;
        auto colon = spec.find(':');
        e.action = spec.substr(0, colon);
        if (colon != std::string::npos) e.argument = spec.substr(colon + 1);
        e.within = within;
        const ActionKind* k = FindAction(e.action);
        std::string field = a.is_object() ? at + "/action" : at;
        if (!k) {
          errs.push_back(
              {field, "unknown action '" + e.action +
                          "': acknowledge, assign_role:ROLE, post_update, run_action:NAME, "
                          "check_runbook_step[:N], add_note, mark_moment:MOMENT, "
                          "link_war_room, change_severity or resolve"});
          continue;
        }
        if (k->required && e.argument.empty())
          errs.push_back({field, e.action + " needs what: " + e.action + ":NAME"});
        else if (!k->argument && !e.argument.empty())
          errs.push_back({field, e.action + " takes no ':' argument"});
        else if (e.argument.size() > 100)
          errs.push_back({field, "must be at most 100 characters after ':'"});
        else if (e.action == "check_runbook_step" && !e.argument.empty() &&
                 (e.argument.find_first_not_of("0123456789") != std::string::npos ||
                  e.argument.size() > 3 || e.argument == "0" || e.argument[0] == '0'))
          errs.push_back({field, "the step must be a number from 1"});
        else if (e.action == "mark_moment" &&
                 std::find_if(std::begin(response::kMoments), std::end(response::kMoments),
                              [&](const char* m) { return e.argument == m; }) ==
                     std::end(response::kMoments))
          errs.push_back({field,
                          "the moment must be root_cause_identified, mitigation_started or "
                          "service_restored"});
        s.expected_actions.push_back(std::move(e));
      }
    }
  }

  if (auto it = body.find("time_limit"); it != body.end() && !it->is_null()) {
    auto d = it->is_string() ? playbook::ParseDuration(it->get<std::string>()) : std::nullopt;
    if (!d || *d < 60'000 || *d > kMaxTimeLimitMs)
      errs.push_back({"/time_limit", "must be a duration from 1m to 24h, like 45m"});
    else
      s.time_limit = *d;
  }
  if (auto it = body.find("allow_public"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean())
      errs.push_back({"/allow_public", "must be true or false"});
    else
      s.allow_public = it->get<bool>();
  }
  if (!errs.empty()) return Invalid("invalid drill scenario", std::move(errs));
  return s;
}

std::vector<intake::NormalizedAlert> AlertsForRun(const Scenario& s, int64_t run_id,
                                                  const std::string& service, TimeMs now) {
  std::vector<intake::NormalizedAlert> out;
  for (const auto& a : s.alerts) {
    intake::NormalizedAlert n;
    n.labels = a.labels;
    n.annotations = a.annotations;
    n.labels["drill_run"] = std::to_string(run_id);
    n.labels["service"] = service;
    if (!n.labels.count("severity")) n.labels["severity"] = s.severity;
    if (!n.labels.count("alertname")) n.labels["alertname"] = "Drill";
    if (!n.annotations.count("summary")) n.annotations["summary"] = "Drill: " + s.name;
    n.fingerprint = intake::Fingerprint(n.labels);
    n.firing = true;
    n.starts_at = now;
    out.push_back(std::move(n));
  }
  return out;
}

json BuildReport(const RunFacts& f) {
  // Cancelled: judged as of the cancel (what was due by then), the rest left pending.
  const bool cancelled = f.status == "cancelled";
  const bool over = f.status != "scheduled" && f.status != "running" && !cancelled;
  const TimeMs now = f.finished_at.value_or(f.now);
  json run = {{"id", f.run_id},
              {"scenario", f.scenario.name},
              {"status", f.status},
              {"outcome", f.outcome},
              {"started_at", OptTime(f.started_at)},
              {"ends_at", OptTime(f.ends_at)},
              {"finished_at", OptTime(f.finished_at)},
              {"time_limit", playbook::FormatDuration(f.scenario.time_limit)}};
  json report = {{"run", run},
                 {"incident", json()},
                 {"targets", json::array()},
                 {"expected_actions", json::array()},
                 {"paging", json()}};
  int met = 0, missed = 0, pending = 0;
  auto tally = [&](const std::string& state) {
    if (state == "met") ++met;
    if (state == "missed") ++missed;
    if (state == "pending") ++pending;
  };
  if (!f.incident) {
    report["summary"] = {{"met", 0},
                         {"missed", 0},
                         {"pending", 0},
                         {"result", f.status == "scheduled" ? "scheduled" : "not_run"}};
    return report;
  }
  const incidents::Incident& inc = *f.incident;
  const TimeMs opened = inc.created_at;
  // The first event the drill's people caused of each kind (the drill's own left out).
  auto first = [&](const std::string& kind, const std::function<bool(const events::Event&)>& also =
                                                nullptr) -> const events::Event* {
    for (const auto& e : f.events)
      if (e.kind == kind && !ByTheDrill(e) && (!also || also(e))) return &e;
    return nullptr;
  };
  auto at = [](const events::Event* e) { return e ? std::optional<TimeMs>(e->at) : std::nullopt; };
  auto by = [](const events::Event* e) { return e ? json(e->actor.name) : json(); };

  std::string declared_severity = inc.severity;
  for (const auto& e : f.events)
    if (e.kind == "incident.declared") {
      declared_severity = e.data.value("severity", inc.severity);
      break;
    }
  report["incident"] = {{"id", inc.id},
                        {"ref", inc.ref()},
                        {"title", inc.DisplayTitle()},
                        {"severity", inc.severity},
                        {"status", incidents::StatusName(inc.status)},
                        {"opened_at", FormatTime(opened)},
                        {"acknowledged_at", OptTime(inc.acknowledged_at)},
                        {"resolved_at", OptTime(inc.resolved_at)}};

  json targets = json::array();
  auto add = [&](json t) {
    tally(t["state"].get<std::string>());
    targets.push_back(std::move(t));
  };
  // Classification: the level the alerts were classified as.
  add({{"name", "classification"},
       {"description", "the alerts open an incident of the scenario's severity"},
       {"expected", f.scenario.severity},
       {"actual", declared_severity},
       {"detail", inc.classified_by.empty() ? json() : json("rule " + inc.classified_by)},
       {"state", declared_severity == f.scenario.severity ? "met" : "missed"}});
  // Paging.
  int steps = 0, delivered = 0, failed = 0;
  std::optional<TimeMs> first_page;
  for (const auto& e : f.events) {
    if (e.kind == "escalation.step_fired") {
      ++steps;
      if (!first_page) first_page = e.at;
    }
    if (e.kind == "notification.delivered") ++delivered;
    if (e.kind == "notification.failed") ++failed;
  }
  bool record_only = f.level && f.level->page == playbook::PageMode::kNever;
  if (!record_only) {
    add({{"name", "paged"},
         {"description", "someone was paged"},
         {"target", json()},
         {"done_at", OptTime(first_page)},
         {"took", Took(opened, first_page)},
         {"state", StateOf(std::nullopt, first_page, over, now)}});
  }
  const events::Event* ack = first("incident.acknowledged");
  std::optional<TimeMs> ack_at = at(ack);
  {
    std::optional<TimeMs> due;
    if (f.level && f.level->ack_target) due = opened + *f.level->ack_target;
    add({{"name", "acknowledge"},
         {"description", "acknowledged within the level's ack target"},
         {"target", f.level && f.level->ack_target
                        ? json(playbook::FormatDuration(*f.level->ack_target))
                        : json()},
         {"due_at", OptTime(due)},
         {"done_at", OptTime(ack_at)},
         {"by", by(ack)},
         {"took", Took(opened, ack_at)},
         {"state", StateOf(due, ack_at, over, now)}});
  }
  if (f.level) {
    for (const auto& role : f.level->required_roles) {
      const events::Event* e = first("incident.role_assigned", [&](const events::Event& ev) {
        return ev.data.value("role", "") == role;
      });
      add({{"name", "role:" + role},
           {"description", "the required role " + role + " is filled"},
           {"target", json()},
           {"done_at", OptTime(at(e))},
           {"by", e ? json(e->data.value("user", "")) : json()},
           {"took", Took(opened, at(e))},
           {"state", StateOf(std::nullopt, at(e), over, now)}});
    }
    if (f.level->update_every) {
      const events::Event* e = first("incident.update_posted");
      TimeMs due = opened + *f.level->update_every;
      int late = 0;
      for (const auto& ev : f.events) late += ev.kind == "incident.update_late";
      add({{"name", "first_update"},
           {"description", "the first update is posted within the level's cadence"},
           {"target", playbook::FormatDuration(*f.level->update_every)},
           {"due_at", FormatTime(due)},
           {"done_at", OptTime(at(e))},
           {"by", by(e)},
           {"took", Took(opened, at(e))},
           {"detail", late ? json(std::to_string(late) + " update(s) late") : json()},
           {"state", StateOf(due, at(e), over, now)}});
    }
  }
  const events::Event* resolved = first("incident.resolved");
  std::optional<TimeMs> resolved_at = at(resolved);
  if (f.level && f.level->resolve_target) {
    TimeMs due = opened + *f.level->resolve_target;
    add({{"name", "resolve"},
         {"description", "resolved within the level's resolve target"},
         {"target", playbook::FormatDuration(*f.level->resolve_target)},
         {"due_at", FormatTime(due)},
         {"done_at", OptTime(resolved_at)},
         {"by", by(resolved)},
         {"took", Took(opened, resolved_at)},
         {"state", StateOf(due, resolved_at, over, now)}});
  }
  {
    std::optional<TimeMs> due = f.ends_at;
    add({{"name", "time_limit"},
         {"description", "resolved by the team within the drill's time limit"},
         {"target", playbook::FormatDuration(f.scenario.time_limit)},
         {"due_at", OptTime(due)},
         {"done_at", OptTime(resolved_at)},
         {"by", by(resolved)},
         {"took", Took(f.started_at, resolved_at)},
         {"state", StateOf(due, resolved_at, over, now)}});
  }
  report["targets"] = targets;

  json expected = json::array();
  for (const auto& x : f.scenario.expected_actions) {
    const events::Event* e = nullptr;
    for (const auto& ev : f.events)
      if (x.MatchedBy(ev)) {
        e = &ev;
        break;
      }
    std::optional<TimeMs> due;
    if (x.within && f.started_at) due = *f.started_at + *x.within;
    std::string state = StateOf(due, at(e), over, now);
    tally(state);
    expected.push_back({{"action", x.Name()},
                        {"within", x.within ? json(playbook::FormatDuration(*x.within)) : json()},
                        {"due_at", OptTime(due)},
                        {"done_at", OptTime(at(e))},
                        {"by", by(e)},
                        {"took", Took(f.started_at, at(e))},
                        {"state", state}});
  }
  report["expected_actions"] = expected;
  int before_ack = 0;
  for (const auto& e : f.events)
    if (e.kind == "escalation.step_fired" && (!ack_at || e.at <= *ack_at)) ++before_ack;
  report["paging"] = {{"first_page_at", OptTime(first_page)},
                      {"escalation_steps", steps},
                      {"escalation_steps_before_ack", before_ack},
                      {"notifications_delivered", delivered},
                      {"notifications_failed", failed}};
  std::string result = cancelled ? "cancelled"
                       : pending ? "in_progress"
                       : missed  ? "failed"
                                 : "passed";
  report["summary"] = {{"met", met}, {"missed", missed}, {"pending", pending}, {"result", result}};
  return report;
}

std::string ReportMarkdown(const json& r) {
  // Text for one line or table cell: no line breaks, pipes escaped.
  auto s = [](const json& v) {
    std::string out;
    if (!v.is_string()) return out;
    for (char c : v.get<std::string>()) {
      if (c == '|')
        out += "\\|";
      else
        out += c == '\n' || c == '\r' ? ' ' : c;
    }
    return out;
  };
  auto mark = [](const std::string& state) {
    return state == "met" ? "met" : state == "missed" ? "**MISSED**" : state;
  };
  const json& run = r["run"];
  const json& scenario = run["scenario"].is_object() ? run["scenario"]["name"] : run["scenario"];
  std::string out =
      "# DRILL report: " + s(scenario) + " (run " + std::to_string(run.value("id", 0)) + ")\n\n";
  out += "- Status: " + s(run["status"]) +
         (s(run["outcome"]).empty() ? "" : " (" + s(run["outcome"]) + ")") + "\n";
  if (!run["started_at"].is_null()) out += "- Started: " + s(run["started_at"]) + "\n";
  if (!run["finished_at"].is_null()) out += "- Finished: " + s(run["finished_at"]) + "\n";
  out += "- Time limit: " + s(run["time_limit"]) + "\n";
  if (r["incident"].is_object()) {
    const json& inc = r["incident"];
    out +=
        "- Incident: " + s(inc["ref"]) + " " + s(inc["title"]) + " [" + s(inc["severity"]) + "]\n";
  }
  const json& sum = r["summary"];
  out += "- Result: **" + s(sum["result"]) + "** (" + std::to_string(sum.value("met", 0)) +
         " met, " + std::to_string(sum.value("missed", 0)) + " missed, " +
         std::to_string(sum.value("pending", 0)) + " pending)\n\n";
  if (!r["targets"].empty()) {
    out += "## Targets\n\n| Target | Goal | Took | By | State |\n|---|---|---|---|---|\n";
    for (const auto& t : r["targets"]) {
      std::string goal = t.contains("expected") ? s(t["expected"]) : s(t.value("target", json()));
      std::string took = t.contains("actual") ? s(t["actual"]) : s(t.value("took", json()));
      out += "| " + s(t["name"]) + " | " + (goal.empty() ? "-" : goal) + " | " +
             (took.empty() ? "-" : took) + " | " +
             (s(t.value("by", json())).empty() ? "-" : s(t["by"])) + " | " + mark(s(t["state"])) +
             " |\n";
    }
    out += "\n";
  }
  if (!r["expected_actions"].empty()) {
    out +=
        "## Expected actions\n\n| Action | Within | Took | By | State |\n|---|---|---|---|---|\n";
    for (const auto& a : r["expected_actions"]) {
      std::string within = s(a["within"]), took = s(a["took"]), who = s(a["by"]);
      out += "| " + s(a["action"]) + " | " + (within.empty() ? "-" : within) + " | " +
             (took.empty() ? "-" : took) + " | " + (who.empty() ? "-" : who) + " | " +
             mark(s(a["state"])) + " |\n";
    }
    out += "\n";
  }
  if (r["paging"].is_object()) {
    const json& p = r["paging"];
    out += "## Paging\n\n- First page: " +
           (p["first_page_at"].is_null() ? std::string("none") : s(p["first_page_at"])) +
           "\n- Escalation steps fired: " + std::to_string(p.value("escalation_steps", 0)) + " (" +
           std::to_string(p.value("escalation_steps_before_ack", 0)) +
           " before acknowledgement)\n- Notifications delivered: " +
           std::to_string(p.value("notifications_delivered", 0)) +
           ", failed: " + std::to_string(p.value("notifications_failed", 0)) + "\n";
  }
  return out;
}

}  // namespace klaxon::drills
