// The playbook in force, held to during each incident: the severity scheme and its
// classification rules, targets on the clock (acknowledge, resolve), elapsed-time
// escalation matrices, the communication cadence with its reminders, required roles,
// stakeholders, the war room, key moments and the review deadline.
//
// The playbook is the document `klaxon apply` last stored (settings row "playbook"); it
// is loaded at start and replaced, inside the applying transaction, when `config.applied`
// is appended. Without one, the built-in severity scheme applies and nothing here acts.
//
// Reactions run in the transaction that appends the incident event (an EventLog tx hook,
// added before the pager's, so default role holders exist when step 1 pages): `incident.declared`
// writes the incident's clock row (its due times, from the incident's creation) and arms one
// durable timer per purpose — "target.ack", "target.resolve", "matrix", "update" — with the
// incident as subject. Handlers re-read the clock row, so a late or repeated timer does nothing
// twice:
//   target.ack      unacknowledged at the level's ack target → `incident.ack_target_missed`,
//                   the escalation's next step fires now, stakeholders are told
//   target.resolve  unresolved at the resolve target → `incident.resolve_target_missed`,
//                   stakeholders are told
//   matrix          at each step's elapsed time (acknowledged or not) its targets are paged
//                   → `incident.matrix_escalated`
//   update          `reminder_lead` before the next update is due, the communications lead
//                   (else the commander, else whoever acknowledged) is reminded →
//                   `incident.update_due_soon`; at the due time again → `incident.update_late`
// On declaration, each required role whose playbook role names a schedule goes to whoever
// is on call there (and is notified). Acknowledging clears the ack timer; resolving clears them
// all, tells stakeholders and sets the review deadline (`incident.review_due`, in business days on
// the organization's calendar when so written); reopening re-arms what is still ahead; a severity
// change re-times everything against the new level from the incident's creation.
//
// Paging follows the level's `page` mode through the pager's plan hook: `never`
// (record-only: opened and tracked, nobody paged), `business_hours` (outside them step 1
// waits for the next opening, and the ack target and update cadence count from it),
// `always`; and its `escalation_policy` before the
// service's. Thread-safe; holds references only.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/timers.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "paging/catalog.h"
#include "paging/pager.h"
#include "paging/people.h"
#include "playbook/match.h"
#include "playbook/playbook.h"
#include "store/store.h"

namespace klaxon::response {

struct Options {
  TimeMs reminder_lead_ms = 5 * 60'000;  // remind this long before an update is due (at most
                                         // half the cadence)
};

// The key moments a responder marks (the rest come from the incident's own times).
inline constexpr const char* kMoments[] = {"root_cause_identified", "mitigation_started",
                                           "service_restored"};

class Response {
 public:
  Response(const Clock& clock, events::EventLog& log, engine::Timers& timers, paging::Pager& pager,
           paging::People& people, incidents::IncidentService& incidents, Options options = {});

  // Reads the stored playbook (start).
  Status Load(store::Tx& tx);
  // Adds the tx hook, the timer handlers, the severity scheme and the pager's plan hook.
  void Install();

  // The playbook in force (never null; empty when none was applied).
  std::shared_ptr<const playbook::Document> doc() const;
  // The level named `name` in `doc`, or nullptr.
  static const playbook::Severity* Level(const playbook::Document& doc, const std::string& name);

  // The severity the classification rules choose for an alert, if any rule matches.
  std::optional<playbook::Classification> Classify(const playbook::LabelMap& labels,
                                                   const playbook::LabelMap& annotations) const;

  // GET /api/v1/severities: the scheme with every level's settings.
  nlohmann::json SeveritiesJson() const;
  // The incident's playbook view: level, classification, targets, cadence, matrix, roles
  // (required ones unfilled), moments, war room, review.
  Result<nlohmann::json> IncidentJson(store::Tx& tx, const incidents::Incident& inc);

  // Marks a key moment (kMoments) at `at` (default now; not in the future, not before the
  // incident). Marking again moves it. → `incident.moment_marked`.
  Result<nlohmann::json> Mark(store::Tx& tx, int64_t incident_id, const std::string& moment,
                              std::optional<TimeMs> at, const std::string& note,
                              const events::Actor& actor);
  // Assigns a role after checking it against the playbook's roles (when it names any) and
  // the users allowed to hold it.
  Result<nlohmann::json> AssignRole(store::Tx& tx, int64_t incident_id, const std::string& role,
                                    const std::string& user, const events::Actor& actor);
  // The message composer: the update `kind` (initial, update, resolution; default: initial
  // before the first update, resolution once resolved, else update) for `audience`
  // (internal_chat, stakeholder_email, customer_email, status_page) rendered from the
  // playbook's template for that kind, audience and level (a named one with `name`; a
  // built-in default when the playbook has none) over the incident's facts: severity,
  // impact, duration so far, actions taken since the last update, next update time,
  // update number, commander, war room, ... → {"kind","audience","template","subject",
  // "body","facts"}.
  Result<nlohmann::json> Compose(store::Tx& tx, int64_t incident_id, const std::string& kind,
                                 const std::string& audience, const std::string& name);
  // The facts templates see.
  Result<nlohmann::json> Facts(store::Tx& tx, const incidents::Incident& inc);
  // Posts an update (`incident.update_posted`, numbered; the next is due a cadence
  // later) to its audiences: "internal" (the timeline; always), "internal_chat" (everyone
  // holding a role on the incident), "stakeholders" / "stakeholder_email" (the level's
  // stakeholders). "status_page" and "customer_email" are accepted and recorded; the API
  // publishes them on the public status page (whose subscribers are the customers).
  Result<nlohmann::json> PostUpdate(store::Tx& tx, int64_t incident_id, const std::string& text,
                                    const std::string& subject,
                                    const std::vector<std::string>& audiences,
                                    const events::Actor& actor);
  // The runbook for the incident (runbook::Select over its service and its alerts' labels),
  // or nullptr; `doc` must outlive the pointer.
  Result<const playbook::Runbook*> RunbookFor(store::Tx& tx, const incidents::Incident& inc,
                                              const playbook::Document& doc);
  // Ticks (or unticks) step `step` (1-based) of the incident's runbook checklist →
  // `incident.runbook_step_checked`. Returns the checklist.
  Result<nlohmann::json> CheckStep(store::Tx& tx, int64_t incident_id, int step, bool done,
                                   const events::Actor& actor);
  // A remediation action about to run: the action and the incident's facts for its body
  // template. NotFound for an unknown action.
  struct ActionRun {
    playbook::Action action;
    nlohmann::json facts;
  };
  Result<ActionRun> PrepareAction(store::Tx& tx, int64_t incident_id, const std::string& name);
  // Puts a run and its result on the timeline (`incident.action_run`; the URL and
  // excerpt come redacted from the runner). Returns the result with the action's name.
  // `automation`: the rule that ran it (recorded as "automation"), empty when a person did.
  Result<nlohmann::json> RecordActionRun(store::Tx& tx, int64_t incident_id,
                                         const std::string& name, const nlohmann::json& result,
                                         const events::Actor& actor,
                                         const std::string& automation = "");
  // Sets the war room's name and/or link (an http(s) URL: the chat channel or the call; ""
  // clears it) → `incident.war_room_linked` when something changed. → {"name","link"}.
  Result<nlohmann::json> SetWarRoom(store::Tx& tx, int64_t incident_id,
                                    std::optional<std::string> name,
                                    std::optional<std::string> link, const events::Actor& actor);
  // Records that an update went out (the composer, or a status page update): the next one
  // is due a cadence from now. Returns the update's number.
  Result<int64_t> UpdatePosted(store::Tx& tx, int64_t incident_id);

  // Tells `user` about the incident at once through their first channels (not their
  // escalation), once per (kind, incident, key, user, method).
  Status Notify(store::Tx& tx, const incidents::Incident& inc, const paging::UserRef& user,
                const std::string& kind, const std::string& key, const std::string& what,
                const std::string& detail);
  // Who owns the incident's review by default: the commander (by the role's name), else
  // whoever acknowledged; nullopt when neither.
  Result<std::optional<paging::UserRef>> ReviewOwner(store::Tx& tx, const incidents::Incident& inc);

  // The tx hook (public for tests).
  Status OnEvent(store::Tx& tx, const events::Event& e);

 private:
  struct ClockRow;
  Result<std::optional<ClockRow>> LoadClock(store::Tx& tx, int64_t id);
  Status SaveClock(store::Tx& tx, const ClockRow& c);
  Status Arm(store::Tx& tx, const incidents::Incident& inc, const playbook::Document& doc,
             bool retime, std::optional<TimeMs> restart_at = std::nullopt);
  Status ArmTimers(store::Tx& tx, const ClockRow& c, const incidents::Incident& inc,
                   const playbook::Severity* level);
  Status OnDeclared(store::Tx& tx, int64_t id);
  Status OnResolved(store::Tx& tx, int64_t id);
  using ClockFn = std::function<Status(ClockRow* c, const incidents::Incident* inc,
                                       const playbook::Document& doc,
                                       const playbook::Severity* level, TimeMs now)>;
  Status WithClock(store::Tx& tx, int64_t id, const char* timer, const ClockFn& fn);
  // A target (ack or resolve) due and not missed yet: marks it missed and appends `kind`.
  // True when it did.
  Result<bool> MissTarget(store::Tx& tx, ClockRow& c, const std::optional<TimeMs>& due,
                          std::optional<TimeMs>& missed, const playbook::Severity& level,
                          const std::optional<playbook::DurationMs>& target, const char* kind,
                          TimeMs now);
  Status OnAckTimer(store::Tx& tx, int64_t id, TimeMs due);
  Status OnResolveTimer(store::Tx& tx, int64_t id, TimeMs due);
  Status OnMatrixTimer(store::Tx& tx, int64_t id, TimeMs due);
  Status OnUpdateTimer(store::Tx& tx, int64_t id, TimeMs due);
  Status ClearTimers(store::Tx& tx, int64_t id);
  // Users behind targets (user, schedule, role, team); email targets go to `emails`.
  Result<std::vector<paging::UserRef>> Resolve(store::Tx& tx, int64_t incident_id,
                                               const playbook::Document& doc,
                                               const std::vector<playbook::Target>& targets,
                                               std::vector<std::string>* emails);
  // Tells the level's stakeholders `what` (a short headline) once per (incident, key).
  Status TellStakeholders(store::Tx& tx, const incidents::Incident& inc,
                          const playbook::Severity& level, const std::string& key,
                          const std::string& what, const std::string& detail);
  // A notice about the incident (`what`: a short headline; `detail`: the body).
  notify::Message Notice(const incidents::Incident& inc, const std::string& kind,
                         const std::string& what, const std::string& detail) const;
  // The communications lead (when `comms_first`), else the commander, else whoever
  // acknowledged.
  Result<std::optional<paging::UserRef>> Owner(store::Tx& tx, const incidents::Incident& inc,
                                               const playbook::Document& doc, bool comms_first);
  Result<std::vector<paging::UserRef>> UpdateOwners(store::Tx& tx, const incidents::Incident& inc,
                                                    const playbook::Document& doc);
  TimeMs UpdateLead(const playbook::Severity& level) const;
  Result<nlohmann::json> RunbookJson(store::Tx& tx, const incidents::Incident& inc,
                                     const playbook::Document& doc);
  Result<paging::PagePlan> Plan(store::Tx& tx, const incidents::Incident& inc);

  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  paging::Pager& pager_;
  paging::People& people_;
  incidents::IncidentService& incidents_;
  Options options_;
  mutable std::mutex mu_;
  std::shared_ptr<const playbook::Document> doc_;
};

}  // namespace klaxon::response
