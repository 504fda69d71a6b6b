#include "drills/drills.h"

#include <algorithm>

#include "core/numbers.h"
#include "core/time_format.h"

namespace klaxon::drills {

using nlohmann::json;

namespace {

constexpr const char* kStartTimer = "drill_start";
constexpr const char* kEndTimer = "drill_end";
constexpr int64_t kMaxAheadMs = 366LL * 86'400'000;
constexpr int64_t kStartGraceMs = 15 * 60'000;  // how late a scheduled run may still start

constexpr const char* kRunColumns =
    "id, scenario_id, scenario_name, spec, status, outcome, allow_public, scheduled_at, "
    "started_at, ends_at, finished_at, incident_id, note, created_by, created_at";

json OptTime(const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(); }

}  // namespace

struct Drills::RunRow {
  int64_t id = 0;
  std::optional<int64_t> scenario_id;
  std::string scenario_name;
  Scenario spec;
  std::string status, outcome;
  bool allow_public = false;
  std::optional<TimeMs> scheduled_at, started_at, ends_at, finished_at;
  std::optional<int64_t> incident_id;
  std::string note, created_by;
  TimeMs created_at = 0;
};

void Drills::Install() {
  timers_.On(kStartTimer,
             [this](store::Tx& tx, int64_t id, TimeMs due) { return OnStartTimer(tx, id, due); });
  timers_.On(kEndTimer, [this](store::Tx& tx, int64_t id, TimeMs) { return OnEndTimer(tx, id); });
  log_.AddTxHook([this](store::Tx& tx, const events::Event& e) -> Status {
    if (e.kind != "incident.resolved" || !e.incident_id) return Status::Ok();
    KLAXON_ASSIGN_OR_RETURN(bool drill, incidents_.IsDrill(tx, *e.incident_id));
    return drill ? OnResolved(tx, e) : Status::Ok();
  });
}

// ---------------------------------------------------------------------------------------
// Scenarios

Status Drills::CheckReferences(store::Tx& tx, const Scenario& s) {
  std::vector<FieldError> errs;
  auto svc = incidents_.FindService(tx, s.service);
  if (!svc.ok()) {
    if (svc.status().code() != Code::kNotFound) return svc.status();
    errs.push_back({"/service", "unknown service '" + s.service + "'"});
  } else if (svc->archived_at) {
    errs.push_back({"/service", "service '" + svc->name + "' is archived"});
  }
  if (!incidents_.KnownSeverity(s.severity))
    errs.push_back({"/severity", "unknown severity '" + s.severity + "'"});
  auto doc = response_.doc();
  for (size_t i = 0; i < s.expected_actions.size(); ++i) {
    const ExpectedAction& x = s.expected_actions[i];
    std::string at = "/expected_actions/" + std::to_string(i);
    if (x.action == "assign_role" && !doc->roles.empty() &&
        std::none_of(doc->roles.begin(), doc->roles.end(),
                     [&](const auto& r) { return r.name == x.argument; }))
      errs.push_back({at, "no role named '" + x.argument + "' in the playbook"});
    if (x.action == "run_action" &&
        std::none_of(doc->actions.begin(), doc->actions.end(),
                     [&](const auto& a) { return a.name == x.argument; }))
      errs.push_back({at, "no action named '" + x.argument + "' in the playbook"});
  }
  if (!errs.empty()) return Invalid("invalid drill scenario", std::move(errs));
  return Status::Ok();
}

Result<std::pair<int64_t, Scenario>> Drills::FindScenario(store::Tx& tx, const std::string& key) {
  auto id = ParseInt64(key, 1);
  auto row = id ? tx.QueryOne("SELECT id, spec FROM drill_scenarios WHERE id = ?", {*id})
                : tx.QueryOne("SELECT id, spec FROM drill_scenarios WHERE name = ?", {key});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no drill scenario '" + key + "'");
  auto spec = ParseScenario(json::parse((*row)->Str(1), nullptr, false));
  if (!spec.ok()) return Internal("stored scenario " + key + ": " + spec.status().message());
  return std::make_pair((*row)->Int(0), *spec);
}

Result<json> Drills::GetScenario(store::Tx& tx, const std::string& key) {
  KLAXON_ASSIGN_OR_RETURN(auto found, FindScenario(tx, key));
  auto row = tx.QueryOne(
      "SELECT version, created_by, created_at, updated_at, "
      "(SELECT COUNT(*) FROM drill_runs r WHERE r.scenario_id = s.id), "
      "(SELECT MAX(id) FROM drill_runs r WHERE r.scenario_id = s.id) "
      "FROM drill_scenarios s WHERE id = ?",
      {found.first});
  if (!row.ok()) return row.status();
  json out = found.second.ToJson();
  out["id"] = found.first;
  out["version"] = (*row)->Int(0);
  out["created_by"] = (*row)->Str(1);
  out["created_at"] = FormatTime((*row)->Int(2));
  out["updated_at"] = FormatTime((*row)->Int(3));
  out["runs"] = (*row)->Int(4);
  out["last_run"] = json();
  if (!(*row)->IsNull(5)) {
    KLAXON_ASSIGN_OR_RETURN(RunRow last, LoadRun(tx, (*row)->Int(5)));
    out["last_run"] = {{"id", last.id},
                       {"status", last.status},
                       {"outcome", last.outcome},
                       {"started_at", OptTime(last.started_at)},
                       {"scheduled_at", OptTime(last.scheduled_at)}};
  }
  return out;
}

Result<json> Drills::ListScenarios(store::Tx& tx) {
  auto rows = tx.Query("SELECT id FROM drill_scenarios ORDER BY name");
  if (!rows.ok()) return rows.status();
  json items = json::array();
  for (const auto& r : *rows) {
    KLAXON_ASSIGN_OR_RETURN(json s, GetScenario(tx, std::to_string(r.Int(0))));
    items.push_back(std::move(s));
  }
  return json{{"items", items}};
}

Result<json> Drills::CreateScenario(store::Tx& tx, const json& body, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Scenario s, ParseScenario(body));
  KLAXON_RETURN_IF_ERROR(CheckReferences(tx, s));
  auto dup = tx.QueryOne("SELECT id FROM drill_scenarios WHERE name = ?", {s.name});
  if (!dup.ok()) return dup.status();
  if (*dup) return Conflict("a drill scenario named '" + s.name + "' exists");
  TimeMs now = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO drill_scenarios(name, spec, created_by, created_at, updated_at) "
      "VALUES (?,?,?,?,?) RETURNING id",
      {s.name, s.ToJson().dump(), actor.name, now, now});
  if (!row.ok()) return row.status();
  int64_t id = (*row)->Int(0);
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("drill.scenario_created", actor,
                                        {{"scenario_id", id}, {"scenario", s.ToJson()}}))
          .status());
  return GetScenario(tx, std::to_string(id));
}

Result<json> Drills::ReplaceScenario(store::Tx& tx, const std::string& key, const json& body,
                                     const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto found, FindScenario(tx, key));
  KLAXON_ASSIGN_OR_RETURN(Scenario s, ParseScenario(body));
  KLAXON_RETURN_IF_ERROR(CheckReferences(tx, s));
  auto dup = tx.QueryOne("SELECT id FROM drill_scenarios WHERE name = ? AND id <> ?",
                         {s.name, found.first});
  if (!dup.ok()) return dup.status();
  if (*dup) return Conflict("a drill scenario named '" + s.name + "' exists");
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "UPDATE drill_scenarios SET name = ?, spec = ?, version = version + 1, updated_at = ? "
      "WHERE id = ?",
      {s.name, s.ToJson().dump(), clock_.Now(), found.first}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("drill.scenario_updated", actor,
                                        {{"scenario_id", found.first}, {"scenario", s.ToJson()}}))
          .status());
  return GetScenario(tx, std::to_string(found.first));
}

Status Drills::DeleteScenario(store::Tx& tx, const std::string& key, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto found, FindScenario(tx, key));
  auto live = tx.QueryOne(
      "SELECT id, status FROM drill_runs WHERE scenario_id = ? AND status IN ('scheduled', "
      "'running') ORDER BY id LIMIT 1",
      {found.first});
  if (!live.ok()) return live.status();
  if (*live)
    return Conflict("drill scenario '" + found.second.name + "' has a " + (*live)->Str(1) +
                    " run (" + std::to_string((*live)->Int(0)) + "); cancel it first");
  // Its runs stay, by name; a later scenario that gets the same id must not inherit them.
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE drill_runs SET scenario_id = NULL WHERE scenario_id = ?", {found.first}));
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM drill_scenarios WHERE id = ?", {found.first}));
  return log_
      .Append(tx, events::Event::Of("drill.scenario_deleted", actor,
                                    {{"scenario_id", found.first}, {"name", found.second.name}}))
      .status();
}

// ---------------------------------------------------------------------------------------
// Runs

Result<Drills::RunRow> Drills::LoadRun(store::Tx& tx, int64_t run_id) {
  auto row =
      tx.QueryOne(std::string("SELECT ") + kRunColumns + " FROM drill_runs WHERE id = ?", {run_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no drill run " + std::to_string(run_id));
  const store::Row& r = **row;
  RunRow run;
  run.id = r.Int(0);
  run.scenario_id = r.OptInt(1);
  run.scenario_name = r.Str(2);
  auto spec = ParseScenario(json::parse(r.Str(3), nullptr, false));
  if (!spec.ok())
    return Internal("stored drill run " + std::to_string(run_id) + ": " + spec.status().message());
  run.spec = *spec;
  run.status = r.Str(4);
  run.outcome = r.Str(5);
  run.allow_public = r.Int(6) != 0;
  run.scheduled_at = r.OptInt(7);
  run.started_at = r.OptInt(8);
  run.ends_at = r.OptInt(9);
  run.finished_at = r.OptInt(10);
  run.incident_id = r.OptInt(11);
  run.note = r.Str(12);
  run.created_by = r.Str(13);
  run.created_at = r.Int(14);
  return run;
}

json Drills::RunJson(const RunRow& r) const {
  return {{"id", r.id},
          {"scenario",
           {{"id", r.scenario_id ? json(*r.scenario_id) : json()}, {"name", r.scenario_name}}},
          {"status", r.status},
          {"outcome", r.outcome},
          {"allow_public", r.allow_public},
          {"scheduled_at", OptTime(r.scheduled_at)},
          {"started_at", OptTime(r.started_at)},
          {"ends_at", OptTime(r.ends_at)},
          {"finished_at", OptTime(r.finished_at)},
          {"incident", r.incident_id ? json{{"id", *r.incident_id},
                                            {"ref", "INC-" + std::to_string(*r.incident_id)}}
                                     : json()},
          {"note", r.note},
          {"created_by", r.created_by},
          {"created_at", FormatTime(r.created_at)},
          {"spec", r.spec.ToJson()}};
}

Result<json> Drills::GetRun(store::Tx& tx, int64_t run_id) {
  KLAXON_ASSIGN_OR_RETURN(RunRow r, LoadRun(tx, run_id));
  json out = RunJson(r);
  if (r.incident_id) {
    KLAXON_ASSIGN_OR_RETURN(json report, ReportOf(tx, r));
    out["summary"] = report["summary"];
  }
  return out;
}

Result<json> Drills::ListRuns(store::Tx& tx, const RunFilter& f) {
  std::string sql = "SELECT id FROM drill_runs WHERE 1=1";
  std::vector<store::Value> args;
  if (f.scenario) {
    auto id = ParseInt64(*f.scenario, 1);
    if (id) {
      sql += " AND scenario_id = ?";
      args.emplace_back(*id);
    } else {
      sql += " AND scenario_name = ?";
      args.emplace_back(*f.scenario);
    }
  }
  if (f.status) {
    sql += " AND status = ?";
    args.emplace_back(*f.status);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  args.emplace_back(int64_t{f.limit});
  auto rows = tx.Query(sql, args);
  if (!rows.ok()) return rows.status();
  json items = json::array();
  for (const auto& row : *rows) {
    KLAXON_ASSIGN_OR_RETURN(json r, GetRun(tx, row.Int(0)));
    items.push_back(std::move(r));
  }
  return json{{"items", items}};
}

Result<json> Drills::Run(store::Tx& tx, const std::string& scenario, std::optional<TimeMs> at,
                         const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto found, FindScenario(tx, scenario));
  const Scenario& s = found.second;
  TimeMs now = clock_.Now();
  if (at && *at <= now) return InvalidField("/at", "must be in the future");
  if (at && *at > now + kMaxAheadMs) return InvalidField("/at", "must be within a year");
  KLAXON_RETURN_IF_ERROR(CheckReferences(tx, s));
  auto row = tx.QueryOne(
      "INSERT INTO drill_runs(scenario_id, scenario_name, spec, status, allow_public, "
      "scheduled_at, created_by, created_at) VALUES (?,?,?,'scheduled',?,?,?,?) RETURNING id",
      {found.first, s.name, s.ToJson().dump(), int64_t{s.allow_public},
       at ? store::Value(*at) : store::Value(nullptr), actor.name, now});
  if (!row.ok()) return row.status();
  int64_t id = (*row)->Int(0);
  if (at) {
    KLAXON_RETURN_IF_ERROR(timers_.Set(tx, kStartTimer, id, *at));
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("drill.scheduled", actor,
                                                             {{"run_id", id},
                                                              {"scenario", s.name},
                                                              {"scheduled_at", FormatTime(*at)}}))
                               .status());
  } else {
    KLAXON_RETURN_IF_ERROR(Start(tx, id, true));
  }
  return GetRun(tx, id);
}

Status Drills::Start(store::Tx& tx, int64_t run_id, bool refuse_silenced) {
  KLAXON_ASSIGN_OR_RETURN(RunRow run, LoadRun(tx, run_id));
  if (run.status != "scheduled") return Status::Ok();
  TimeMs now = clock_.Now();
  // A scheduled run takes the scenario as it is now (it may have been edited since).
  if (run.scenario_id) {
    auto current = FindScenario(tx, std::to_string(*run.scenario_id));
    if (current.ok()) {
      run.spec = current->second;
      run.allow_public = run.spec.allow_public;
    }
  }
  auto fail = [&](const std::string& outcome, const std::string& note) {
    return FailRun(tx, run, outcome, note);
  };
  Status refs = CheckReferences(tx, run.spec);
  if (!refs.ok()) {
    if (refs.code() != Code::kInvalidArgument) return refs;
    std::string why = refs.message();
    for (const auto& e : refs.fields()) why += "; " + e.field + ": " + e.message;
    return fail("invalid", why);
  }
  KLAXON_ASSIGN_OR_RETURN(incidents::Service svc, incidents_.FindService(tx, run.spec.service));
  KLAXON_ASSIGN_OR_RETURN(alerts::Integration in, alerts_.DrillIntegration(tx));
  KLAXON_ASSIGN_OR_RETURN(alerts::IngestResult result,
                          alerts_.Ingest(tx, in, AlertsForRun(run.spec, run_id, svc.name, now)));
  if (result.incidents_opened.empty()) {
    std::string note =
        "every alert of the drill was silenced (a silence or maintenance window matches)";
    if (refuse_silenced) return Conflict("the drill did not start: " + note);
    return fail("silenced", note);
  }
  int64_t incident_id = result.incidents_opened.front();
  TimeMs ends = now + run.spec.time_limit;
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "UPDATE drill_runs SET status = 'running', spec = ?, allow_public = ?, started_at = ?, "
      "ends_at = ?, incident_id = ? WHERE id = ?",
      {run.spec.ToJson().dump(), int64_t{run.allow_public}, now, ends, incident_id, run_id}));
  KLAXON_RETURN_IF_ERROR(timers_.Set(tx, kEndTimer, run_id, ends));
  return log_
      .Append(tx, events::Event::Of("drill.started", DrillActor(),
                                    {{"run_id", run_id},
                                     {"scenario", run.scenario_name},
                                     {"ends_at", FormatTime(ends)},
                                     {"expected_actions", run.spec.ToJson()["expected_actions"]}},
                                    incident_id))
      .status();
}

Status Drills::FailRun(store::Tx& tx, RunRow& run, const std::string& outcome,
                       const std::string& note) {
  TimeMs now = clock_.Now();
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE drill_runs SET status = 'failed', outcome = ?, note = ?, finished_at = ? "
              "WHERE id = ?",
              {outcome, note, now, run.id}));
  KLAXON_RETURN_IF_ERROR(ResolveAlerts(tx, run));
  return log_
      .Append(tx, events::Event::Of("drill.failed", DrillActor(),
                                    {{"run_id", run.id},
                                     {"scenario", run.scenario_name},
                                     {"outcome", outcome},
                                     {"note", note}}))
      .status();
}

Status Drills::ResolveAlerts(store::Tx& tx, const RunRow& run) {
  // Every alert of the run, silenced ones (no incident) too.
  KLAXON_ASSIGN_OR_RETURN(alerts::Integration in, alerts_.DrillIntegration(tx));
  auto rows = tx.Query(
      "SELECT fingerprint, labels FROM alerts WHERE integration_id = ? AND status = 'firing' "
      "AND json_extract(labels, '$.drill_run') = ?",
      {in.id, std::to_string(run.id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Ok();
  TimeMs now = clock_.Now();
  std::vector<intake::NormalizedAlert> batch;
  for (const auto& r : *rows) {
    intake::NormalizedAlert a;
    a.fingerprint = r.Str(0);
    a.firing = false;
    a.labels = json::parse(r.Str(1), nullptr, false).get<intake::Labels>();
    a.starts_at = run.started_at.value_or(now);
    a.ends_at = now;
    batch.push_back(std::move(a));
  }
  return alerts_.Ingest(tx, in, batch).status();
}

Status Drills::Finish(store::Tx& tx, RunRow& run, const std::string& status,
                      const std::string& outcome, const std::string& resolution) {
  TimeMs now = clock_.Now();
  run.status = status;
  run.outcome = outcome;
  run.finished_at = now;
  // The run ends first: the resolution below is then not taken for the team's.
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE drill_runs SET status = ?, outcome = ?, finished_at = ? WHERE id = ?",
              {status, outcome, now, run.id}));
  KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kEndTimer, run.id));
  if (!run.incident_id) return Status::Ok();
  if (!resolution.empty()) {
    KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, *run.incident_id));
    if (inc.status != incidents::IncidentStatus::kResolved)
      KLAXON_RETURN_IF_ERROR(incidents_.Resolve(tx, inc.id, resolution, DrillActor()).status());
  }
  // The drill's alerts end with it (their source, the drill, says so).
  KLAXON_RETURN_IF_ERROR(ResolveAlerts(tx, run));
  KLAXON_ASSIGN_OR_RETURN(json report, ReportOf(tx, run));
  return log_
      .Append(tx, events::Event::Of(status == "cancelled" ? "drill.cancelled" : "drill.finished",
                                    DrillActor(),
                                    {{"run_id", run.id},
                                     {"scenario", run.scenario_name},
                                     {"outcome", outcome},
                                     {"summary", report["summary"]}},
                                    run.incident_id))
      .status();
}

Result<json> Drills::Cancel(store::Tx& tx, int64_t run_id, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(RunRow run, LoadRun(tx, run_id));
  if (run.status == "scheduled") {
    KLAXON_RETURN_IF_ERROR(tx.Exec(
        "UPDATE drill_runs SET status = 'cancelled', outcome = 'cancelled', finished_at = ? "
        "WHERE id = ?",
        {clock_.Now(), run_id}));
    KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kStartTimer, run_id));
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("drill.cancelled", actor,
                                                             {{"run_id", run_id},
                                                              {"scenario", run.scenario_name},
                                                              {"outcome", "cancelled"}}))
                               .status());
    return GetRun(tx, run_id);
  }
  if (run.status != "running")
    return Conflict("drill run " + std::to_string(run_id) + " is " + run.status);
  KLAXON_RETURN_IF_ERROR(
      Finish(tx, run, "cancelled", "cancelled", "Drill cancelled by " + actor.name));
  return GetRun(tx, run_id);
}

Status Drills::OnStartTimer(store::Tx& tx, int64_t run_id, TimeMs due) {
  KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kStartTimer, run_id));
  auto run = LoadRun(tx, run_id);
  if (!run.ok()) return run.status().code() == Code::kNotFound ? Status::Ok() : run.status();
  if (run->status != "scheduled") return Status::Ok();
  // Not hours late after downtime: a drill pages people, who expect it when planned.
  if (clock_.Now() - due > kStartGraceMs)
    return FailRun(tx, *run, "missed",
                   "the server was not running at the scheduled time (" + FormatTime(due) +
                       "); the drill did not start late");
  return Start(tx, run_id, false);
}

Status Drills::OnEndTimer(store::Tx& tx, int64_t run_id) {
  auto run = LoadRun(tx, run_id);
  if (!run.ok()) return run.status().code() == Code::kNotFound ? Status::Ok() : run.status();
  if (run->status != "running") return timers_.Clear(tx, kEndTimer, run_id);
  return Finish(tx, *run, "finished", "time_limit",
                "Drill ended: the time limit of " + playbook::FormatDuration(run->spec.time_limit) +
                    " was reached");
}

Status Drills::OnResolved(store::Tx& tx, const events::Event& e) {
  auto row = tx.QueryOne(
      "SELECT id FROM drill_runs WHERE incident_id = ? AND status = 'running' ORDER BY id DESC "
      "LIMIT 1",
      {*e.incident_id});
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  KLAXON_ASSIGN_OR_RETURN(RunRow run, LoadRun(tx, (*row)->Int(0)));
  return Finish(tx, run, "finished", "resolved", "");
}

Result<json> Drills::ReportOf(store::Tx& tx, const RunRow& r) {
  RunFacts f;
  f.run_id = r.id;
  f.scenario = r.spec;
  f.status = r.status;
  f.outcome = r.outcome;
  f.started_at = r.started_at;
  f.ends_at = r.ends_at;
  f.finished_at = r.finished_at;
  f.now = clock_.Now();
  auto doc = response_.doc();
  if (r.incident_id) {
    KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, *r.incident_id));
    f.level = response::Response::Level(*doc, inc.severity);
    f.incident = std::move(inc);
    KLAXON_ASSIGN_OR_RETURN(f.events, log_.List(tx, 0, *r.incident_id, 20'000));
  }
  json report = BuildReport(f);
  json run = RunJson(r);
  run["time_limit"] = playbook::FormatDuration(r.spec.time_limit);
  run.erase("spec");
  report["run"] = run;
  report["scenario"] = r.spec.ToJson();
  return report;
}

Result<json> Drills::Report(store::Tx& tx, int64_t run_id) {
  KLAXON_ASSIGN_OR_RETURN(RunRow r, LoadRun(tx, run_id));
  return ReportOf(tx, r);
}

}  // namespace klaxon::drills
