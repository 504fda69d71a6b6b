#include "response/response.h"

#include <date/tz.h>
#include <algorithm>
#include <cctype>
#include <set>

#include "core/log.h"
#include "core/time_format.h"
#include "notify/mustache_data.h"
#include "playbook/calendar.h"
#include "runbook/runbook.h"

namespace klaxon::response {

using nlohmann::json;

namespace {

constexpr const char* kAckTimer = "target.ack";
constexpr const char* kResolveTimer = "target.resolve";
constexpr const char* kMatrixTimer = "matrix";
constexpr const char* kUpdateTimer = "update";
constexpr const char* kSettingKey = "playbook";

events::Actor EngineActor() { return {"system", std::nullopt, "engine"}; }

json OptTime(const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(); }

json OptDuration(const std::optional<playbook::DurationMs>& d) {
  return d ? json(playbook::FormatDuration(*d)) : json();
}

std::string Normalized(const std::string& role) {
  std::string out;
  for (unsigned char c : role) out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  return out;
}

std::string Slug(const std::string& title) {
  std::string out;
  for (unsigned char c : title) {
    if (std::isalnum(c))
      out += static_cast<char>(std::tolower(c));
    else if (!out.empty() && out.back() != '-')
      out += '-';
    if (out.size() >= 40) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "incident" : out;
}

std::string LocalDate(const std::string& zone, TimeMs t) {
  auto sys = date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(t));
  try {
    auto local = date::make_zoned(date::locate_zone(zone.empty() ? "UTC" : zone), sys);
    return date::format("%F", date::floor<date::days>(local.get_local_time()));
  } catch (const std::exception&) {
    return date::format("%F", date::floor<date::days>(sys));
  }
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

json TargetsJson(const std::vector<playbook::Target>& ts) {
  json out = json::array();
  for (const auto& t : ts) out.push_back(t.type + ":" + t.name);
  return out;
}

}  // namespace

struct Response::ClockRow {
  int64_t incident_id = 0;
  std::optional<TimeMs> ack_due_at, ack_missed_at, resolve_due_at, resolve_missed_at;
  int64_t matrix_done = 0;
  std::optional<TimeMs> update_due_at, update_reminded_at, update_late_at;
  int64_t updates = 0;
  std::optional<TimeMs> last_update_at, review_due_at;
};

Response::Response(const Clock& clock, events::EventLog& log, engine::Timers& timers,
                   paging::Pager& pager, paging::People& people,
                   incidents::IncidentService& incidents, Options options)
    : clock_(clock),
      log_(log),
      timers_(timers),
      pager_(pager),
      people_(people),
      incidents_(incidents),
      options_(options),
      doc_(std::make_shared<playbook::Document>()) {}

// ---------------------------------------------------------------------------------------
// The playbook in force

Status Response::Load(store::Tx& tx) {
  auto row = tx.QueryOne("SELECT value FROM settings WHERE key = ?", {std::string(kSettingKey)});
  if (!row.ok()) return row.status();
  auto doc = std::make_shared<playbook::Document>();
  if (*row) {
    json j = json::parse((*row)->Str(0), nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      playbook::LoadResult r = playbook::LoadJson(j);
      if (r.ok())
        *doc = std::move(r.doc);
      else
        LogWarn("the stored playbook is not valid; running without it",
                {{"problems", r.problems.size()}});
    }
  }
  std::lock_guard lock(mu_);
  doc_ = std::move(doc);
  return Status::Ok();
}

std::shared_ptr<const playbook::Document> Response::doc() const {
  std::lock_guard lock(mu_);
  return doc_;
}

const playbook::Severity* Response::Level(const playbook::Document& doc, const std::string& name) {
  for (const auto& s : doc.severities)
    if (s.name == name) return &s;
  return nullptr;
}

void Response::Install() {
  log_.AddTxHook([this](store::Tx& tx, const events::Event& e) { return OnEvent(tx, e); });
  timers_.On(kAckTimer,
             [this](store::Tx& tx, int64_t id, TimeMs due) { return OnAckTimer(tx, id, due); });
  timers_.On(kResolveTimer,
             [this](store::Tx& tx, int64_t id, TimeMs due) { return OnResolveTimer(tx, id, due); });
  timers_.On(kMatrixTimer,
             [this](store::Tx& tx, int64_t id, TimeMs due) { return OnMatrixTimer(tx, id, due); });
  timers_.On(kUpdateTimer,
             [this](store::Tx& tx, int64_t id, TimeMs due) { return OnUpdateTimer(tx, id, due); });
  incidents_.SetSeverityScheme([this] {
    std::vector<incidents::SeverityLevel> out;
    auto d = doc();
    for (const auto& s : d->severities) out.push_back({s.name, s.rank, s.description});
    return out;
  });
  pager_.SetPlanHook(
      [this](store::Tx& tx, const incidents::Incident& inc) { return Plan(tx, inc); });
}

std::optional<playbook::Classification> Response::Classify(
    const playbook::LabelMap& labels, const playbook::LabelMap& annotations) const {
  auto d = doc();
  if (d->classification_rules.empty()) return std::nullopt;
  auto c = playbook::Classify(d->classification_rules, labels, annotations);
  if (c && !Level(*d, c->severity)) return std::nullopt;
  return c;
}

Result<paging::PagePlan> Response::Plan(store::Tx& /*tx*/, const incidents::Incident& inc) {
  paging::PagePlan plan;
  auto d = doc();
  const playbook::Severity* level = Level(*d, inc.severity);
  if (!level) return plan;
  plan.policy = level->escalation_policy;
  if (level->page == playbook::PageMode::kNever) {
    plan.mode = paging::PagePlan::Mode::kNever;
    plan.reason = level->name + " is record-only: the incident is tracked, nobody is paged";
  } else if (level->page == playbook::PageMode::kBusinessHours) {
    const playbook::BusinessCalendar cal =
        d->organization ? d->organization->business_calendar : playbook::BusinessCalendar{};
    TimeMs now = clock_.Now();
    if (!playbook::IsBusinessTime(cal, now)) {
      plan.mode = paging::PagePlan::Mode::kDefer;
      plan.defer_until = playbook::NextBusinessStart(cal, now);
      plan.reason = level->name + " pages in business hours only";
    }
  }
  return plan;
}

// ---------------------------------------------------------------------------------------
// The clock row

Result<std::optional<Response::ClockRow>> Response::LoadClock(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne(
      "SELECT ack_due_at, ack_missed_at, resolve_due_at, resolve_missed_at, matrix_done, "
      "update_due_at, update_reminded_at, update_late_at, updates, last_update_at, review_due_at "
      "FROM incident_clocks WHERE incident_id = ?",
      {id});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ClockRow>();
  const auto& r = **row;
  auto opt = [&](int i) { return r.IsNull(i) ? std::optional<TimeMs>() : r.Int(i); };
  ClockRow c;
  c.incident_id = id;
  c.ack_due_at = opt(0);
  c.ack_missed_at = opt(1);
  c.resolve_due_at = opt(2);
  c.resolve_missed_at = opt(3);
  c.matrix_done = r.Int(4);
  c.update_due_at = opt(5);
  c.update_reminded_at = opt(6);
  c.update_late_at = opt(7);
  c.updates = r.Int(8);
  c.last_update_at = opt(9);
  c.review_due_at = opt(10);
  return std::optional<ClockRow>(c);
}

Status Response::SaveClock(store::Tx& tx, const ClockRow& c) {
  using store::Opt;
  return tx.Exec(
      "INSERT INTO incident_clocks(incident_id, ack_due_at, ack_missed_at, resolve_due_at, "
      "resolve_missed_at, matrix_done, update_due_at, update_reminded_at, update_late_at, "
      "updates, last_update_at, review_due_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(incident_id) DO UPDATE SET ack_due_at = excluded.ack_due_at, "
      "ack_missed_at = excluded.ack_missed_at, resolve_due_at = excluded.resolve_due_at, "
      "resolve_missed_at = excluded.resolve_missed_at, matrix_done = excluded.matrix_done, "
      "update_due_at = excluded.update_due_at, update_reminded_at = "
      "excluded.update_reminded_at, update_late_at = excluded.update_late_at, updates = "
      "excluded.updates, last_update_at = excluded.last_update_at, review_due_at = "
      "excluded.review_due_at",
      {c.incident_id, Opt(c.ack_due_at), Opt(c.ack_missed_at), Opt(c.resolve_due_at),
       Opt(c.resolve_missed_at), c.matrix_done, Opt(c.update_due_at), Opt(c.update_reminded_at),
       Opt(c.update_late_at), c.updates, Opt(c.last_update_at), Opt(c.review_due_at)});
}

TimeMs Response::UpdateLead(const playbook::Severity& level) const {
  TimeMs every = level.update_every.value_or(0);
  return std::min<TimeMs>(options_.reminder_lead_ms, every / 2);
}

Status Response::ClearTimers(store::Tx& tx, int64_t id) {
  for (const char* k : {kAckTimer, kResolveTimer, kMatrixTimer, kUpdateTimer})
    KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, k, id));
  return Status::Ok();
}

Status Response::ArmTimers(store::Tx& tx, const ClockRow& c, const incidents::Incident& inc,
                           const playbook::Severity* level) {
  int64_t id = inc.id;
  if (!level || inc.status == incidents::IncidentStatus::kResolved) return ClearTimers(tx, id);
  bool unacked = inc.status == incidents::IncidentStatus::kTriggered;
  if (c.ack_due_at && !c.ack_missed_at && unacked)
    KLAXON_RETURN_IF_ERROR(timers_.Set(tx, kAckTimer, id, *c.ack_due_at));
  else
    KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kAckTimer, id));
  if (c.resolve_due_at && !c.resolve_missed_at)
    KLAXON_RETURN_IF_ERROR(timers_.Set(tx, kResolveTimer, id, *c.resolve_due_at));
  else
    KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kResolveTimer, id));
  const auto& matrix = level->escalation_matrix;
  if (c.matrix_done < static_cast<int64_t>(matrix.size()))
    KLAXON_RETURN_IF_ERROR(
        timers_.Set(tx, kMatrixTimer, id, inc.created_at + matrix[c.matrix_done].after));
  else
    KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kMatrixTimer, id));
  std::optional<TimeMs> update_at;
  if (c.update_due_at && !c.update_late_at)
    update_at = c.update_reminded_at ? *c.update_due_at : *c.update_due_at - UpdateLead(*level);
  if (update_at)
    KLAXON_RETURN_IF_ERROR(timers_.Set(tx, kUpdateTimer, id, *update_at));
  else
    KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kUpdateTimer, id));
  return Status::Ok();
}

// Sets the incident's due times from its level, counted from its creation. `retime` (a
// severity change) restarts the matrix and moves targets not yet met or missed;
// `restart_at` (a reopen) starts the acknowledgement target and the cadence over.
Status Response::Arm(store::Tx& tx, const incidents::Incident& inc, const playbook::Document& doc,
                     bool retime, std::optional<TimeMs> restart_at) {
  const playbook::Severity* level = Level(doc, inc.severity);
  KLAXON_ASSIGN_OR_RETURN(auto existing, LoadClock(tx, inc.id));
  if (!level && !existing) return Status::Ok();
  ClockRow c = existing.value_or(ClockRow{});
  c.incident_id = inc.id;
  if (level) {
    // A level that pages in business hours only starts its acknowledgement and update
    // clocks when they open.
    TimeMs start = restart_at.value_or(inc.created_at);
    if (level->page == playbook::PageMode::kBusinessHours) {
      const playbook::BusinessCalendar cal =
          doc.organization ? doc.organization->business_calendar : playbook::BusinessCalendar{};
      start = playbook::NextBusinessStart(cal, start);
    }
    if (restart_at) c.ack_missed_at.reset();
    if (!c.ack_missed_at)
      c.ack_due_at =
          level->ack_target ? std::optional<TimeMs>(start + *level->ack_target) : std::nullopt;
    if (!c.resolve_missed_at)
      c.resolve_due_at = level->resolve_target
                             ? std::optional<TimeMs>(inc.created_at + *level->resolve_target)
                             : std::nullopt;
    if (retime) c.matrix_done = 0;
    std::optional<TimeMs> due;
    if (level->update_every)
      due = (restart_at ? start : c.last_update_at.value_or(start)) + *level->update_every;
    if (due != c.update_due_at) {
      c.update_due_at = due;
      c.update_reminded_at.reset();
      c.update_late_at.reset();
    }
  }
  KLAXON_RETURN_IF_ERROR(SaveClock(tx, c));
  return ArmTimers(tx, c, inc, level);
}

// ---------------------------------------------------------------------------------------
// Reactions

Status Response::OnEvent(store::Tx& tx, const events::Event& e) {
  if (e.kind == "config.applied") return Load(tx);
  if (!e.incident_id || !e.kind.starts_with("incident.")) return Status::Ok();
  int64_t id = *e.incident_id;
  if (e.kind == "incident.declared") return OnDeclared(tx, id);
  if (e.kind == "incident.resolved") return OnResolved(tx, id);
  if (e.kind == "incident.acknowledged") return timers_.Clear(tx, kAckTimer, id);
  if (e.kind == "incident.reopened" || e.kind == "incident.severity_changed") {
    auto d = doc();
    KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, id));
    bool retime = e.kind == "incident.severity_changed";
    // Reopened: the acknowledgement target and the update cadence count from now (the
    // resolve target and the matrix still count from the incident's creation).
    KLAXON_RETURN_IF_ERROR(
        Arm(tx, inc, *d, retime, retime ? std::nullopt : std::optional<TimeMs>(clock_.Now())));
    if (retime && inc.status == incidents::IncidentStatus::kTriggered) {
      // Raised from a level that pages nobody to one that pages: start paging now.
      const playbook::Severity* from = Level(*d, e.data.value("from", ""));
      const playbook::Severity* to = Level(*d, inc.severity);
      if (from && to && from->page == playbook::PageMode::kNever &&
          to->page != playbook::PageMode::kNever) {
        auto r = pager_.EscalateNow(tx, id, e.actor);
        if (!r.ok() && r.status().code() != Code::kConflict) return r.status();
      }
    }
    return Status::Ok();
  }
  return Status::Ok();
}

Status Response::OnDeclared(store::Tx& tx, int64_t id) {
  auto d = doc();
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, id));
  const playbook::Severity* level = Level(*d, inc.severity);
  if (!level) return Status::Ok();
  if (level->war_room && d->organization && !d->organization->war_room_pattern.empty()) {
    std::string name = d->organization->war_room_pattern;
    ReplaceAll(name, "{{date}}", LocalDate(d->organization->time_zone, inc.created_at));
    ReplaceAll(name, "{{slug}}", Slug(inc.title));
    ReplaceAll(name, "{{ref}}", inc.ref());
    ReplaceAll(name, "{{severity}}", inc.severity);
    KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE incidents SET war_room = ? WHERE id = ?", {name, id}));
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("incident.war_room_opened",
                                                             EngineActor(), {{"name", name}}, id))
                               .status());
  }
  // Required roles with a default holder (a schedule) go to whoever is on call there.
  for (const auto& name : level->required_roles) {
    for (const auto& r : d->roles) {
      if (r.name != name || r.schedule.empty()) continue;
      KLAXON_ASSIGN_OR_RETURN(auto u, pager_.OnCallNow(tx, r.schedule));
      if (!u) continue;
      auto assigned = pager_.AssignRole(tx, id, name, u->username, EngineActor());
      if (!assigned.ok() && assigned.status().code() != Code::kConflict) return assigned.status();
    }
  }
  KLAXON_RETURN_IF_ERROR(Arm(tx, inc, *d, false));
  std::string detail = inc.impact.empty() ? inc.description : "Impact: " + inc.impact;
  return TellStakeholders(tx, inc, *level, "declared", "declared", detail);
}

Status Response::OnResolved(store::Tx& tx, int64_t id) {
  KLAXON_RETURN_IF_ERROR(ClearTimers(tx, id));
  auto d = doc();
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, id));
  const playbook::Severity* level = Level(*d, inc.severity);
  if (!level) return Status::Ok();
  KLAXON_ASSIGN_OR_RETURN(auto existing, LoadClock(tx, id));
  ClockRow c = existing.value_or(ClockRow{});
  c.incident_id = id;
  TimeMs resolved = inc.resolved_at.value_or(clock_.Now());
  const playbook::Review& review = level->review;
  if (review.required) {
    std::string deadline;
    if (review.deadline) {
      c.review_due_at = resolved + *review.deadline;
      deadline = playbook::FormatDuration(*review.deadline);
    } else if (review.deadline_business_days > 0) {
      const playbook::BusinessCalendar cal =
          d->organization ? d->organization->business_calendar : playbook::BusinessCalendar{};
      c.review_due_at = playbook::AddBusinessDays(cal, resolved, review.deadline_business_days);
      deadline = std::to_string(review.deadline_business_days) + " business days";
    }
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("incident.review_due", EngineActor(),
                                                             {{"severity", level->name},
                                                              {"due_at", OptTime(c.review_due_at)},
                                                              {"deadline", deadline}},
                                                             id))
                               .status());
  }
  KLAXON_RETURN_IF_ERROR(SaveClock(tx, c));
  return TellStakeholders(tx, inc, *level, "resolved", "resolved", inc.resolution_summary);
}

// Runs a timer's handler with the incident's clock row, the incident, the playbook and
// its level (nothing when the incident or its row is gone), then re-arms its timers.
Status Response::WithClock(store::Tx& tx, int64_t id, const char* timer, const ClockFn& fn) {
  KLAXON_ASSIGN_OR_RETURN(auto c, LoadClock(tx, id));
  auto inc = incidents_.Get(tx, id);
  if (!inc.ok()) return inc.status().code() == Code::kNotFound ? Status::Ok() : inc.status();
  if (!c) return timers_.Clear(tx, timer, id);
  auto d = doc();
  const playbook::Severity* level = Level(*d, inc->severity);
  KLAXON_RETURN_IF_ERROR(fn(&*c, &*inc, *d, level, clock_.Now()));
  return ArmTimers(tx, *c, *inc, level);
}

Result<bool> Response::MissTarget(store::Tx& tx, ClockRow& c, const std::optional<TimeMs>& due,
                                  std::optional<TimeMs>& missed, const playbook::Severity& level,
                                  const std::optional<playbook::DurationMs>& target,
                                  const char* kind, TimeMs now) {
  if (!due || missed || now < *due) return false;
  missed = now;
  KLAXON_RETURN_IF_ERROR(SaveClock(tx, c));
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of(kind, EngineActor(),
                                                           {{"severity", level.name},
                                                            {"target", OptDuration(target)},
                                                            {"due_at", FormatTime(*due)}},
                                                           c.incident_id))
                             .status());
  return true;
}

Status Response::OnAckTimer(store::Tx& tx, int64_t id, TimeMs /*due*/) {
  return WithClock(
      tx, id, kAckTimer,
      [&](ClockRow* c, const incidents::Incident* inc, const playbook::Document& /*doc*/,
          const playbook::Severity* level, TimeMs now) -> Status {
        if (!level || inc->status != incidents::IncidentStatus::kTriggered) return Status::Ok();
        KLAXON_ASSIGN_OR_RETURN(bool missed,
                                MissTarget(tx, *c, c->ack_due_at, c->ack_missed_at, *level,
                                           level->ack_target, "incident.ack_target_missed", now));
        if (missed && level->page != playbook::PageMode::kNever) {
          auto r = pager_.EscalateNow(tx, id, EngineActor());
          if (!r.ok() && r.status().code() != Code::kConflict) return r.status();
        }
        return Status::Ok();
      });
}

Status Response::OnResolveTimer(store::Tx& tx, int64_t id, TimeMs /*due*/) {
  return WithClock(
      tx, id, kResolveTimer,
      [&](ClockRow* c, const incidents::Incident* inc, const playbook::Document& /*doc*/,
          const playbook::Severity* level, TimeMs now) -> Status {
        if (!level || inc->status == incidents::IncidentStatus::kResolved) return Status::Ok();
        KLAXON_ASSIGN_OR_RETURN(
            bool missed, MissTarget(tx, *c, c->resolve_due_at, c->resolve_missed_at, *level,
                                    level->resolve_target, "incident.resolve_target_missed", now));
        if (!missed) return Status::Ok();
        return TellStakeholders(tx, *inc, *level, "resolve_target_missed",
                                "resolution target missed",
                                "The resolution target for " + level->name + " is " +
                                    playbook::FormatDuration(level->resolve_target.value_or(0)) +
                                    "; the incident is still open.");
      });
}

Status Response::OnMatrixTimer(store::Tx& tx, int64_t id, TimeMs /*due*/) {
  return WithClock(
      tx, id, kMatrixTimer,
      [&](ClockRow* c, const incidents::Incident* inc, const playbook::Document& doc,
          const playbook::Severity* level, TimeMs now) -> Status {
        if (level && inc->status != incidents::IncidentStatus::kResolved &&
            c->matrix_done < static_cast<int64_t>(level->escalation_matrix.size())) {
          const playbook::MatrixStep& step = level->escalation_matrix[c->matrix_done];
          if (now >= inc->created_at + step.after) {
            KLAXON_ASSIGN_OR_RETURN(auto users, Resolve(tx, id, doc, step.notify, nullptr));
            std::string key = "matrix:" + std::to_string(id) + ":" + level->name + ":" +
                              std::to_string(c->matrix_done);
            KLAXON_RETURN_IF_ERROR(pager_.PageUsers(tx, id, users, key));
            json paged = json::array();
            for (const auto& u : users) paged.push_back(u.username);
            KLAXON_RETURN_IF_ERROR(
                log_.Append(tx, events::Event::Of("incident.matrix_escalated", EngineActor(),
                                                  {{"severity", level->name},
                                                   {"step", c->matrix_done + 1},
                                                   {"after", playbook::FormatDuration(step.after)},
                                                   {"targets", TargetsJson(step.notify)},
                                                   {"paged", paged}},
                                                  id))
                    .status());
            c->matrix_done++;
            KLAXON_RETURN_IF_ERROR(SaveClock(tx, *c));
          }
        }
        return Status::Ok();
      });
}

Status Response::OnUpdateTimer(store::Tx& tx, int64_t id, TimeMs /*due*/) {
  return WithClock(
      tx, id, kUpdateTimer,
      [&](ClockRow* c, const incidents::Incident* inc, const playbook::Document& doc,
          const playbook::Severity* level, TimeMs now) -> Status {
        if (level && inc->status != incidents::IncidentStatus::kResolved && c->update_due_at &&
            !c->update_late_at) {
          TimeMs due = *c->update_due_at;
          bool late = now >= due;
          bool soon = !late && !c->update_reminded_at && now >= due - UpdateLead(*level);
          if (late || soon) {
            KLAXON_ASSIGN_OR_RETURN(auto owners, UpdateOwners(tx, *inc, doc));
            std::string number = std::to_string(c->updates + 1);
            std::string what =
                late ? "update #" + number + " is late" : "update #" + number + " due soon";
            std::string detail =
                std::string(late ? "The next update was due at " : "The next update is due at ") +
                FormatTime(due) + " (every " +
                playbook::FormatDuration(level->update_every.value_or(0)) + " for " + level->name +
                ").";
            json notified = json::array();
            for (const auto& u : owners) {
              KLAXON_RETURN_IF_ERROR(Notify(
                  tx, *inc, u, "reminder",
                  std::string(late ? "late:" : "soon:") + std::to_string(due), what, detail));
              notified.push_back(u.username);
            }
            KLAXON_RETURN_IF_ERROR(
                log_.Append(tx, events::Event::Of(
                                    late ? "incident.update_late" : "incident.update_due_soon",
                                    EngineActor(),
                                    {{"due_at", FormatTime(due)},
                                     {"update_number", c->updates + 1},
                                     {"notified", notified}},
                                    id))
                    .status());
            c->update_reminded_at = c->update_reminded_at.value_or(now);
            if (late) c->update_late_at = now;
            KLAXON_RETURN_IF_ERROR(SaveClock(tx, *c));
          }
        }
        return Status::Ok();
      });
}

Result<int64_t> Response::UpdatePosted(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  auto d = doc();
  const playbook::Severity* level = Level(*d, inc.severity);
  KLAXON_ASSIGN_OR_RETURN(auto existing, LoadClock(tx, incident_id));
  ClockRow c = existing.value_or(ClockRow{});
  c.incident_id = incident_id;
  TimeMs now = clock_.Now();
  c.updates++;
  c.last_update_at = now;
  c.update_due_at.reset();
  if (level && level->update_every) c.update_due_at = now + *level->update_every;
  c.update_reminded_at.reset();
  c.update_late_at.reset();
  KLAXON_RETURN_IF_ERROR(SaveClock(tx, c));
  KLAXON_RETURN_IF_ERROR(ArmTimers(tx, c, inc, level));
  return c.updates;
}

Result<nlohmann::json> Response::PostUpdate(store::Tx& tx, int64_t incident_id,
                                            const std::string& text, const std::string& subject,
                                            const std::vector<std::string>& audiences,
                                            const events::Actor& actor) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return InvalidField("/text", "is required");
  if (text.size() > incidents::kMaxText)
    return InvalidField("/text", "must be at most 10000 characters");
  if (subject.size() > incidents::kMaxTitle)
    return InvalidField("/subject", "must be at most 200 characters");
  static const std::set<std::string> kKnown = {"internal",       "stakeholders",
                                               "internal_chat",  "stakeholder_email",
                                               "customer_email", "status_page"};
  std::vector<std::string> to;
  for (size_t i = 0; i < audiences.size(); ++i) {
    if (!kKnown.count(audiences[i]))
      return InvalidField("/audiences/" + std::to_string(i),
                          "must be internal, internal_chat, stakeholders (stakeholder_email), "
                          "customer_email or status_page");
    std::string a = audiences[i] == "stakeholder_email" ? "stakeholders" : audiences[i];
    if (std::find(to.begin(), to.end(), a) == to.end()) to.push_back(a);
  }
  if (std::find(to.begin(), to.end(), "internal") == to.end()) to.insert(to.begin(), "internal");
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  for (size_t i = 0; i < audiences.size() && inc.drill; ++i)
    if (audiences[i] == "status_page" || audiences[i] == "customer_email")
      KLAXON_RETURN_IF_ERROR(
          incidents::CheckMayGoPublic(tx, incident_id, "/audiences/" + std::to_string(i)));
  KLAXON_ASSIGN_OR_RETURN(int64_t number, UpdatePosted(tx, incident_id));
  KLAXON_ASSIGN_OR_RETURN(auto c, LoadClock(tx, incident_id));
  json data = {{"update_number", number},
               {"subject", subject},
               {"text", text},
               {"audiences", to},
               {"next_due_at", c && inc.status != incidents::IncidentStatus::kResolved
                                   ? OptTime(c->update_due_at)
                                   : json()}};
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("incident.update_posted", actor, data, incident_id))
          .status());
  auto has = [&](const char* a) { return std::find(to.begin(), to.end(), a) != to.end(); };
  std::string headline = subject.empty() ? "update #" + std::to_string(number) : subject;
  auto d = doc();
  const playbook::Severity* level = Level(*d, inc.severity);
  if (has("stakeholders") && level)
    KLAXON_RETURN_IF_ERROR(
        TellStakeholders(tx, inc, *level, "update:" + std::to_string(number), headline, text));
  if (has("internal_chat")) {
    // The responders: everyone holding a role on the incident.
    auto rows = tx.Query(
        "SELECT DISTINCT r.user_id FROM incident_roles r JOIN users u ON u.id = "
        "r.user_id WHERE r.incident_id = ? AND u.deactivated_at IS NULL",
        {incident_id});
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      auto u = people_.GetUser(tx, r.Int(0));
      if (!u.ok()) continue;
      KLAXON_RETURN_IF_ERROR(Notify(tx, inc, *u, "update", std::to_string(number), headline, text));
    }
  }
  return data;
}

// ---------------------------------------------------------------------------------------
// People

Result<std::vector<paging::UserRef>> Response::Resolve(store::Tx& tx, int64_t incident_id,
                                                       const playbook::Document& doc,
                                                       const std::vector<playbook::Target>& targets,
                                                       std::vector<std::string>* emails) {
  std::vector<paging::UserRef> out;
  std::set<int64_t> seen;
  auto add_user = [&](const std::string& name) -> Status {
    auto u = people_.FindUser(tx, name);
    if (!u.ok()) return u.status().code() == Code::kNotFound ? Status::Ok() : u.status();
    if (seen.insert(u->id).second) out.push_back(*u);
    return Status::Ok();
  };
  auto add = [&](const std::optional<paging::UserRef>& u) {
    if (u && seen.insert(u->id).second) out.push_back(*u);
  };
  for (const auto& t : targets) {
    if (t.type == "user") {
      KLAXON_RETURN_IF_ERROR(add_user(t.name));
    } else if (t.type == "schedule") {
      KLAXON_ASSIGN_OR_RETURN(auto u, pager_.OnCallNow(tx, t.name));
      add(u);
    } else if (t.type == "role") {
      KLAXON_ASSIGN_OR_RETURN(auto u, pager_.RoleHolder(tx, incident_id, t.name));
      add(u);
    } else if (t.type == "team") {
      for (const auto& team : doc.teams)
        if (team.name == t.name)
          for (const auto& m : team.members) KLAXON_RETURN_IF_ERROR(add_user(m));
    } else if (t.type == "email" && emails) {
      emails->push_back(t.name);
    }
  }
  return out;
}

namespace {

bool IsComms(const std::string& n) {
  return n.find("communication") != std::string::npos || n.find("comms") != std::string::npos;
}
bool IsCommander(const std::string& n) {
  return n.find("commander") != std::string::npos || n == "ic";
}

}  // namespace

Result<std::optional<paging::UserRef>> Response::Owner(store::Tx& tx,
                                                       const incidents::Incident& inc,
                                                       const playbook::Document& doc,
                                                       bool comms_first) {
  // By the roles' names: the playbook's, then those held on the incident.
  std::vector<std::string> names;
  for (const auto& r : doc.roles) names.push_back(r.name);
  auto rows = tx.Query("SELECT role FROM incident_roles WHERE incident_id = ?", {inc.id});
  if (!rows.ok()) return rows.status();
  for (const auto& r : *rows) names.push_back(r.Str(0));
  std::vector<bool (*)(const std::string&)> picks;
  if (comms_first) picks.push_back(&IsComms);
  picks.push_back(&IsCommander);
  for (auto pick : picks) {
    for (const auto& name : names) {
      if (!pick(Normalized(name))) continue;
      KLAXON_ASSIGN_OR_RETURN(auto u, pager_.RoleHolder(tx, inc.id, name));
      if (u) return u;
    }
  }
  // Else whoever acknowledged.
  auto row = tx.QueryOne(
      "SELECT actor_id FROM events WHERE incident_id = ? AND kind = 'incident.acknowledged' AND "
      "actor_type = 'user' ORDER BY seq DESC LIMIT 1",
      {inc.id});
  if (!row.ok()) return row.status();
  if (*row && !(*row)->IsNull(0)) {
    auto u = people_.GetUser(tx, (*row)->Int(0));
    if (u.ok()) return std::optional<paging::UserRef>(*u);
  }
  return std::optional<paging::UserRef>();
}

Result<std::vector<paging::UserRef>> Response::UpdateOwners(store::Tx& tx,
                                                            const incidents::Incident& inc,
                                                            const playbook::Document& doc) {
  KLAXON_ASSIGN_OR_RETURN(auto u, Owner(tx, inc, doc, true));
  if (!u) return std::vector<paging::UserRef>{};
  return std::vector<paging::UserRef>{*u};
}

Result<std::optional<paging::UserRef>> Response::ReviewOwner(store::Tx& tx,
                                                             const incidents::Incident& inc) {
  auto d = doc();
  return Owner(tx, inc, *d, false);
}

notify::Message Response::Notice(const incidents::Incident& inc, const std::string& kind,
                                 const std::string& what, const std::string& detail) const {
  notify::Message msg;
  msg.kind = kind;
  msg.incident_ref = inc.ref();
  msg.title = inc.DisplayTitle();
  msg.severity = inc.severity;
  msg.status = what;
  msg.service = inc.service ? inc.service->name : "";
  msg.summary = detail;
  msg.console_url = pager_.options().public_url + "/ui/incidents/" + std::to_string(inc.id);
  msg.at = clock_.Now();
  return msg;
}

Status Response::Notify(store::Tx& tx, const incidents::Incident& inc, const paging::UserRef& user,
                        const std::string& kind, const std::string& key, const std::string& what,
                        const std::string& detail) {
  KLAXON_ASSIGN_OR_RETURN(auto plan, people_.PagePlan(tx, user.id));
  if (plan.empty()) return Status::Ok();
  // Notices go out at once through the user's first channels, not their escalation.
  int first = plan.front().second;
  for (const auto& [m, delay] : plan) first = std::min(first, delay);
  notify::Message msg = Notice(inc, kind, what, detail);
  msg.recipient_name = user.name;
  for (const auto& [method, delay] : plan) {
    if (delay != first) continue;
    paging::OutboxItem item;
    item.idem_key = kind + ":" + std::to_string(inc.id) + ":" + key + ":" +
                    std::to_string(user.id) + ":" + std::to_string(method.id);
    item.kind = kind;
    item.incident_id = inc.id;
    item.user_id = user.id;
    item.username = user.username;
    item.method = method;
    item.message = msg;
    item.not_before = msg.at;
    KLAXON_RETURN_IF_ERROR(pager_.Enqueue(tx, item).status());
  }
  return Status::Ok();
}

Status Response::TellStakeholders(store::Tx& tx, const incidents::Incident& inc,
                                  const playbook::Severity& level, const std::string& key,
                                  const std::string& what, const std::string& detail) {
  if (level.stakeholders.empty()) return Status::Ok();
  auto d = doc();
  std::vector<std::string> emails;
  KLAXON_ASSIGN_OR_RETURN(auto users, Resolve(tx, inc.id, *d, level.stakeholders, &emails));
  json told = json::array();
  for (const auto& u : users) {
    KLAXON_RETURN_IF_ERROR(Notify(tx, inc, u, "stakeholder", key, what, detail));
    told.push_back(u.username);
  }
  for (const auto& address : emails) {
    notify::Message msg = Notice(inc, "stakeholder", what, detail);
    paging::OutboxItem item;
    item.idem_key = "stakeholder:" + std::to_string(inc.id) + ":" + key + ":email:" + address;
    item.kind = "stakeholder";
    item.incident_id = inc.id;
    item.method.kind = notify::ChannelKind::kEmail;
    item.method.address = address;
    item.message = msg;
    item.not_before = msg.at;
    KLAXON_RETURN_IF_ERROR(pager_.Enqueue(tx, item).status());
    told.push_back(address);
  }
  return log_
      .Append(tx, events::Event::Of("incident.stakeholders_notified", EngineActor(),
                                    {{"severity", level.name}, {"reason", key}, {"told", told}},
                                    inc.id))
      .status();
}

// ---------------------------------------------------------------------------------------
// Commands and views

Result<nlohmann::json> Response::AssignRole(store::Tx& tx, int64_t incident_id,
                                            const std::string& role, const std::string& user,
                                            const events::Actor& actor) {
  auto d = doc();
  if (!d->roles.empty()) {
    const playbook::Role* found = nullptr;
    std::string names;
    for (const auto& r : d->roles) {
      if (r.name == role) found = &r;
      names += (names.empty() ? "" : ", ") + r.name;
    }
    if (!found) return InvalidField("/role", "unknown role '" + role + "'; the roles are " + names);
    if (!found->users.empty()) {
      auto u = people_.FindUser(tx, user);
      if (u.ok() &&
          std::find(found->users.begin(), found->users.end(), u->username) == found->users.end())
        return InvalidField(
            "/user", u->username + " may not hold " + role + "; who may: " + [&] {
              std::string s;
              for (const auto& n : found->users) s += (s.empty() ? "" : ", ") + n;
              return s;
            }());
    }
  }
  return pager_.AssignRole(tx, incident_id, role, user, actor);
}

Result<nlohmann::json> Response::Mark(store::Tx& tx, int64_t incident_id, const std::string& moment,
                                      std::optional<TimeMs> at, const std::string& note,
                                      const events::Actor& actor) {
  if (std::find_if(std::begin(kMoments), std::end(kMoments),
                   [&](const char* m) { return moment == m; }) == std::end(kMoments))
    return InvalidField("/moment",
                        "must be root_cause_identified, mitigation_started or service_restored");
  if (note.size() > incidents::kMaxText)
    return InvalidField("/note", "must be at most 10000 characters");
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  TimeMs now = clock_.Now();
  TimeMs when = at.value_or(now);
  if (when > now) return InvalidField("/at", "must not be in the future");
  if (when < inc.created_at) return InvalidField("/at", "must not be before the incident opened");
  auto prev = tx.QueryOne("SELECT at FROM incident_moments WHERE incident_id = ? AND moment = ?",
                          {incident_id, moment});
  if (!prev.ok()) return prev.status();
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO incident_moments(incident_id, moment, at, marked_by, note) VALUES (?,?,?,?,?) "
      "ON CONFLICT(incident_id, moment) DO UPDATE SET at = excluded.at, marked_by = "
      "excluded.marked_by, note = excluded.note",
      {incident_id, moment, when, actor.name, note}));
  json data = {{"moment", moment}, {"at", FormatTime(when)}, {"note", note}};
  if (*prev) data["previous_at"] = FormatTime((*prev)->Int(0));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("incident.moment_marked", actor, data, incident_id))
          .status());
  return data;
}

Result<const playbook::Runbook*> Response::RunbookFor(store::Tx& tx, const incidents::Incident& inc,
                                                      const playbook::Document& doc) {
  if (doc.runbooks.empty()) return static_cast<const playbook::Runbook*>(nullptr);
  auto rows =
      tx.Query("SELECT labels FROM alerts WHERE incident_id = ? ORDER BY id LIMIT 200", {inc.id});
  if (!rows.ok()) return rows.status();
  std::vector<std::map<std::string, std::string>> labels;
  for (const auto& r : *rows) {
    json j = json::parse(r.Str(0), nullptr, false);
    std::map<std::string, std::string> m;
    if (j.is_object())
      for (auto it = j.begin(); it != j.end(); ++it)
        if (it.value().is_string()) m[it.key()] = it.value().get<std::string>();
    labels.push_back(std::move(m));
  }
  return runbook::Select(doc.runbooks, inc.service ? inc.service->name : "", labels);
}

Result<nlohmann::json> Response::RunbookJson(store::Tx& tx, const incidents::Incident& inc,
                                             const playbook::Document& doc) {
  KLAXON_ASSIGN_OR_RETURN(const playbook::Runbook* rb, RunbookFor(tx, inc, doc));
  if (!rb) return json();
  json out = runbook::ToJson(*rb);
  auto rows = tx.Query(
      "SELECT step, done, marked_by, at FROM incident_checklist WHERE incident_id = ? AND "
      "runbook = ?",
      {inc.id, rb->name});
  if (!rows.ok()) return rows.status();
  int done = 0;
  for (auto& step : out["steps"]) {
    step["done"] = false;
    step["by"] = nullptr;
    step["at"] = nullptr;
    for (const auto& r : *rows) {
      if (r.Int(0) != step["index"].get<int64_t>()) continue;
      step["done"] = r.Int(1) != 0;
      step["by"] = r.Str(2);
      step["at"] = FormatTime(r.Int(3));
    }
    done += step["done"].get<bool>();
  }
  out["progress"] = {{"done", done}, {"total", out["steps"].size()}};
  return out;
}

Result<nlohmann::json> Response::CheckStep(store::Tx& tx, int64_t incident_id, int step, bool done,
                                           const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  auto d = doc();
  KLAXON_ASSIGN_OR_RETURN(const playbook::Runbook* rb, RunbookFor(tx, inc, *d));
  if (!rb) return Status(Code::kNotFound, "no runbook applies to " + inc.ref());
  if (step < 1 || step > static_cast<int>(rb->steps.size()))
    return InvalidField("/step", "must be 1 to " + std::to_string(rb->steps.size()));
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO incident_checklist(incident_id, runbook, step, done, marked_by, at) VALUES "
      "(?,?,?,?,?,?) ON CONFLICT(incident_id, runbook, step) DO UPDATE SET done = "
      "excluded.done, marked_by = excluded.marked_by, at = excluded.at",
      {incident_id, rb->name, static_cast<int64_t>(step - 1), static_cast<int64_t>(done),
       actor.name, clock_.Now()}));
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("incident.runbook_step_checked", actor,
                                                           {{"runbook", rb->name},
                                                            {"step", step},
                                                            {"text", rb->steps[step - 1].text},
                                                            {"done", done}},
                                                           incident_id))
                             .status());
  return RunbookJson(tx, inc, *d);
}

Result<Response::ActionRun> Response::PrepareAction(store::Tx& tx, int64_t incident_id,
                                                    const std::string& name) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  auto d = doc();
  for (const auto& a : d->actions) {
    if (a.name != name) continue;
    ActionRun run{a, json::object()};
    run.facts = {{"ref", inc.ref()},
                 {"id", inc.id},
                 {"title", inc.DisplayTitle()},
                 {"severity", inc.severity},
                 {"status", incidents::StatusName(inc.status)},
                 {"service", inc.service ? inc.service->name : ""},
                 {"impact", inc.impact},
                 {"description", inc.description},
                 {"war_room", inc.war_room},
                 {"drill", inc.drill},
                 {"url", pager_.options().public_url + "/ui/incidents/" + std::to_string(inc.id)}};
    return run;
  }
  return Status(Code::kNotFound, "no action named '" + name + "' in the playbook");
}

Result<nlohmann::json> Response::RecordActionRun(store::Tx& tx, int64_t incident_id,
                                                 const std::string& name,
                                                 const nlohmann::json& result,
                                                 const events::Actor& actor,
                                                 const std::string& automation) {
  KLAXON_RETURN_IF_ERROR(incidents_.Get(tx, incident_id).status());
  json data = result;
  data["action"] = name;
  if (!automation.empty()) data["automation"] = automation;
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("incident.action_run", actor, data, incident_id)).status());
  return data;
}

Result<nlohmann::json> Response::SetWarRoom(store::Tx& tx, int64_t incident_id,
                                            std::optional<std::string> name,
                                            std::optional<std::string> link,
                                            const events::Actor& actor) {
  if (link && !link->empty()) {
    bool scheme = link->starts_with("https://") || link->starts_with("http://");
    bool clean = std::none_of(link->begin(), link->end(),
                              [](unsigned char ch) { return ch <= ' ' || ch == 0x7f; });
    size_t prefix = link->starts_with("https://") ? 8 : 7;
    if (!scheme || !clean || link->size() <= prefix)
      return InvalidField("/link", "must be an http(s) URL without spaces");
  }
  if (name && std::any_of(name->begin(), name->end(), [](unsigned char ch) { return ch < ' '; }))
    return InvalidField("/name", "must be one line");
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  std::string new_name = name.value_or(inc.war_room);
  std::string new_link = link.value_or(inc.war_room_link);
  json out = {{"name", new_name}, {"link", new_link.empty() ? json() : json(new_link)}};
  if (new_name == inc.war_room && new_link == inc.war_room_link) return out;
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE incidents SET war_room = ?, war_room_link = ? WHERE id = ?",
              {new_name, new_link, incident_id}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("incident.war_room_linked", actor, out, incident_id))
          .status());
  return out;
}

namespace {

// The built-in templates, when the playbook has none for a kind and audience.
std::pair<std::string, std::string> DefaultTemplate(const std::string& kind,
                                                    const std::string& audience) {
  bool pub = audience == "customer_email" || audience == "status_page";
  if (kind == "resolution")
    return {pub ? "Resolved: {{service}}" : "[{{severity}}] {{ref}} resolved: {{title}}",
            pub ? "This incident has been resolved. Thank you for your patience."
                : "{{ref}} is resolved after {{duration}}.\n{{#resolution_summary}}"
                  "{{resolution_summary}}\n{{/resolution_summary}}"};
  if (pub)
    return {"Problems with {{service}}",
            kind == "initial"
                ? "We are investigating a problem with {{service}}. Next update by "
                  "{{next_update_at}}."
                : "We are still working on the problem with {{service}}. Next update by "
                  "{{next_update_at}}."};
  return {"[{{severity}}] {{ref}} " +
              std::string(kind == "initial" ? "declared" : "update #{{update_number}}") +
              ": {{title}}",
          "Status: {{status}}. Severity: {{severity}}.{{#impact}} Impact: {{impact}}{{/impact}}\n"
          "Duration so far: {{duration}}.\n"
          "{{#actions_taken}}- {{.}}\n{{/actions_taken}}"
          "{{#next_update_at}}Next update by {{next_update_at}}.{{/next_update_at}}"};
}

}  // namespace

Result<nlohmann::json> Response::Facts(store::Tx& tx, const incidents::Incident& inc) {
  auto d = doc();
  const playbook::Severity* level = Level(*d, inc.severity);
  KLAXON_ASSIGN_OR_RETURN(auto c, LoadClock(tx, inc.id));
  TimeMs now = clock_.Now();
  TimeMs end = inc.resolved_at.value_or(now);
  // Actions taken since the last update: remediation runs and "action" timeline entries.
  TimeMs since = c && c->last_update_at ? *c->last_update_at : 0;
  auto rows = tx.Query(
      "SELECT kind, data FROM events WHERE incident_id = ? AND at > ? AND kind IN "
      "('incident.action_run', 'incident.note_added') ORDER BY seq",
      {inc.id, since});
  if (!rows.ok()) return rows.status();
  json actions = json::array();
  for (const auto& r : *rows) {
    json data = json::parse(r.Str(1), nullptr, false);
    if (!data.is_object()) continue;
    if (r.Str(0) == "incident.action_run")
      actions.push_back(data.value("action", "") +
                        (data.value("ok", false) ? " (done)" : " (failed)"));
    else if (data.value("type", "") == "action")
      actions.push_back(data.value("text", ""));
  }
  std::string commander;
  for (const auto& r : d->roles)
    if (Normalized(r.name).find("commander") != std::string::npos) {
      KLAXON_ASSIGN_OR_RETURN(auto u, pager_.RoleHolder(tx, inc.id, r.name));
      if (u) commander = u->name.empty() ? u->username : u->name;
      if (!commander.empty()) break;
    }
  std::optional<TimeMs> next_update;
  if (inc.status != incidents::IncidentStatus::kResolved && level && level->update_every)
    next_update = now + *level->update_every;
  return json{{"ref", inc.ref()},
              {"id", inc.id},
              {"title", inc.DisplayTitle()},
              {"severity", inc.severity},
              {"severity_description", level ? level->description : ""},
              {"status", incidents::StatusName(inc.status)},
              {"service", inc.service ? inc.service->name : ""},
              {"impact", inc.impact},
              {"description", inc.description},
              {"duration", HumanDuration(end - inc.created_at)},
              {"started_at", HumanTime(inc.created_at)},
              {"update_number", (c ? c->updates : 0) + 1},
              {"next_update_at", next_update ? json(HumanTime(*next_update)) : json("")},
              {"actions_taken", actions},
              {"commander", commander},
              {"war_room", inc.war_room},
              {"resolution_summary", inc.resolution_summary},
              {"url", pager_.options().public_url + "/ui/incidents/" + std::to_string(inc.id)}};
}

Result<nlohmann::json> Response::Compose(store::Tx& tx, int64_t incident_id,
                                         const std::string& kind_in, const std::string& audience,
                                         const std::string& name) {
  static const std::set<std::string> kAudiences = {"internal_chat", "stakeholder_email",
                                                   "customer_email", "status_page"};
  if (!kAudiences.count(audience))
    return InvalidField("/audience",
                        "must be internal_chat, stakeholder_email, customer_email or status_page");
  if (!kind_in.empty() && kind_in != "initial" && kind_in != "update" && kind_in != "resolution")
    return InvalidField("/kind", "must be initial, update or resolution");
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  KLAXON_ASSIGN_OR_RETURN(json facts, Facts(tx, inc));
  std::string kind = kind_in;
  if (kind.empty())
    kind = inc.status == incidents::IncidentStatus::kResolved ? "resolution"
           : facts["update_number"].get<int64_t>() == 1       ? "initial"
                                                              : "update";
  auto d = doc();
  const playbook::Template* chosen = nullptr;
  for (const auto& t : d->templates) {
    if (!name.empty()) {
      if (t.name == name) chosen = &t;
      continue;
    }
    if (t.kind != kind || t.audience != audience) continue;
    bool for_level =
        std::find(t.severities.begin(), t.severities.end(), inc.severity) != t.severities.end();
    if (!t.severities.empty() && !for_level) continue;
    // A template for this level beats one for every level; else the first.
    if (!chosen || (for_level && chosen->severities.empty())) chosen = &t;
  }
  if (!name.empty() && !chosen)
    return InvalidField("/template", "no template named '" + name + "'");
  auto [subject, body] = DefaultTemplate(kind, audience);
  if (chosen) {
    subject = chosen->subject;
    body = chosen->body;
  }
  KLAXON_ASSIGN_OR_RETURN(std::string s, notify::RenderText(subject, facts));
  KLAXON_ASSIGN_OR_RETURN(std::string b, notify::RenderText(body, facts));
  while (!b.empty() && (b.back() == '\n' || b.back() == ' ')) b.pop_back();
  return json{{"kind", kind},
              {"audience", audience},
              {"template", chosen ? json(chosen->name) : json()},
              {"subject", s},
              {"body", b},
              {"facts", facts}};
}

nlohmann::json Response::SeveritiesJson() const {
  auto d = doc();
  json items = json::array();
  if (d->severities.empty()) {
    for (const auto& s : incidents_.Severities())
      items.push_back({{"name", s.name}, {"rank", s.rank}, {"description", s.description}});
  } else {
    for (const auto& s : d->severities) {
      json j = s.json;
      j["rank"] = s.rank;
      items.push_back(std::move(j));
    }
  }
  return {{"items", items}, {"next_cursor", nullptr}};
}

Result<nlohmann::json> Response::IncidentJson(store::Tx& tx, const incidents::Incident& inc) {
  auto d = doc();
  const playbook::Severity* level = Level(*d, inc.severity);
  KLAXON_ASSIGN_OR_RETURN(auto c, LoadClock(tx, inc.id));
  TimeMs now = clock_.Now();
  json out;
  if (level) {
    out["severity"] = {{"name", level->name},
                       {"rank", level->rank},
                       {"description", level->description},
                       {"examples", level->examples},
                       {"page", level->json.value("page", "always")},
                       {"status_page", level->status_page},
                       {"customer_notice", level->customer_notice},
                       {"war_room", level->war_room},
                       {"update_every", level->json.value("update_every", json())},
                       {"review_required", level->review.required}};
  } else {
    out["severity"] = {{"name", inc.severity}};
  }
  out["classified_by"] = inc.classified_by.empty() ? json() : json(inc.classified_by);
  if (!inc.classified_by.empty()) {
    for (const auto& r : d->classification_rules)
      if (r.name == inc.classified_by) {
        std::string why = r.description;
        out["classification"] = {{"rule", r.name}, {"severity", r.severity}, {"description", why}};
      }
  }
  // Targets.
  auto target = [&](std::optional<playbook::DurationMs> t, std::optional<TimeMs> due,
                    std::optional<TimeMs> missed_at, std::optional<TimeMs> done_at) -> json {
    if (!t || !due) return json();
    std::string state = done_at                      ? (*done_at <= *due ? "met" : "missed")
                        : (missed_at || now >= *due) ? "missed"
                                                     : "pending";
    return {{"target", playbook::FormatDuration(*t)},
            {"due_at", FormatTime(*due)},
            {"state", state},
            {"missed_at", OptTime(missed_at)}};
  };
  json targets = json::object();
  targets["ack"] =
      level && c ? target(level->ack_target, c->ack_due_at, c->ack_missed_at, inc.acknowledged_at)
                 : json();
  targets["resolve"] = level && c ? target(level->resolve_target, c->resolve_due_at,
                                           c->resolve_missed_at, inc.resolved_at)
                                  : json();
  out["targets"] = targets;
  // Communication.
  json updates = {{"every", level ? level->json.value("update_every", json()) : json()},
                  {"count", c ? c->updates : 0},
                  {"last_at", c ? OptTime(c->last_update_at) : json()},
                  {"next_due_at", json()},
                  {"state", "none"}};
  if (c && c->update_due_at && inc.status != incidents::IncidentStatus::kResolved) {
    updates["next_due_at"] = FormatTime(*c->update_due_at);
    updates["state"] = now >= *c->update_due_at                                 ? "late"
                       : level && now >= *c->update_due_at - UpdateLead(*level) ? "due_soon"
                                                                                : "ok";
  }
  out["updates"] = updates;
  // Matrix.
  json matrix = json::array();
  if (level) {
    for (size_t i = 0; i < level->escalation_matrix.size(); ++i) {
      const auto& s = level->escalation_matrix[i];
      matrix.push_back({{"after", playbook::FormatDuration(s.after)},
                        {"at", FormatTime(inc.created_at + s.after)},
                        {"notify", TargetsJson(s.notify)},
                        {"done", c && static_cast<int64_t>(i) < c->matrix_done}});
    }
  }
  out["matrix"] = matrix;
  // Roles: the playbook's list, the level's required ones, and whoever holds any.
  KLAXON_ASSIGN_OR_RETURN(json held, pager_.RolesJson(tx, inc.id));
  std::vector<std::string> required = level ? level->required_roles : std::vector<std::string>{};
  json roles = json::array();
  std::set<std::string> listed;
  auto holder = [&](const std::string& name) -> json {
    for (const auto& h : held["items"])
      if (h["role"] == name) return h;
    return json();
  };
  auto add_role = [&](const std::string& name, const std::string& description) {
    if (!listed.insert(name).second) return;
    json h = holder(name);
    bool req = std::find(required.begin(), required.end(), name) != required.end();
    roles.push_back({{"name", name},
                     {"description", description},
                     {"required", req},
                     {"holder", h.is_null() ? json() : h["user"]},
                     {"assigned_at", h.is_null() ? json() : h["assigned_at"]}});
  };
  for (const auto& r : d->roles) add_role(r.name, r.description);
  for (const auto& r : required) add_role(r, "");
  for (const auto& h : held["items"]) add_role(h["role"].get<std::string>(), "");
  json unfilled = json::array();
  for (const auto& r : roles)
    if (r["required"].get<bool>() && r["holder"].is_null()) unfilled.push_back(r["name"]);
  out["roles"] = roles;
  out["unfilled_roles"] = unfilled;
  // Key moments.
  auto rows = tx.Query(
      "SELECT moment, at, marked_by, note FROM incident_moments WHERE incident_id = ?", {inc.id});
  if (!rows.ok()) return rows.status();
  auto marked = [&](const std::string& m) -> json {
    for (const auto& r : *rows)
      if (r.Str(0) == m)
        return {{"moment", m}, {"at", FormatTime(r.Int(1))}, {"by", r.Str(2)}, {"note", r.Str(3)}};
    return {{"moment", m}, {"at", nullptr}, {"by", nullptr}, {"note", ""}};
  };
  json moments = json::array();
  moments.push_back({{"moment", "detected"},
                     {"at", FormatTime(inc.created_at)},
                     {"by", inc.created_by},
                     {"note", ""}});
  moments.push_back({{"moment", "acknowledged"},
                     {"at", OptTime(inc.acknowledged_at)},
                     {"by", nullptr},
                     {"note", ""}});
  for (const char* m : kMoments) moments.push_back(marked(m));
  moments.push_back(
      {{"moment", "resolved"}, {"at", OptTime(inc.resolved_at)}, {"by", nullptr}, {"note", ""}});
  out["moments"] = moments;
  KLAXON_ASSIGN_OR_RETURN(out["runbook"], RunbookJson(tx, inc, *d));
  out["war_room"] = inc.war_room;
  out["war_room_link"] = inc.war_room_link.empty() ? json() : json(inc.war_room_link);
  out["review"] = {{"required", level && level->review.required},
                   {"due_at", c ? OptTime(c->review_due_at) : json()}};
  return out;
}

}  // namespace klaxon::response
