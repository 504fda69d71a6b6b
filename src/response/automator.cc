#include "response/automator.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "core/log.h"
#include "core/thread_name.h"
#include "remediation/automation.h"

namespace klaxon::response {

namespace {

using json = nlohmann::json;

constexpr const char* kTimer = "automation";

events::Actor AutomationActor() { return {"system", std::nullopt, "automation"}; }

playbook::LabelMap ParseMap(const std::string& text) {
  playbook::LabelMap out;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

const playbook::AutomationRule* FindRule(const playbook::Document& d, const std::string& name) {
  for (const auto& r : d.automation_rules)
    if (r.name == name) return &r;
  return nullptr;
}

struct FiringAlert {
  playbook::LabelMap labels, annotations;
};

}  // namespace

Automator::Automator(store::Store& store, const Clock& clock, events::EventLog& log,
                     engine::Timers& timers, Response& response, remediation::EnvLookup env)
    : store_(store),
      clock_(clock),
      log_(log),
      timers_(timers),
      response_(response),
      env_(std::move(env)) {}

Automator::~Automator() { Stop(); }

void Automator::Install() {
  timers_.On(kTimer, [this](store::Tx& tx, int64_t id, TimeMs) { return Evaluate(tx, id, true); });
}

bool Automator::Concerns(const playbook::LabelMap& labels) const {
  auto d = response_.doc();
  return std::any_of(d->automation_rules.begin(), d->automation_rules.end(),
                     [&](const auto& r) { return playbook::MatchesAll(r.selector, labels); });
}

Status Automator::Observe(store::Tx& tx, const std::set<int64_t>& incidents) {
  for (int64_t id : incidents) KLAXON_RETURN_IF_ERROR(Evaluate(tx, id, false));
  return Status::Ok();
}

// Observes every rule that concerns the incident: on an alert observation, every rule whose
// selector matches one of the incident's alerts; on the timer, those whose NextCheck is due.
Status Automator::Evaluate(store::Tx& tx, int64_t incident_id, bool timer) {
  auto d = response_.doc();
  TimeMs now = clock_.Now();
  auto status = tx.QueryOne("SELECT status FROM incidents WHERE id = ?", {incident_id});
  if (!status.ok()) return status.status();
  if (!*status) return timers_.Clear(tx, kTimer, incident_id);
  bool open = (*status)->Str(0) != "resolved";

  auto rows = tx.Query("SELECT labels, annotations, status FROM alerts WHERE incident_id = ?",
                       {incident_id});
  if (!rows.ok()) return rows.status();
  std::vector<FiringAlert> firing;
  std::vector<playbook::LabelMap> all;
  for (const auto& r : *rows) {
    all.push_back(ParseMap(r.Str(0)));
    if (r.Str(2) == "firing") firing.push_back({all.back(), ParseMap(r.Str(1))});
  }
  auto states =
      tx.Query("SELECT rule, state FROM automation_state WHERE incident_id = ?", {incident_id});
  if (!states.ok()) return states.status();
  std::map<std::string, remediation::RuleState> known;
  for (const auto& r : *states)
    known[r.Str(0)] = remediation::RuleState::FromJson(json::parse(r.Str(1), nullptr, false));

  for (const auto& rule : d->automation_rules) {
    auto it = known.find(rule.name);
    if (timer) {
      if (it == known.end()) continue;
      auto next = remediation::NextCheck(rule, it->second);
      if (!next || *next > now) continue;
    } else {
      bool concerns = std::any_of(all.begin(), all.end(), [&](const playbook::LabelMap& l) {
        return playbook::MatchesAll(rule.selector, l);
      });
      if (!concerns) continue;
    }
    bool holds = open && std::any_of(firing.begin(), firing.end(), [&](const FiringAlert& a) {
                   return playbook::MatchesAll(rule.selector, a.labels) &&
                          playbook::Holds(rule.condition, a.labels, a.annotations);
                 });
    remediation::RuleState before = it == known.end() ? remediation::RuleState{} : it->second;
    remediation::RuleState state = before;
    remediation::Decision decision = remediation::Observe(rule, state, holds, now);
    if (state == before) continue;
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO automation_state(incident_id, rule, state) VALUES (?,?,?) "
                "ON CONFLICT(incident_id, rule) DO UPDATE SET state = excluded.state",
                {incident_id, rule.name, state.ToJson().dump()}));
    known[rule.name] = state;
    if (decision != remediation::Decision::kRun) continue;
    auto run = tx.QueryOne(
        "INSERT INTO automation_runs(incident_id, rule, action, created_at) VALUES (?,?,?,?) "
        "RETURNING id",
        {incident_id, rule.name, rule.action, now});
    if (!run.ok()) return run.status();
    json data = {{"rule", rule.name},         {"action", rule.action},
                 {"run", (*run)->Int(0)},     {"runs", state.runs},
                 {"max_runs", rule.max_runs}, {"condition", playbook::Describe(rule.condition)},
                 {"for_ms", rule.for_ms}};
    if (!rule.description.empty()) data["description"] = rule.description;
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("incident.automation_triggered",
                                                             AutomationActor(), data, incident_id))
                               .status());
    tx.OnCommit([this] { Wake(); });
  }

  // One timer per incident: the earliest moment a rule's answer changes without a new
  // observation.
  std::optional<TimeMs> next;
  for (const auto& [name, state] : known) {
    const auto* rule = FindRule(*d, name);
    if (!rule) continue;
    auto at = remediation::NextCheck(*rule, state);
    if (at && (!next || *at < *next)) next = at;
  }
  KLAXON_ASSIGN_OR_RETURN(auto armed, timers_.DueAt(tx, kTimer, incident_id));
  if (!next) return armed ? timers_.Clear(tx, kTimer, incident_id) : Status::Ok();
  TimeMs due = std::max(*next, now);
  if (armed == due) return Status::Ok();  // a refresh changes nothing
  return timers_.Set(tx, kTimer, incident_id, due);
}

Status Automator::Start() {
  // Runs that were started when the process stopped: their outcome is unknown, and a
  // remediation is not repeated blindly.
  Status settled = store_.Write([this](store::Tx& tx) -> Status {
    auto rows = tx.Query(
        "SELECT id, incident_id, rule, action FROM automation_runs WHERE started_at IS NOT NULL "
        "AND done_at IS NULL ORDER BY id");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      json result = {{"ok", false},
                     {"http_status", 0},
                     {"duration_ms", 0},
                     {"excerpt", ""},
                     {"error", "interrupted by a restart; outcome unknown"}};
      KLAXON_RETURN_IF_ERROR(
          response_.RecordActionRun(tx, r.Int(1), r.Str(3), result, AutomationActor(), r.Str(2))
              .status());
      KLAXON_RETURN_IF_ERROR(
          tx.Exec("UPDATE automation_runs SET done_at = ? WHERE id = ?", {clock_.Now(), r.Int(0)}));
    }
    return Status::Ok();
  });
  if (!settled.ok()) return settled;
  std::lock_guard lock(mu_);
  stop_ = false;
  woken_ = true;  // runs queued before the restart
  thread_ = std::thread([this] {
    NameThisThread("klaxon-automate");
    RunLoop();
  });
  return Status::Ok();
}

void Automator::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Automator::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Automator::RunLoop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Woken after each commit that queues a run; a poll now and then covers a wake-up
      // lost to a full queue or a failed store call.
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || woken_; });
      if (stop_) return;
      woken_ = false;
    }
    while (RunOne()) {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
  }
}

bool Automator::RunOne() {
  // Look in a read transaction first: the single writer is not bothered when idle.
  bool pending = false;
  Status looked = store_.Read([&](store::Tx& tx) -> Status {
    auto row = tx.QueryOne(
        "SELECT id FROM automation_runs WHERE done_at IS NULL AND started_at IS "
        "NULL LIMIT 1");
    if (!row.ok()) return row.status();
    pending = row->has_value();
    return Status::Ok();
  });
  if (!looked.ok() || !pending) return false;

  struct Claimed {
    int64_t id = 0, incident = 0;
    std::string rule, action;
    std::optional<Response::ActionRun> run;
    std::string error;  // why it is not made
  };
  std::optional<Claimed> claimed;
  Status s = store_.Write([&](store::Tx& tx) -> Status {
    claimed.reset();
    auto row = tx.QueryOne(
        "SELECT r.id, r.incident_id, r.rule, r.action, i.status FROM automation_runs r JOIN "
        "incidents i ON i.id = r.incident_id WHERE r.started_at IS NULL AND r.done_at IS NULL "
        "ORDER BY r.id LIMIT 1");
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    Claimed c{(*row)->Int(0), (*row)->Int(1), (*row)->Str(2), (*row)->Str(3), std::nullopt, ""};
    auto d = response_.doc();
    const auto* rule = FindRule(*d, c.rule);
    if ((*row)->Str(4) == "resolved") {
      c.error = "skipped: the incident was resolved before the action ran";
    } else if (!rule || !rule->enabled) {
      c.error = "skipped: the rule was disabled or removed before the action ran";
    } else {
      auto prepared = response_.PrepareAction(tx, c.incident, c.action);
      if (prepared.ok()) {
        c.run = std::move(prepared).value();
      } else {
        c.error = prepared.status().message();  // e.g. the action was removed
      }
    }
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE automation_runs SET started_at = ? WHERE id = ?", {clock_.Now(), c.id}));
    claimed = std::move(c);
    return Status::Ok();
  });
  if (!s.ok()) {
    LogError("automation: claiming a run", {{"error", s.message()}});
    return false;
  }
  if (!claimed) return false;
  json result;
  if (claimed->run) {
    result = remediation::Run(claimed->run->action, claimed->run->facts, env_).ToJson();
  } else {
    result = {{"ok", false},
              {"http_status", 0},
              {"duration_ms", 0},
              {"excerpt", ""},
              {"error", claimed->error}};
  }
  // The call was made: its result must not be lost to a passing store failure.
  Status recorded;
  for (int attempt = 0; attempt < 5; ++attempt) {
    recorded = store_.Write([&](store::Tx& tx) -> Status {
      KLAXON_RETURN_IF_ERROR(response_
                                 .RecordActionRun(tx, claimed->incident, claimed->action, result,
                                                  AutomationActor(), claimed->rule)
                                 .status());
      return tx.Exec("UPDATE automation_runs SET done_at = ? WHERE id = ?",
                     {clock_.Now(), claimed->id});
    });
    if (recorded.ok()) return true;
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(1 << attempt), [this] { return stop_; })) break;
  }
  LogError("automation: recording a run", {{"error", recorded.message()},
                                           {"run", claimed->id},
                                           {"rule", claimed->rule},
                                           {"result", result}});
  return false;
}

}  // namespace klaxon::response
