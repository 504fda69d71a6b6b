#include "paging/pager.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <set>

#include "core/log.h"
#include "core/random.h"
#include "core/time_format.h"
#include "notify/action_links.h"
#include "oncall/rotation.h"

namespace klaxon::paging {

namespace {

constexpr const char* kEscalationTimer = "escalation";
constexpr const char* kHandoffTimer = "handoff";
constexpr TimeMs kMinute = 60'000;
constexpr size_t kMaxRoleName = 100;

// An incident's place in its policy. `step` is the next step to fire (0-based); it equals
// the number of steps once the last step of the last round has fired: the timer then
// marks the escalation exhausted when that step's delay runs out unacknowledged.
struct EscalationRow {
  int64_t policy_id = 0;
  std::string state;
  int step = 0;
  int repeat = 0;  // the round of `step` (0 = first pass)
  int64_t fired = 0;
  std::optional<int> last_step;  // the step that fired last, and its round
  std::optional<int> last_repeat;
};

Result<std::optional<EscalationRow>> LoadEscalation(store::Tx& tx, int64_t incident_id) {
  auto row = tx.QueryOne(
      "SELECT policy_id, state, step, repeat, fired, last_step, last_repeat FROM escalations "
      "WHERE incident_id = ?",
      {incident_id});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<EscalationRow>();
  const auto& r = **row;
  EscalationRow e;
  e.policy_id = r.Int(0);
  e.state = r.Str(1);
  e.step = static_cast<int>(r.Int(2));
  e.repeat = static_cast<int>(r.Int(3));
  e.fired = r.Int(4);
  if (!r.IsNull(5)) e.last_step = static_cast<int>(r.Int(5));
  if (!r.IsNull(6)) e.last_repeat = static_cast<int>(r.Int(6));
  return std::optional<EscalationRow>(e);
}

events::Actor EngineActor() { return {"system", std::nullopt, "engine"}; }

// A Tx hook that calls `answer(true)` when the Tx commits, and `answer(false)` when the
// hook is dropped without having run (the command failed, the Tx rolled back).
class CommitOrNot {
 public:
  explicit CommitOrNot(std::function<void(bool)> answer) : state_(std::make_shared<State>()) {
    state_->answer = std::move(answer);
  }
  void operator()() const {
    if (state_->answered) return;
    state_->answered = true;
    state_->answer(true);
  }

 private:
  struct State {
    std::function<void(bool)> answer;
    bool answered = false;
    ~State() {
      if (!answered && answer) answer(false);
    }
  };
  std::shared_ptr<State> state_;  // shared by the hook's copies: the last one out answers
};

}  // namespace

Pager::Pager(const Clock& clock, events::EventLog& log, engine::Timers& timers, People& people,
             Catalog& catalog, incidents::IncidentService& incidents, PagerOptions options)
    : clock_(clock),
      log_(log),
      timers_(timers),
      people_(people),
      catalog_(catalog),
      incidents_(incidents),
      options_(std::move(options)) {}

void Pager::Install() {
  log_.AddTxHook([this](store::Tx& tx, const events::Event& e) { return OnEvent(tx, e); });
  timers_.On(kEscalationTimer, [this](store::Tx& tx, int64_t id, TimeMs due) {
    return OnEscalationTimer(tx, id, due);
  });
  timers_.On(kHandoffTimer,
             [this](store::Tx& tx, int64_t id, TimeMs due) { return OnHandoffTimer(tx, id, due); });
  catalog_.SetScheduleChangeHook([this](store::Tx& tx, int64_t id) { return ArmHandoff(tx, id); });
}

Status Pager::OnEvent(store::Tx& tx, const events::Event& e) {
  if (!e.incident_id || !e.kind.starts_with("incident.")) return Status::Ok();
  int64_t id = *e.incident_id;
  if (e.kind == "incident.declared") return Start(tx, id, e.actor, false);
  if (e.kind == "incident.reopened") return Start(tx, id, e.actor, true);
  if (e.kind == "incident.acknowledged") return Stop(tx, id, "acknowledged", e.actor);
  if (e.kind == "incident.resolved") return Stop(tx, id, "resolved", e.actor);
  return Status::Ok();
}

Result<std::optional<Policy>> Pager::PolicyFor(store::Tx& tx, const incidents::Incident& inc) {
  if (plan_) {
    KLAXON_ASSIGN_OR_RETURN(PagePlan plan, plan_(tx, inc));
    if (!plan.policy.empty()) {
      auto p = catalog_.FindPolicy(tx, plan.policy);
      if (p.ok()) return std::optional<Policy>(std::move(p).value());
      if (p.status().code() != Code::kNotFound) return p.status();
    }
  }
  return catalog_.PolicyForIncident(tx, inc.id);
}

Status Pager::Start(store::Tx& tx, int64_t incident_id, const events::Actor& /*actor*/,
                    bool restart) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  PagePlan plan;
  if (plan_) {
    KLAXON_ASSIGN_OR_RETURN(plan, plan_(tx, inc));
  }
  if (plan.mode == PagePlan::Mode::kNever) {
    return log_
        .Append(tx, events::Event::Of("escalation.skipped", EngineActor(),
                                      {{"reason", plan.reason}, {"restart", restart}}, incident_id))
        .status();
  }
  KLAXON_ASSIGN_OR_RETURN(auto policy, PolicyFor(tx, inc));
  if (!policy) return Status::Ok();  // nobody to page: the incident is recorded only
  TimeMs now = clock_.Now();
  bool defer = plan.mode == PagePlan::Mode::kDefer && plan.defer_until > now;
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO escalations(incident_id, policy_id, state, step, repeat, fired, updated_at) "
      "VALUES (?,?,?,0,0,0,?) ON CONFLICT(incident_id) DO UPDATE SET "
      "policy_id = excluded.policy_id, state = excluded.state, step = 0, repeat = 0, "
      "last_step = NULL, last_repeat = NULL, updated_at = excluded.updated_at",
      {incident_id, policy->id, std::string(defer ? "deferred" : "active"), now}));
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("escalation.started", EngineActor(),
                                                           {{"policy", policy->id},
                                                            {"policy_name", policy->name},
                                                            {"restart", restart}},
                                                           incident_id))
                             .status());
  if (defer) {
    KLAXON_RETURN_IF_ERROR(
        log_.Append(tx, events::Event::Of(
                            "escalation.deferred", EngineActor(),
                            {{"until", FormatTime(plan.defer_until)}, {"reason", plan.reason}},
                            incident_id))
            .status());
    return timers_.Set(tx, kEscalationTimer, incident_id, plan.defer_until);
  }
  if (policy->steps.empty()) {
    // Nothing to fire: the timer marks the (empty) policy as exhausted.
    return timers_.Set(tx, kEscalationTimer, incident_id, now);
  }
  // Step 1 fires in the declaring transaction: its pages are committed with the incident,
  // so the first page costs no engine round trip and never queues behind other writes.
  return FireStep(tx, inc, *policy, 0, 0, EngineActor(), true, "declared");
}

Status Pager::Stop(store::Tx& tx, int64_t incident_id, const std::string& reason,
                   const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto esc, LoadEscalation(tx, incident_id));
  auto cancelled = tx.Query(
      "UPDATE outbox SET status = 'cancelled', last_error = ? WHERE incident_id = ? AND "
      "kind = 'page' AND status = 'pending' RETURNING id",
      {std::string("cancelled: incident ") + reason, incident_id});
  if (!cancelled.ok()) return cancelled.status();
  bool was_active =
      esc && (esc->state == "active" || esc->state == "exhausted" || esc->state == "deferred");
  if (!was_active && cancelled->empty()) return Status::Ok();
  if (was_active) {
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE escalations SET state = 'stopped', updated_at = ? WHERE incident_id = ?",
                {clock_.Now(), incident_id}));
    KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kEscalationTimer, incident_id));
  }
  return log_
      .Append(tx, events::Event::Of(
                      "escalation.stopped", actor,
                      {{"reason", reason}, {"cancelled_notifications", cancelled->size()}},
                      incident_id))
      .status();
}

Status Pager::OnEscalationTimer(store::Tx& tx, int64_t incident_id, TimeMs /*due*/) {
  KLAXON_ASSIGN_OR_RETURN(auto esc, LoadEscalation(tx, incident_id));
  if (!esc || (esc->state != "active" && esc->state != "deferred")) return Status::Ok();
  auto inc = incidents_.Get(tx, incident_id);
  if (!inc.ok()) return inc.status().code() == Code::kNotFound ? Status::Ok() : inc.status();
  if (inc->status != incidents::IncidentStatus::kTriggered) {
    return tx.Exec("UPDATE escalations SET state = 'stopped', updated_at = ? WHERE incident_id = ?",
                   {clock_.Now(), incident_id});
  }
  auto policy = catalog_.GetPolicy(tx, esc->policy_id);
  if (!policy.ok()) {
    if (policy.status().code() != Code::kNotFound) return policy.status();
    return tx.Exec("UPDATE escalations SET state = 'stopped', updated_at = ? WHERE incident_id = ?",
                   {clock_.Now(), incident_id});
  }
  if (esc->state == "deferred") {
    // Business hours began: step 1 fires now.
    if (policy->steps.empty())
      return tx.Exec(
          "UPDATE escalations SET state = 'exhausted', updated_at = ? WHERE "
          "incident_id = ?",
          {clock_.Now(), incident_id});
    return FireStep(tx, *inc, *policy, 0, 0, EngineActor(), true, "business hours");
  }
  if (esc->step >= static_cast<int>(policy->steps.size())) {
    // The last step's wait ran out with nobody acknowledging.
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE escalations SET state = 'exhausted', updated_at = ? WHERE incident_id = ?",
                {clock_.Now(), incident_id}));
    return log_
        .Append(tx, events::Event::Of("escalation.exhausted", EngineActor(),
                                      {{"policy", policy->id},
                                       {"policy_name", policy->name},
                                       {"repeats", policy->repeat}},
                                      incident_id))
        .status();
  }
  return FireStep(tx, *inc, *policy, esc->step, esc->repeat, EngineActor(), true, "timer");
}

Status Pager::FireStep(store::Tx& tx, const incidents::Incident& inc, const Policy& policy,
                       int step, int repeat, const events::Actor& actor, bool advance,
                       const std::string& why) {
  const int64_t incident_id = inc.id;
  TimeMs now = clock_.Now();
  const Step& s = policy.steps.at(static_cast<size_t>(step));

  // Resolve targets to people as of now.
  std::vector<UserRef> people;
  std::set<int64_t> seen;
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : s.targets) {
    std::optional<int64_t> uid;
    if (t.type == "user") {
      uid = t.id;
    } else if (t.type == "schedule") {
      auto sched = catalog_.GetSchedule(tx, t.id);
      if (sched.ok())
        uid = oncall::OnCallAt(sched->schedule, now);
      else if (sched.status().code() != Code::kNotFound)
        return sched.status();
    } else if (t.type == "role") {
      auto row = tx.QueryOne(
          "SELECT r.user_id FROM incident_roles r JOIN users u ON u.id = r.user_id "
          "WHERE r.incident_id = ? AND r.role = ? AND u.deactivated_at IS NULL",
          {incident_id, t.name});
      if (!row.ok()) return row.status();
      if (*row) uid = (*row)->Int(0);
    }
    nlohmann::json tj = t.ToJson();
    tj["user"] = nullptr;
    if (uid) {
      auto user = people_.GetUser(tx, *uid);
      if (user.ok()) {
        tj["user"] = user->username;
        if (seen.insert(user->id).second) people.push_back(*user);
      } else if (user.status().code() != Code::kNotFound) {
        return user.status();
      }
    }
    targets.push_back(std::move(tj));
  }

  KLAXON_ASSIGN_OR_RETURN(auto esc, LoadEscalation(tx, incident_id));
  int64_t fired = (esc ? esc->fired : 0) + 1;
  std::string key_prefix = "page:" + std::to_string(incident_id) + ":" + std::to_string(fired);
  nlohmann::json paged = nlohmann::json::array();
  for (const auto& u : people) {
    KLAXON_RETURN_IF_ERROR(PageUser(tx, inc, u, key_prefix, now));
    paged.push_back(u.username);
  }

  int next_step = esc ? esc->step : step;
  int next_repeat = esc ? esc->repeat : repeat;
  std::string state = esc ? esc->state : "active";
  std::optional<TimeMs> next_at;
  if (advance) {
    next_step = step + 1;
    next_repeat = repeat;
    if (next_step >= static_cast<int>(policy.steps.size()) && repeat < policy.repeat) {
      next_step = 0;
      next_repeat = repeat + 1;
    }
    // Past the last step of the last round, the timer only marks the end of its wait.
    state = "active";
    next_at = now + s.delay_minutes * kMinute;
  } else if (state == "active") {
    // A manual re-page restarts this step's wait.
    next_at = now + s.delay_minutes * kMinute;
  }
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE escalations SET step = ?, repeat = ?, fired = ?, state = ?, last_step = ?, "
              "last_repeat = ?, updated_at = ? WHERE incident_id = ?",
              {static_cast<int64_t>(next_step), static_cast<int64_t>(next_repeat), fired, state,
               static_cast<int64_t>(step), static_cast<int64_t>(repeat), now, incident_id}));
  if (next_at) KLAXON_RETURN_IF_ERROR(timers_.Set(tx, kEscalationTimer, incident_id, *next_at));
  nlohmann::json data = {
      {"policy", policy.id},
      {"policy_name", policy.name},
      {"step", step + 1},
      {"repeat", repeat},
      {"targets", targets},
      {"paged", paged},
      {"via", why},
      {"next_at", next_at ? nlohmann::json(FormatTime(*next_at)) : nlohmann::json()}};
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("escalation.step_fired", actor, data, incident_id))
          .status());
  return Status::Ok();
}

Status Pager::PageUsers(store::Tx& tx, int64_t incident_id, const std::vector<UserRef>& users,
                        const std::string& key_prefix) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  TimeMs now = clock_.Now();
  for (const auto& u : users) KLAXON_RETURN_IF_ERROR(PageUser(tx, inc, u, key_prefix, now));
  return Status::Ok();
}

Result<std::optional<UserRef>> Pager::OnCallNow(store::Tx& tx, const std::string& schedule) {
  auto sched = catalog_.FindSchedule(tx, schedule);
  if (!sched.ok())
    return sched.status().code() == Code::kNotFound ? Result<std::optional<UserRef>>(std::nullopt)
                                                    : sched.status();
  auto uid = oncall::OnCallAt(sched->schedule, clock_.Now());
  if (!uid) return std::optional<UserRef>();
  auto user = people_.GetUser(tx, *uid);
  if (!user.ok())
    return user.status().code() == Code::kNotFound ? Result<std::optional<UserRef>>(std::nullopt)
                                                   : user.status();
  return std::optional<UserRef>(*user);
}

Result<std::optional<UserRef>> Pager::RoleHolder(store::Tx& tx, int64_t incident_id,
                                                 const std::string& role) {
  auto row = tx.QueryOne(
      "SELECT r.user_id FROM incident_roles r JOIN users u ON u.id = r.user_id "
      "WHERE r.incident_id = ? AND r.role = ? AND u.deactivated_at IS NULL",
      {incident_id, role});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<UserRef>();
  auto user = people_.GetUser(tx, (*row)->Int(0));
  if (!user.ok())
    return user.status().code() == Code::kNotFound ? Result<std::optional<UserRef>>(std::nullopt)
                                                   : user.status();
  return std::optional<UserRef>(*user);
}

std::string Pager::ActionUrl(const std::string& action, int64_t subject, int64_t user_id) const {
  notify::ActionClaim claim;
  claim.action = action;
  claim.subject = subject;
  claim.user_id = user_id;
  claim.expires_at = clock_.Now() + options_.link_ttl_ms;
  claim.nonce = RandomToken(16);
  return options_.public_url + "/a/" + notify::SignAction(options_.link_key, claim);
}

notify::Message Pager::PageMessage(const incidents::Incident& inc, const UserRef& user) const {
  notify::Message m;
  m.kind = "page";
  m.incident_ref = inc.ref();
  m.title = inc.DisplayTitle();
  m.severity = inc.severity;
  m.status = incidents::StatusName(inc.status);
  m.service = inc.service ? inc.service->name : "";
  m.summary = inc.description;
  m.console_url = options_.public_url + "/ui/incidents/" + std::to_string(inc.id);
  m.ack_url = ActionUrl("ack", inc.id, user.id);
  m.resolve_url = ActionUrl("resolve", inc.id, user.id);
  m.recipient_name = user.name;
  m.at = clock_.Now();
  if (!inc.impact.empty()) m.fields.emplace_back("Impact", inc.impact);
  if (inc.drill) m.fields.emplace_back("DRILL", "This is a drill (game day), not a real incident.");
  return m;
}

Status Pager::PageUser(store::Tx& tx, const incidents::Incident& inc, const UserRef& user,
                       const std::string& key_prefix, TimeMs now) {
  KLAXON_ASSIGN_OR_RETURN(auto plan, people_.PagePlan(tx, user.id));
  if (plan.empty()) {
    LogWarn("paged user has no contact methods", {{"user", user.username}, {"incident", inc.id}});
    return Status::Ok();
  }
  notify::Message m = PageMessage(inc, user);
  for (const auto& [method, delay] : plan) {
    OutboxItem item;
    item.idem_key = key_prefix + ":" + std::to_string(user.id) + ":" + std::to_string(method.id) +
                    ":" + std::to_string(delay);
    item.kind = "page";
    item.incident_id = inc.id;
    item.user_id = user.id;
    item.method = method;
    item.message = m;
    item.not_before = now + delay * kMinute;
    item.username = user.username;
    KLAXON_RETURN_IF_ERROR(Enqueue(tx, item).status());
  }
  return Status::Ok();
}

Result<int64_t> Pager::Enqueue(store::Tx& tx, const OutboxItem& item) {
  TimeMs now = clock_.Now();
  // The idempotency key makes a repeated decision a no-op. Looked up first rather than
  // INSERT … ON CONFLICT DO NOTHING RETURNING: RETURNING costs SQLite a temporary table.
  auto existing = tx.QueryOne("SELECT id FROM outbox WHERE idem_key = ?", {item.idem_key});
  if (!existing.ok()) return existing.status();
  if (*existing) return (*existing)->Int(0);
  std::string message = item.message.ToJson().dump();
  auto inserted = tx.Insert(
      "INSERT INTO outbox(idem_key, kind, incident_id, user_id, contact_method_id, channel, "
      "address, message, status, attempts, due_at, next_attempt_at, created_at, subscriber_id, "
      "webhook_id) VALUES (?,?,?,?,?,?,?,?,'pending',0,?,?,?,?,?)",
      {item.idem_key, item.kind, store::Opt(item.incident_id), item.user_id,
       item.subscriber_id || item.webhook_id ? store::Value() : store::Value(item.method.id),
       notify::ChannelName(item.method.kind), item.method.address, message, item.not_before,
       item.not_before, now, store::Opt(item.subscriber_id), store::Opt(item.webhook_id)});
  if (!inserted.ok()) return inserted.status();
  const int64_t id = inserted.value();
  if (outbox_listener_ || outbox_preparer_) {
    Queued q;
    q.id = id;
    q.due = item.not_before;
    q.kind = item.kind;
    q.channel = notify::ChannelName(item.method.kind);
    q.address = item.method.address;
    q.secret = item.method.secret;
    q.incident_id = item.incident_id;
    q.user_id = item.user_id;
    q.username = item.username;
    if (!q.username.empty()) q.message = item.message;
    if (outbox_preparer_ && !q.username.empty() && q.due <= now)
      tx.OnCommit(CommitOrNot(outbox_preparer_(q)));
    else if (outbox_listener_)
      tx.OnCommit([this, q = std::move(q)] { outbox_listener_(q); });
  }
  return id;
}

// ---------------------------------------------------------------------------------------
// Manual actions

Result<nlohmann::json> Pager::EscalateNow(store::Tx& tx, int64_t incident_id,
                                          const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  if (inc.status == incidents::IncidentStatus::kResolved)
    return Conflict(inc.ref() + " is resolved");
  KLAXON_ASSIGN_OR_RETURN(auto esc, LoadEscalation(tx, incident_id));
  std::optional<Policy> policy;
  if (esc) {
    auto p = catalog_.GetPolicy(tx, esc->policy_id);
    if (p.ok())
      policy = std::move(p).value();
    else if (p.status().code() != Code::kNotFound)
      return p.status();
  }
  if (!policy) {
    KLAXON_ASSIGN_OR_RETURN(policy, PolicyFor(tx, inc));
    if (!policy) return Conflict("no escalation policy applies to " + inc.ref());
    KLAXON_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO escalations(incident_id, policy_id, state, step, repeat, fired, updated_at) "
        "VALUES (?,?,?,0,0,0,?) ON CONFLICT(incident_id) DO UPDATE SET policy_id = "
        "excluded.policy_id",
        {incident_id, policy->id,
         std::string(inc.status == incidents::IncidentStatus::kTriggered ? "active" : "stopped"),
         clock_.Now()}));
    KLAXON_ASSIGN_OR_RETURN(esc, LoadEscalation(tx, incident_id));
  }
  int last = static_cast<int>(policy->steps.size()) - 1;
  int step = std::min(esc->step, last);
  // On a triggered incident the policy goes on from the step fired now; on an
  // acknowledged one this is a single extra page.
  bool advance = inc.status == incidents::IncidentStatus::kTriggered;
  KLAXON_RETURN_IF_ERROR(FireStep(tx, inc, *policy, step, esc->repeat, actor, advance, "escalate"));
  return EscalationJson(tx, incident_id);
}

Result<nlohmann::json> Pager::Repage(store::Tx& tx, int64_t incident_id,
                                     const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  if (inc.status == incidents::IncidentStatus::kResolved)
    return Conflict(inc.ref() + " is resolved");
  KLAXON_ASSIGN_OR_RETURN(auto esc, LoadEscalation(tx, incident_id));
  if (!esc) return EscalateNow(tx, incident_id, actor);
  auto policy = catalog_.GetPolicy(tx, esc->policy_id);
  if (!policy.ok()) {
    if (policy.status().code() == Code::kNotFound)
      return Conflict("the escalation policy of " + inc.ref() + " was deleted");
    return policy.status();
  }
  int n = static_cast<int>(policy->steps.size());
  // The step that fired last, or the first. Before any step fired there is nothing to
  // page again: this is step 1's firing, and the policy goes on from it (else the timer
  // would fire step 1 a second time after its delay).
  int step = std::min(esc->last_step.value_or(0), n - 1);
  bool advance = !esc->last_step && esc->state == "active" &&
                 inc.status == incidents::IncidentStatus::kTriggered;
  KLAXON_RETURN_IF_ERROR(FireStep(tx, inc, *policy, step, esc->last_repeat.value_or(esc->repeat),
                                  actor, advance, "repage"));
  return EscalationJson(tx, incident_id);
}

Result<nlohmann::json> Pager::EscalationJson(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  (void)inc;
  KLAXON_ASSIGN_OR_RETURN(auto esc, LoadEscalation(tx, incident_id));
  if (!esc)
    return nlohmann::json{{"policy", nullptr}, {"state", "none"},    {"step", 0},
                          {"repeat", 0},       {"next_at", nullptr}, {"pages", 0}};
  nlohmann::json policy = nullptr;
  int steps = 0;
  auto p = catalog_.GetPolicy(tx, esc->policy_id);
  if (p.ok()) {
    policy = {{"id", p->id}, {"name", p->name}};
    steps = static_cast<int>(p->steps.size());
  }
  KLAXON_ASSIGN_OR_RETURN(auto due, timers_.DueAt(tx, kEscalationTimer, incident_id));
  bool active = esc->state == "active" || esc->state == "deferred";
  return nlohmann::json{
      {"policy", policy},
      {"state", esc->state},
      // The step that fired last (1-based; 0 before any) and its round (0 = first pass).
      {"step", esc->last_step ? *esc->last_step + 1 : 0},
      {"repeat", esc->last_repeat.value_or(0)},
      {"next_step", active && esc->step < steps ? esc->step + 1 : 0},
      {"steps", steps},
      {"fired", esc->fired},
      {"next_at", due && active ? nlohmann::json(FormatTime(*due)) : nlohmann::json()}};
}

// ---------------------------------------------------------------------------------------
// Roles

Result<nlohmann::json> Pager::RolesJson(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  (void)inc;
  auto rows = tx.Query(
      "SELECT r.role, u.id, u.username, u.name, r.assigned_at FROM incident_roles r "
      "JOIN users u ON u.id = r.user_id WHERE r.incident_id = ? ORDER BY r.role",
      {incident_id});
  if (!rows.ok()) return rows.status();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : *rows)
    items.push_back({{"role", r.Str(0)},
                     {"user", UserRef{r.Int(1), r.Str(2), r.Str(3)}.ToJson()},
                     {"assigned_at", FormatTime(r.Int(4))}});
  return nlohmann::json{{"items", items}};
}

Result<nlohmann::json> Pager::AssignRole(store::Tx& tx, int64_t incident_id,
                                         const std::string& role, const std::string& user_key,
                                         const events::Actor& actor) {
  if (role.empty() || role.size() > kMaxRoleName)
    return InvalidField("/role", "must be 1 to 100 characters");
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  auto user = people_.FindUser(tx, user_key);
  if (!user.ok()) {
    if (user.status().code() == Code::kNotFound)
      return InvalidField("/user", "unknown user '" + user_key + "'");
    return user.status();
  }
  auto prev = tx.QueryOne(
      "SELECT u.username, u.id FROM incident_roles r JOIN users u ON u.id = r.user_id "
      "WHERE r.incident_id = ? AND r.role = ?",
      {incident_id, role});
  if (!prev.ok()) return prev.status();
  if (*prev && (*prev)->Int(1) == user->id)
    return Conflict(user->username + " already holds " + role);
  TimeMs now = clock_.Now();
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO incident_roles(incident_id, role, user_id, assigned_at) VALUES (?,?,?,?) "
      "ON CONFLICT(incident_id, role) DO UPDATE SET user_id = excluded.user_id, "
      "assigned_at = excluded.assigned_at",
      {incident_id, role, user->id, now}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("incident.role_assigned", actor,
                                        {{"role", role},
                                         {"user", user->username},
                                         {"previous", *prev ? nlohmann::json((*prev)->Str(0))
                                                            : nlohmann::json()}},
                                        incident_id))
          .status());
  // Tell the new holder (their immediate contact methods).
  KLAXON_ASSIGN_OR_RETURN(auto plan, people_.PagePlan(tx, user->id));
  notify::Message m = PageMessage(inc, *user);
  m.kind = "role";
  m.summary = "You are now " + role + " for " + inc.ref() + ".";
  m.fields.emplace_back("Role", role);
  for (const auto& [method, delay] : plan) {
    if (delay != 0) continue;
    OutboxItem item;
    item.idem_key = "role:" + std::to_string(incident_id) + ":" + role + ":" +
                    std::to_string(user->id) + ":" + std::to_string(method.id) + ":" +
                    std::to_string(now);
    item.kind = "role";
    item.incident_id = incident_id;
    item.user_id = user->id;
    item.method = method;
    item.message = m;
    item.not_before = now;
    KLAXON_RETURN_IF_ERROR(Enqueue(tx, item).status());
  }
  return RolesJson(tx, incident_id);
}

// ---------------------------------------------------------------------------------------
// Contact-method tests

Result<int64_t> Pager::SendTest(store::Tx& tx, int64_t user_id, int64_t method_id) {
  KLAXON_ASSIGN_OR_RETURN(ContactMethod method, people_.GetContactMethod(tx, user_id, method_id));
  KLAXON_ASSIGN_OR_RETURN(UserRef user, people_.GetUser(tx, user_id));
  KLAXON_ASSIGN_OR_RETURN(std::string code, people_.NewVerifyCode(tx, user_id, method_id));
  notify::Message m;
  m.kind = "test";
  m.title = "Test notification from Klaxon";
  m.recipient_name = user.name;
  m.verify_code = code;
  m.ack_url = ActionUrl("verify", method_id, user_id);
  m.console_url = options_.public_url + "/ui/profile";
  m.at = clock_.Now();
  OutboxItem item;
  item.idem_key = "test:" + std::to_string(method_id) + ":" + RandomToken(9);
  item.kind = "test";
  item.user_id = user_id;
  item.method = method;
  item.message = m;
  item.not_before = clock_.Now();
  return Enqueue(tx, item);
}

// ---------------------------------------------------------------------------------------
// Handoffs

Status Pager::ArmHandoff(store::Tx& tx, int64_t schedule_id) {
  auto s = catalog_.GetSchedule(tx, schedule_id);
  if (!s.ok()) {
    if (s.status().code() == Code::kNotFound) return timers_.Clear(tx, kHandoffTimer, schedule_id);
    return s.status();
  }
  TimeMs now = clock_.Now();
  auto next = oncall::NextHandoff(s->schedule, now, now + options_.handoff_horizon_ms);
  return timers_.Set(tx, kHandoffTimer, schedule_id,
                     next ? *next : now + options_.handoff_horizon_ms);
}

Status Pager::OnHandoffTimer(store::Tx& tx, int64_t schedule_id, TimeMs due) {
  auto s = catalog_.GetSchedule(tx, schedule_id);
  if (!s.ok()) return s.status().code() == Code::kNotFound ? Status::Ok() : s.status();
  auto incoming = oncall::OnCallAt(s->schedule, due);
  auto outgoing = oncall::OnCallAt(s->schedule, due - 1);
  if (incoming != outgoing) {
    nlohmann::json from = nullptr, to = nullptr;
    std::optional<UserRef> in_user;
    if (outgoing) {
      auto u = people_.GetUser(tx, *outgoing);
      if (u.ok()) from = u->username;
    }
    if (incoming) {
      auto u = people_.GetUser(tx, *incoming);
      if (u.ok()) {
        to = u->username;
        in_user = *u;
      }
    }
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("oncall.handoff", EngineActor(),
                                                             {{"schedule", schedule_id},
                                                              {"schedule_name", s->schedule.name},
                                                              {"from", from},
                                                              {"to", to}}))
                               .status());
    if (in_user) {
      auto open = tx.Query(
          "SELECT id, title, severity, drill FROM incidents WHERE status <> 'resolved' ORDER BY "
          "id DESC LIMIT 10");
      if (!open.ok()) return open.status();
      std::string summary;
      for (const auto& r : *open)
        summary += "INC-" + std::to_string(r.Int(0)) + " [" + r.Str(2) + "] " +
                   (r.Int(3) ? incidents::DrillTitle(r.Str(1)) : r.Str(1)) + "\n";
      notify::Message m;
      m.kind = "handoff";
      m.title = "You are now on call for " + s->schedule.name;
      m.summary = summary;
      m.recipient_name = in_user->name;
      m.console_url = options_.public_url + "/ui/schedules/" + std::to_string(schedule_id);
      m.at = due;
      KLAXON_ASSIGN_OR_RETURN(auto plan, people_.PagePlan(tx, in_user->id));
      for (const auto& [method, delay] : plan) {
        if (delay != 0) continue;
        OutboxItem item;
        item.idem_key = "handoff:" + std::to_string(schedule_id) + ":" + std::to_string(due) + ":" +
                        std::to_string(method.id);
        item.kind = "handoff";
        item.user_id = in_user->id;
        item.method = method;
        item.message = m;
        item.not_before = clock_.Now();
        KLAXON_RETURN_IF_ERROR(Enqueue(tx, item).status());
      }
    }
  }
  return ArmHandoff(tx, schedule_id);
}

}  // namespace klaxon::paging
