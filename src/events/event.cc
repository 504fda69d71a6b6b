#include "events/event.h"

#include <cassert>

#include <algorithm>
#include <cstdint>

#include "core/time_format.h"

namespace klaxon::events {

namespace {
constexpr EventKind kKinds[] = {
    {"incident.declared", "An incident was opened (by a person or from alerts)."},
    {"incident.acknowledged", "Someone took the incident; paging stops."},
    {"incident.status_changed", "The incident moved to another status."},
    {"incident.severity_changed", "The severity was raised or lowered, with a reason."},
    {"incident.note_added",
     "A timeline entry was added: a note, finding, action taken or decision (data.type)."},
    {"incident.moment_marked",
     "A key moment was marked: root cause identified, mitigation started, service restored."},
    {"incident.runbook_step_checked",
     "A step of the incident's runbook checklist was ticked (or unticked)."},
    {"incident.action_run",
     "A remediation action ran (by a person, or by the automation rule named): its result, "
     "status, duration and a response excerpt (secrets redacted)."},
    {"incident.automation_triggered",
     "An automation rule's condition held long enough: its action is queued to run."},
    {"incident.war_room_opened", "The level expects a war room; its name, from the pattern."},
    {"incident.war_room_linked", "A responder set the war room's name or link."},
    {"incident.ack_target_missed",
     "Nobody acknowledged within the level's acknowledgement target; escalation goes on."},
    {"incident.resolve_target_missed", "The incident outlived the level's resolution target."},
    {"incident.matrix_escalated",
     "An elapsed-time escalation step paged more people (acknowledged or not)."},
    {"incident.update_due_soon", "The next update is due soon; its owner was reminded."},
    {"incident.update_late", "The next update is late; its owner was reminded again."},
    {"incident.update_posted", "An update went out (numbered); the next is due a cadence later."},
    {"incident.stakeholders_notified",
     "The level's stakeholders were told (declared, update, target missed, resolved)."},
    {"incident.review_due", "The resolved incident's review is due by the level's deadline."},
    {"incident.resolved", "The incident was resolved, with a summary."},
    {"review.created",
     "A post-incident review was opened (on resolution when the level requires one, or by "
     "hand), with its owner and deadline."},
    {"review.edited", "A review was edited (the fields changed; each edit is kept as a revision)."},
    {"review.submitted", "A review went from draft to in review; its reviewers were asked."},
    {"review.approved", "A reviewer approved the review."},
    {"review.changes_requested",
     "A reviewer (or the owner) sent the review back to draft (approvals cleared)."},
    {"review.published", "The review was published (its document is final); late when past due."},
    {"review.reminder_sent",
     "The review's owner was reminded: before the deadline, when it passed, then weekly."},
    {"incident.reopened", "A resolved incident was opened again."},
    {"service.created", "A service was added to the catalog."},
    {"action_item.created",
     "An action item was written on an incident or its review (the whole item in `action_item`)."},
    {"action_item.updated",
     "An action item changed: `changes` {field: {old, new}} and the whole item in `action_item`."},
    {"action_item.reminder_sent",
     "An action item's owner was reminded: before it was due, the day after, then weekly."},
    {"webhook.created", "An event webhook subscription was added (its secret is never logged)."},
    {"webhook.deleted", "An event webhook subscription was removed."},
    {"incident.marked_noise",
     "An incident (or one of its alerts) was marked noise / not actionable, with a reason."},
    {"incident.unmarked_noise", "An incident's (or alert's) noise mark was taken back."},
    {"report.schedule_set",
     "The response-time review is mailed on a schedule: recipients, every (quarter or "
     "month), hour, next_at."},
    {"report.schedule_removed", "The scheduled mailing of the response-time review stopped."},
    {"report.mailed",
     "The response-time review of a period was queued to its recipients: period, from, to, "
     "recipients, incidents."},
    {"drill.scenario_created", "A drill (game day) scenario was defined: the whole scenario."},
    {"drill.scenario_updated", "A drill scenario was replaced: the whole new scenario."},
    {"drill.scenario_deleted", "A drill scenario was deleted (its runs stay)."},
    {"drill.scheduled", "A drill run was scheduled: run_id, scenario, scheduled_at."},
    {"drill.started",
     "A drill run injected its alerts and opened its incident (marked DRILL): run_id, "
     "scenario, ends_at (the time limit), expected_actions."},
    {"drill.finished",
     "A drill run ended: outcome resolved (by the team) or time_limit, and the report's "
     "summary (met, missed, result)."},
    {"drill.cancelled", "A drill run was cancelled (scheduled) or stopped early (running)."},
    {"drill.failed",
     "A scheduled drill run could not start: outcome silenced (every alert matched a silence "
     "or maintenance window) or invalid (its service, severity or playbook names are gone)."},
    {"user.created", "A user account was created."},
    {"user.deactivated",
     "A user was deactivated (by `klaxon apply --prune`): sessions ended, tokens revoked."},
    {"user.reactivated", "A deactivated user was named again by `klaxon apply` and can log in."},
    {"user.password_reset", "A user's password was reset (by an admin or the CLI)."},
    {"token.created", "An API token was issued (its secret is never logged)."},
    {"token.revoked", "An API token was revoked."},
    {"session.created", "A person logged in to the console."},
    {"user.updated", "A user's profile (name, time zone) changed."},
    {"contact_method.added", "A user added a contact method (email, chat or webhook)."},
    {"contact_method.removed", "A contact method (and its notification rules) was removed."},
    {"contact_method.verified", "A contact method was verified with the code from a test message."},
    {"notification_rule.added", "A personal notification rule was added (method, delay)."},
    {"notification_rule.removed", "A personal notification rule was removed."},
    {"schedule.created", "An on-call schedule was created."},
    {"schedule.updated", "An on-call schedule's layers or zone changed."},
    {"schedule.deleted", "An on-call schedule was deleted."},
    {"override.created", "Someone covers part of a schedule (override or swap)."},
    {"override.deleted", "An override was removed."},
    {"oncall.handoff", "The on-call person of a schedule changed; the incoming person was told."},
    {"escalation_policy.created", "An escalation policy was created."},
    {"escalation_policy.updated", "An escalation policy's steps changed."},
    {"escalation_policy.deleted", "An escalation policy was deleted."},
    {"service.updated", "A service's description, owner or escalation policy changed."},
    {"service.archived",
     "A service left the catalog (by `klaxon apply --prune`); its incidents keep its name."},
    {"service.restored", "An archived service was named again by `klaxon apply`."},
    {"incident.role_assigned", "Someone was assigned an incident role (or took it over)."},
    {"escalation.started", "An incident's escalation policy started (or restarted on reopen)."},
    {"escalation.step_fired",
     "An escalation step fired: its targets, resolved to people, were paged."},
    {"escalation.stopped",
     "Escalation stopped (acknowledged or resolved); unsent notifications were cancelled."},
    {"escalation.exhausted", "Every step and repeat fired without an acknowledgement."},
    {"escalation.skipped", "The level is record-only: the incident is tracked, nobody paged."},
    {"escalation.deferred",
     "The level pages in business hours only: step 1 waits for the next opening."},
    {"notification.delivered", "A notification reached a person's contact method."},
    {"notification.failed",
     "A notification could not be delivered (rejected, or retried past its maximum age)."},
    {"integration.created", "An intake integration (with its secret key) was created."},
    {"integration.revoked", "An integration's key was revoked; its URL now answers 401."},
    {"integration.updated",
     "An integration's settings changed (name, service, grouping, auto-resolve, flap window, "
     "heartbeat interval, mapping); `changed` lists the new values."},
    {"integration.key_rotated", "An integration got a new key; the old one answers 401."},
    {"status.page_updated", "The public status page's settings (name, URL, branding) changed."},
    {"status.component_created", "A status page component (or group) was added."},
    {"status.component_updated",
     "A status page component changed (name, group, position, or its status: old and new)."},
    {"status.component_deleted", "A status page component was removed."},
    {"status.incident_published",
     "A public incident was published on the status page (from an internal incident or on its "
     "own)."},
    {"status.incident_updated", "A public incident got an update (status, text, components)."},
    {"status.maintenance_scheduled",
     "A maintenance was scheduled on the status page; alerts of its services are silenced for "
     "the window."},
    {"status.maintenance_updated",
     "A maintenance moved on (scheduled, in progress, verifying, completed), by hand or on time."},
    {"status.subscriber_added",
     "Someone subscribed to the status page (pending until the confirmation link is used; "
     "an admin may add a subscriber confirmed). Addresses are not in the event."},
    {"status.subscriber_confirmed", "A status page subscriber confirmed their address."},
    {"status.subscriber_updated", "A status page subscriber chose other components."},
    {"status.subscriber_removed",
     "A status page subscriber unsubscribed (or was removed by an admin); pending messages to "
     "them are cancelled."},
    {"status.subscribers_notified",
     "An update of a public incident or maintenance was queued for its subscribers (`count`)."},
    {"alert.fired",
     "An alert started firing (new, or again after resolving) and joined an incident."},
    {"alert.resolved", "The source reported an alert resolved."},
    {"silence.created", "A silence was created: matching alerts open nothing until it ends."},
    {"silence.expired", "A silence was ended before its time."},
    {"maintenance.scheduled", "A maintenance window was scheduled for a service."},
    {"maintenance.cancelled", "A maintenance window was cancelled."},
    {"config.applied",
     "A playbook was applied (`klaxon apply` or POST /api/v1/apply): `counts` of created, "
     "updated and deleted entities per kind, and whether it pruned."},
    {"clock.advanced", "The manual clock was moved forward (test servers only)."},
};
}  // namespace

std::span<const EventKind> EventKinds() { return kKinds; }

bool IsKnownKind(std::string_view kind) {
  for (const auto& k : kKinds)
    if (k.name == kind) return true;
  return false;
}

std::string EventsMarkdown() {
  std::string s =
      "# Event kinds\n\nEvery change is an event appended to one log (see docs/architecture.md). "
      "This list is generated from the table in src/events/event.cc (`klaxon docs events`); "
      "the list is closed: appending any other kind is an error.\n\n"
      "Every event has `seq`, `at`, `kind`, `actor` (`type` user/token/system, `id`, `name`), "
      "`incident_id` (or null) and `data`.\n\n| kind | meaning |\n|---|---|\n";
  for (const auto& k : kKinds)
    s += "| `" + std::string(k.name) + "` | " + std::string(k.description) + " |\n";
  return s;
}

nlohmann::json Actor::ToJson() const {
  return {{"type", type}, {"id", id ? nlohmann::json(*id) : nlohmann::json()}, {"name", name}};
}

nlohmann::json Event::ToJson() const {
  return {{"seq", seq},
          {"at", FormatTime(at)},
          {"kind", kind},
          {"actor", actor.ToJson()},
          {"incident_id", incident_id ? nlohmann::json(*incident_id) : nlohmann::json()},
          {"data", data}};
}

int64_t EventBus::Subscribe(Callback cb) {
  std::lock_guard lock(mu_);
  int64_t id = next_id_++;
  subs_.emplace(id, std::move(cb));
  return id;
}

void EventBus::Unsubscribe(int64_t id) {
  std::lock_guard lock(mu_);
  subs_.erase(id);
}

void EventBus::Publish(const Event& e) {
  std::lock_guard lock(mu_);
  for (auto& [id, cb] : subs_) cb(e);
}

size_t EventBus::subscribers() const {
  std::lock_guard lock(mu_);
  return subs_.size();
}

Status EventLog::Decorate(store::Tx& tx, Event& e) {
  if (!decorator_) return Status::Ok();
  const size_t keys = e.data.is_object() ? e.data.size() : 0;
  KLAXON_RETURN_IF_ERROR(decorator_(tx, e));
  // A decorator that added to the data makes the text made ahead stale: dump() it instead.
  if (e.data.is_object() && e.data.size() != keys) e.data_text.clear();
  assert(e.data_text.empty() || e.data_text == e.data.dump());
  return Status::Ok();
}

Result<int64_t> EventLog::Append(store::Tx& tx, Event e) {
  if (!IsKnownKind(e.kind)) return Internal("unknown event kind " + e.kind);
  if (e.at == 0) e.at = clock_.Now();
  KLAXON_RETURN_IF_ERROR(Decorate(tx, e));
  auto seq_or = tx.Insert(
      "INSERT INTO events(at, kind, actor_type, actor_id, actor_name, incident_id, data) "
      "VALUES (?,?,?,?,?,?,?)",
      {e.at, e.kind, e.actor.type, store::Opt(e.actor.id), e.actor.name, store::Opt(e.incident_id),
       e.data_text.empty() ? e.data.dump() : std::move(e.data_text)});
  if (!seq_or.ok()) return seq_or.status();
  e.seq = *seq_or;
  int64_t seq = e.seq;
  for (const auto& hook : tx_hooks_) {
    Status s = hook(tx, e);
    if (!s.ok()) return s;
  }
  tx.OnCommit([this, ev = std::move(e)] {
    if (observer_) observer_(ev.kind, 1);
    bus_.Publish(ev);
  });
  return seq;
}

Status EventLog::AppendAll(store::Tx& tx, std::vector<Event> events) {
  // A batch is mostly one kind, checked once, and its events share the clock's reading.
  const std::string* checked = nullptr;
  TimeMs now = 0;
  for (Event& e : events) {
    if (!checked || *checked != e.kind) {
      if (!IsKnownKind(e.kind)) return Internal("unknown event kind " + e.kind);
      checked = &e.kind;
    }
    if (e.at == 0) e.at = now ? now : (now = clock_.Now());
    KLAXON_RETURN_IF_ERROR(Decorate(tx, e));
  }
  for (size_t done = 0; done < events.size();) {
    size_t n = store::MultiRowChunk(events.size() - done);
    store::Params params;
    params.reserve(n * 7);
    for (size_t i = done; i < done + n; ++i) {
      // One by one, not an initializer list: its strings would be copied, not moved.
      Event& e = events[i];
      params.emplace_back(e.at);
      params.emplace_back(store::TextRef{e.kind});  // `events` outlives the statement
      params.emplace_back(store::TextRef{e.actor.type});
      params.emplace_back(store::Opt(e.actor.id));
      params.emplace_back(store::TextRef{e.actor.name});
      params.emplace_back(store::Opt(e.incident_id));
      params.emplace_back(e.data_text.empty() ? e.data.dump() : std::move(e.data_text));
    }
    auto last = tx.Insert(store::MultiRowSql("INSERT INTO events(at, kind, actor_type, actor_id, "
                                             "actor_name, incident_id, data) VALUES",
                                             7, n, ""),
                          params);
    if (!last.ok()) return last.status();
    // The rows of one INSERT take consecutive seqs in VALUES order.
    int64_t first = *last - static_cast<int64_t>(n) + 1;
    for (size_t i = 0; i < n; ++i) events[done + i].seq = first + static_cast<int64_t>(i);
    done += n;
  }
  for (const Event& e : events)
    for (const auto& hook : tx_hooks_) KLAXON_RETURN_IF_ERROR(hook(tx, e));
  tx.OnCommit([this, evs = std::move(events)] {
    if (observer_) {  // one call per run of events of a kind
      for (size_t i = 0, j; i < evs.size(); i = j) {
        for (j = i + 1; j < evs.size() && evs[j].kind == evs[i].kind;) ++j;
        observer_(evs[i].kind, j - i);
      }
    }
    for (const Event& ev : evs) bus_.Publish(ev);
  });
  return Status::Ok();
}

Result<std::vector<Event>> EventLog::List(store::Tx& tx, int64_t after,
                                          std::optional<int64_t> incident, int64_t limit) {
  auto rows = incident ? tx.Query(
                             "SELECT seq, at, kind, actor_type, actor_id, actor_name, incident_id, "
                             "data FROM events WHERE incident_id = ? AND seq > ? ORDER BY seq "
                             "LIMIT ?",
                             {*incident, after, limit})
                       : tx.Query(
                             "SELECT seq, at, kind, actor_type, actor_id, actor_name, incident_id, "
                             "data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                             {after, limit});
  if (!rows.ok()) return rows.status();
  std::vector<Event> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    Event e;
    e.seq = r.Int(0);
    e.at = r.Int(1);
    e.kind = r.Str(2);
    e.actor.type = r.Str(3);
    e.actor.id = r.OptInt(4);
    e.actor.name = r.Str(5);
    e.incident_id = r.OptInt(6);
    e.data = nlohmann::json::parse(r.Str(7), nullptr, false);
    out.push_back(std::move(e));
  }
  return out;
}

Result<int64_t> EventLog::LastSeq(store::Tx& tx) {
  auto row = tx.QueryOne("SELECT COALESCE(MAX(seq), 0) FROM events");
  if (!row.ok()) return row.status();
  return (*row)->Int(0);
}

}  // namespace klaxon::events
