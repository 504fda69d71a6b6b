// The paging service: escalation of incidents through their policy, handoff notices, and
// the notification outbox they write to.
//
// It reacts to incident events inside the transaction that appends them (EventLog's tx
// hook): `incident.declared` starts the policy (step 1 due now), `incident.acknowledged`
// and `incident.resolved` stop it and cancel notifications not yet sent,
// `incident.reopened` starts it again. Each step is a durable timer ("escalation",
// incident id); its handler re-reads the escalation row, fires the step (resolving
// schedules and roles to people at that moment), queues one outbox row per (person,
// contact method, rule delay) with an idempotency key derived from the firing, and sets
// the next timer — all in one transaction, so a crash either did all of it or none.
// Schedules keep a "handoff" timer at their next change of on-call person; its handler
// tells the incoming person, with the open incidents.
//
// Thread-safe; holds references only.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/timers.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "notify/channels.h"
#include "paging/catalog.h"
#include "paging/people.h"
#include "store/store.h"

namespace klaxon::paging {

struct PagerOptions {
  std::string public_url = "http://127.0.0.1:8080";
  std::string link_key;                           // HMAC key for action links (>= 32 bytes)
  TimeMs link_ttl_ms = 24 * 3600 * 1000LL;        // acknowledge/resolve links
  TimeMs handoff_horizon_ms = 60 * 86'400'000LL;  // look this far for the next handoff
};

// A queued delivery (an outbox row).
struct OutboxItem {
  std::string idem_key;
  std::string kind;  // "page", "test", "handoff", "role"
  std::optional<int64_t> incident_id;
  int64_t user_id = 0;
  ContactMethod method;
  notify::Message message;
  TimeMs not_before = 0;
  std::string username;                  // when known, the dispatcher needs not read the row back
  std::optional<int64_t> subscriber_id;  // a status page subscriber (user_id 0, no method row)
  std::optional<int64_t> webhook_id;     // an event webhook (user_id 0, no method row)
};

// A new outbox row as committed: enough to deliver it without reading it back.
struct QueuedDelivery {
  int64_t id = 0;
  TimeMs due = 0;
  std::string kind;
  std::string channel;
  std::string address;
  notify::Message message;  // as committed (the row holds it as JSON)
  std::string secret;
  std::optional<int64_t> incident_id;
  int64_t user_id = 0;
  std::string username;  // empty: not known here, read the row
};

// How an incident's escalation starts, as its severity level says (the playbook).
struct PagePlan {
  enum class Mode { kNow, kDefer, kNever };
  Mode mode = Mode::kNow;
  TimeMs defer_until = 0;  // kDefer: when step 1 fires (the next business hours)
  std::string reason;      // for the event: "SEV-3 is record-only"
  std::string policy;      // a policy name to use instead of the service's / default one
};

class Pager {
 public:
  Pager(const Clock& clock, events::EventLog& log, engine::Timers& timers, People& people,
        Catalog& catalog, incidents::IncidentService& incidents, PagerOptions options);

  // Wires the tx hook, the timer handlers and the catalog's schedule-change hook.
  void Install();
  // Called with each new outbox row once its Tx commits.
  using Queued = QueuedDelivery;
  void SetOutboxListener(std::function<void(const Queued&)> fn) {
    outbox_listener_ = std::move(fn);
  }
  // Called instead, while its Tx is still open, with each new first delivery that is due
  // at once (a page's first contact method): the answer is called once, with true when the
  // Tx commits or false when it does not. Lets the dispatcher render the page in the Tx
  // and send it from the committing thread right after the commit.
  using Preparer = std::function<std::function<void(bool committed)>(const Queued&)>;
  void SetOutboxPreparer(Preparer fn) { outbox_preparer_ = std::move(fn); }

  // Consulted when an escalation starts; without it every incident pages at once through
  // its service's (or the default) policy. Set once at start.
  using PlanFn = std::function<Result<PagePlan>(store::Tx&, const incidents::Incident&)>;
  void SetPlanHook(PlanFn fn) { plan_ = std::move(fn); }

  // Pages `users` about the incident now, outside its escalation (an elapsed-time matrix
  // step, say): one outbox row per (user, contact method, rule delay), keyed by
  // `key_prefix` so a repeated call pages nobody twice.
  Status PageUsers(store::Tx& tx, int64_t incident_id, const std::vector<UserRef>& users,
                   const std::string& key_prefix);
  // The user a schedule has on call now; nullopt when nobody (or no such schedule).
  Result<std::optional<UserRef>> OnCallNow(store::Tx& tx, const std::string& schedule);
  // The holder of an incident role; nullopt when unfilled.
  Result<std::optional<UserRef>> RoleHolder(store::Tx& tx, int64_t incident_id,
                                            const std::string& role);

  // The tx hook (public for tests).
  Status OnEvent(store::Tx& tx, const events::Event& e);

  // Manual actions (API): fire the next step now / re-page the current step's targets.
  Result<nlohmann::json> EscalateNow(store::Tx& tx, int64_t incident_id,
                                     const events::Actor& actor);
  Result<nlohmann::json> Repage(store::Tx& tx, int64_t incident_id, const events::Actor& actor);
  Result<nlohmann::json> EscalationJson(store::Tx& tx, int64_t incident_id);

  // Incident roles.
  Result<nlohmann::json> RolesJson(store::Tx& tx, int64_t incident_id);
  Result<nlohmann::json> AssignRole(store::Tx& tx, int64_t incident_id, const std::string& role,
                                    const std::string& user, const events::Actor& actor);

  // Sends a contact-method test message (with a verification code and link).
  Result<int64_t> SendTest(store::Tx& tx, int64_t user_id, int64_t method_id);

  // Queues a delivery; returns its id (or the existing row's, for a repeated key).
  Result<int64_t> Enqueue(store::Tx& tx, const OutboxItem& item);

  // The action link for `action` ("ack", "resolve", "verify") on `subject` for `user`.
  std::string ActionUrl(const std::string& action, int64_t subject, int64_t user_id) const;
  const PagerOptions& options() const { return options_; }

 private:
  Status Start(store::Tx& tx, int64_t incident_id, const events::Actor& actor, bool restart);
  Status Stop(store::Tx& tx, int64_t incident_id, const std::string& reason,
              const events::Actor& actor);
  Status OnEscalationTimer(store::Tx& tx, int64_t incident_id, TimeMs due);
  // Fires step `step` of the escalation of `inc` (as read in this transaction) now;
  // `advance` schedules the following step.
  Status FireStep(store::Tx& tx, const incidents::Incident& inc, const Policy& policy, int step,
                  int repeat, const events::Actor& actor, bool advance, const std::string& why);
  Status PageUser(store::Tx& tx, const incidents::Incident& inc, const UserRef& user,
                  const std::string& key_prefix, TimeMs now);
  notify::Message PageMessage(const incidents::Incident& inc, const UserRef& user) const;
  Status ArmHandoff(store::Tx& tx, int64_t schedule_id);
  Status OnHandoffTimer(store::Tx& tx, int64_t schedule_id, TimeMs due);

  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  People& people_;
  Catalog& catalog_;
  incidents::IncidentService& incidents_;
  PagerOptions options_;
  std::function<void(const Queued&)> outbox_listener_;
  Preparer outbox_preparer_;
  PlanFn plan_;
  Result<std::optional<Policy>> PolicyFor(store::Tx& tx, const incidents::Incident& inc);
};

}  // namespace klaxon::paging
