#include "response/reviews.h"

#include <algorithm>
#include <set>

#include "core/time_format.h"
#include "notify/mustache_data.h"
#include "runbook/runbook.h"

namespace klaxon::response {

namespace {

using json = nlohmann::json;

constexpr const char* kTimer = "review";
constexpr TimeMs kDay = 86'400'000;
constexpr size_t kMaxTimeline = 500;
constexpr size_t kMaxSection = 20000;
constexpr size_t kMaxPublicText = 20000;

events::Actor EngineActor() { return {"system", std::nullopt, "engine"}; }

// The built-in review template (Markdown with mustache fields).
constexpr const char* kDefaultTemplate = R"md(# {{ref}}: {{title}}

| | |
|---|---|
| Severity | {{severity}} |
| Service | {{#service}}{{service}}{{/service}}{{^service}}—{{/service}} |
| Duration | {{duration}} |
| Review owner | {{#owner}}{{owner}}{{/owner}}{{^owner}}—{{/owner}} |
| Review due | {{#due_at}}{{due_at}}{{/due_at}}{{^due_at}}—{{/due_at}} |

## Summary
{{#summary}}{{summary}}{{/summary}}{{^summary}}_No summary yet._{{/summary}}

## Impact
{{#impact}}{{impact}}{{/impact}}{{^impact}}_Not recorded._{{/impact}}

## Key moments
| Moment | When | Since detection | Since the previous |
|---|---|---|---|
{{#moments}}| {{name}} | {{at}} | {{since_detected}} | {{since_previous}} |
{{/moments}}

Time to acknowledge: {{time_to_acknowledge}}. Time to identify the root cause: {{time_to_root_cause}}.
Time to mitigate: {{time_to_mitigate}}. Time to restore: {{time_to_restore}}. Time to resolve: {{time_to_resolve}}.

## Timeline
{{#timeline}}- {{at}} — {{what}}{{#text}}: {{text}}{{/text}}
{{/timeline}}

## Alerts
{{#alerts}}- {{alertname}} ({{count}}×, first seen {{first_seen}}){{#labels}} — {{labels}}{{/labels}}
{{/alerts}}{{^alerts}}_None._{{/alerts}}

## Roles
{{#roles}}- {{role}}: {{user}}
{{/roles}}{{^roles}}_None assigned._{{/roles}}

## Root cause
{{#root_cause}}{{root_cause}}{{/root_cause}}{{^root_cause}}_To be written._{{/root_cause}}

## Contributing factors
{{#contributing_factors}}{{contributing_factors}}{{/contributing_factors}}{{^contributing_factors}}_To be written._{{/contributing_factors}}

## What went well
{{#went_well}}{{went_well}}{{/went_well}}{{^went_well}}_To be written._{{/went_well}}

## What went wrong
{{#went_wrong}}{{went_wrong}}{{/went_wrong}}{{^went_wrong}}_To be written._{{/went_wrong}}

## Where we got lucky
{{#lucky}}{{lucky}}{{/lucky}}{{^lucky}}_To be written._{{/lucky}}

## Lessons
{{#lessons}}{{lessons}}{{/lessons}}{{^lessons}}_To be written._{{/lessons}}
)md";

const char* MomentLabel(const std::string& m) {
  if (m == "detected") return "Detected";
  if (m == "acknowledged") return "Acknowledged";
  if (m == "root_cause_identified") return "Root cause identified";
  if (m == "mitigation_started") return "Mitigation started";
  if (m == "service_restored") return "Service restored";
  if (m == "resolved") return "Resolved";
  return "Moment";
}

std::string Cap(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// One line of the review's timeline for an incident event, or "" to leave it out.
std::pair<std::string, std::string> TimelineLine(const std::string& kind, const std::string& actor,
                                                 const json& d) {
  auto str = [&](const char* k) { return d.is_object() ? d.value(k, std::string()) : ""; };
  if (kind == "incident.declared") return {"Declared by " + actor, ""};
  if (kind == "incident.acknowledged") return {"Acknowledged by " + actor, ""};
  if (kind == "incident.note_added") {
    std::string type = str("type").empty() ? "note" : str("type");
    return {Cap(type) + " by " + actor, str("text")};
  }
  if (kind == "incident.moment_marked")
    return {std::string(MomentLabel(str("moment"))) + " (marked by " + actor + ")", str("note")};
  if (kind == "incident.severity_changed")
    return {"Severity " + str("from") + " → " + str("to") + " by " + actor, str("reason")};
  if (kind == "incident.role_assigned") return {Cap(str("role")) + ": " + str("user"), ""};
  if (kind == "incident.action_run") {
    std::string who = d.contains("automation") ? "automation rule " + str("automation") : actor;
    bool ok = d.is_object() && d.value("ok", false);
    return {"Action " + str("action") + " run by " + who + (ok ? ": succeeded" : ": failed"),
            str("error")};
  }
  if (kind == "incident.update_posted")
    return {"Update #" + std::to_string(d.value("update_number", 0)) + " posted by " + actor,
            str("text")};
  if (kind == "notification.delivered" && str("kind") == "page")
    return {"Paged " + str("user") + " by " + str("channel"), ""};
  if (kind == "status.incident_published") return {"Published on the status page", ""};
  if (kind == "status.incident_updated") return {"Status page update (" + str("status") + ")", ""};
  if (kind == "escalation.step_fired")
    return {"Escalation step " + std::to_string(d.value("step", 0)) + " fired", ""};
  if (kind == "incident.ack_target_missed") return {"Acknowledgement target missed", ""};
  if (kind == "incident.resolve_target_missed") return {"Resolution target missed", ""};
  if (kind == "incident.resolved") return {"Resolved by " + actor, str("summary")};
  if (kind == "incident.reopened") return {"Reopened by " + actor, str("reason")};
  return {"", ""};
}

std::string LabelsText(const std::string& labels_json) {
  json l = json::parse(labels_json, nullptr, false);
  std::string out;
  if (!l.is_object()) return out;
  for (const auto& [k, v] : l.items()) {
    if (k == "alertname" || !v.is_string()) continue;
    out += (out.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
  }
  return out;
}

}  // namespace

struct Reviews::Row {
  int64_t id = 0, incident_id = 0;
  std::string state = "draft";
  std::optional<int64_t> owner_id;
  std::optional<TimeMs> due_at;
  std::string tmpl, template_name;
  json sections = json::object();
  std::string public_text;
  json reviewers = json::array();  // [{username, approved_at: ms|null, comment}]
  int64_t version = 1;
  TimeMs created_at = 0, updated_at = 0;
  std::optional<TimeMs> submitted_at, published_at;
  std::string published_markdown;
  int64_t reminded = 0;
};

Reviews::Reviews(const Clock& clock, events::EventLog& log, engine::Timers& timers,
                 Response& response, paging::People& people, incidents::IncidentService& incidents)
    : clock_(clock),
      log_(log),
      timers_(timers),
      response_(response),
      people_(people),
      incidents_(incidents) {}

void Reviews::Install() {
  log_.AddTxHook([this](store::Tx& tx, const events::Event& e) { return OnEvent(tx, e); });
  timers_.On(kTimer, [this](store::Tx& tx, int64_t id, TimeMs) { return OnTimer(tx, id); });
}

Status Reviews::OnEvent(store::Tx& tx, const events::Event& e) {
  if (e.kind != "incident.review_due" || !e.incident_id) return Status::Ok();
  KLAXON_ASSIGN_OR_RETURN(auto existing, Load(tx, *e.incident_id));
  std::optional<TimeMs> due;
  if (e.data.is_object() && e.data.value("due_at", json()).is_string())
    due = ParseTime(e.data["due_at"].get<std::string>());
  if (existing) {
    // Resolved again after a reopen: a review not yet published takes the new deadline.
    if (existing->state == "published" || !due || existing->due_at == due) return Status::Ok();
    existing->due_at = due;
    existing->reminded = 0;
    KLAXON_RETURN_IF_ERROR(Save(tx, *existing));
    return Arm(tx, *existing);
  }
  return Create(tx, *e.incident_id, "", due, EngineActor()).status();
}

// ---------------------------------------------------------------------------------------
// Storage

Result<std::optional<Reviews::Row>> Reviews::Load(store::Tx& tx, int64_t incident_id) {
  auto row = tx.QueryOne(
      "SELECT id, incident_id, state, owner_id, due_at, template, template_name, sections, "
      "public_text, reviewers, version, created_at, updated_at, submitted_at, published_at, "
      "published_markdown, reminded FROM reviews WHERE incident_id = ?",
      {incident_id});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Row>();
  const store::Row& r = **row;
  Row out;
  out.id = r.Int(0);
  out.incident_id = r.Int(1);
  out.state = r.Str(2);
  out.owner_id = r.OptInt(3);
  out.due_at = r.OptInt(4);
  out.tmpl = r.Str(5);
  out.template_name = r.Str(6);
  out.sections = json::parse(r.Str(7), nullptr, false);
  if (!out.sections.is_object()) out.sections = json::object();
  out.public_text = r.Str(8);
  out.reviewers = json::parse(r.Str(9), nullptr, false);
  if (!out.reviewers.is_array()) out.reviewers = json::array();
  out.version = r.Int(10);
  out.created_at = r.Int(11);
  out.updated_at = r.Int(12);
  out.submitted_at = r.OptInt(13);
  out.published_at = r.OptInt(14);
  out.published_markdown = r.Str(15);
  out.reminded = r.Int(16);
  return std::optional<Row>(std::move(out));
}

Result<Reviews::Row> Reviews::MustLoad(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(auto r, Load(tx, incident_id));
  if (!r) {
    KLAXON_RETURN_IF_ERROR(incidents_.Get(tx, incident_id).status());
    return NotFound("the incident has no review yet");
  }
  return std::move(*r);
}

Status Reviews::Save(store::Tx& tx, const Row& r) {
  return tx.Exec(
      "UPDATE reviews SET state = ?, owner_id = ?, due_at = ?, sections = ?, public_text = ?, "
      "reviewers = ?, version = ?, updated_at = ?, submitted_at = ?, published_at = ?, "
      "published_markdown = ?, reminded = ? WHERE id = ?",
      {r.state, store::Opt(r.owner_id), store::Opt(r.due_at), r.sections.dump(), r.public_text,
       r.reviewers.dump(), r.version, r.updated_at, store::Opt(r.submitted_at),
       store::Opt(r.published_at), r.published_markdown, r.reminded, r.id});
}

Status Reviews::Emit(store::Tx& tx, const char* kind, const Row& r, const events::Actor& actor,
                     json data) {
  data["review"] = r.id;
  data["state"] = r.state;
  data["version"] = r.version;
  return log_.Append(tx, events::Event::Of(kind, actor, std::move(data), r.incident_id)).status();
}

// ---------------------------------------------------------------------------------------
// Reminders

namespace {

// When the next reminder is due: before the deadline (a day, or half-way for a shorter
// deadline), at the deadline, then weekly.
std::optional<TimeMs> NextReminder(TimeMs created_at, std::optional<TimeMs> due, int64_t reminded) {
  if (!due) return std::nullopt;
  if (reminded == 0) {
    TimeMs lead = std::min<TimeMs>(kDay, std::max<TimeMs>(0, *due - created_at) / 2);
    if (lead > 0) return *due - lead;
    return *due;
  }
  return *due + 7 * kDay * (reminded - 1);
}

}  // namespace

Status Reviews::Arm(store::Tx& tx, const Row& r) {
  auto at =
      r.state == "published" ? std::nullopt : NextReminder(r.created_at, r.due_at, r.reminded);
  if (!at) return timers_.Clear(tx, kTimer, r.incident_id);
  return timers_.Set(tx, kTimer, r.incident_id, *at);
}

Status Reviews::OnTimer(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(auto r, Load(tx, incident_id));
  if (!r || r->state == "published" || !r->due_at) return timers_.Clear(tx, kTimer, incident_id);
  TimeMs now = clock_.Now();
  auto at = NextReminder(r->created_at, r->due_at, r->reminded);
  if (!at || now < *at) return Arm(tx, *r);
  if (r->reminded == 0 && now >= *r->due_at) r->reminded = 1;  // late: straight to overdue
  bool before = r->reminded == 0;
  r->reminded++;
  KLAXON_RETURN_IF_ERROR(Save(tx, *r));
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  std::string owner;
  if (r->owner_id) {
    auto u = people_.GetUser(tx, *r->owner_id);
    if (u.ok()) {
      owner = u->username;
      std::string what = before ? "review due soon" : "review overdue";
      std::string detail = "The review of " + inc.ref() + " is " +
                           (before ? "due " : "overdue since ") + HumanTime(*r->due_at) + ".";
      KLAXON_RETURN_IF_ERROR(response_.Notify(
          tx, inc, *u, "review",
          "review:" + std::to_string(*r->due_at) + ":" + std::to_string(r->reminded), what,
          detail));
    }
  }
  KLAXON_RETURN_IF_ERROR(Emit(tx, "review.reminder_sent", *r, EngineActor(),
                              {{"when", before ? "before" : "overdue"},
                               {"owner", owner.empty() ? json() : json(owner)},
                               {"due_at", FormatTime(*r->due_at)}}));
  return Arm(tx, *r);
}

// ---------------------------------------------------------------------------------------
// Facts and the document

Result<nlohmann::json> Reviews::Facts(store::Tx& tx, const incidents::Incident& inc) {
  KLAXON_ASSIGN_OR_RETURN(json facts, response_.Facts(tx, inc));
  facts["summary"] = inc.resolution_summary;

  // Key moments: the incident's own times and the ones responders marked.
  std::map<std::string, TimeMs> at;
  at["detected"] = inc.created_at;
  if (inc.acknowledged_at) at["acknowledged"] = *inc.acknowledged_at;
  if (inc.resolved_at) at["resolved"] = *inc.resolved_at;
  auto marked = tx.Query("SELECT moment, at FROM incident_moments WHERE incident_id = ?", {inc.id});
  if (!marked.ok()) return marked.status();
  for (const auto& m : *marked) at[m.Str(0)] = m.Int(1);
  std::vector<std::pair<TimeMs, std::string>> ordered;
  for (const char* m : {"detected", "acknowledged", "root_cause_identified", "mitigation_started",
                        "service_restored", "resolved"})
    if (at.count(m)) ordered.push_back({at[m], m});
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json moments = json::array();
  TimeMs prev = inc.created_at;
  for (const auto& [t, m] : ordered) {
    moments.push_back({{"moment", m},
                       {"name", MomentLabel(m)},
                       {"at", HumanTime(t)},
                       {"at_iso", FormatTime(t)},
                       {"since_detected", HumanDuration(t - inc.created_at)},
                       {"since_previous", HumanDuration(t - prev)}});
    prev = t;
  }
  facts["moments"] = moments;
  auto since = [&](const char* m) -> json {
    return at.count(m) ? json(HumanDuration(at[m] - inc.created_at)) : json("—");
  };
  facts["time_to_acknowledge"] = since("acknowledged");
  facts["time_to_root_cause"] = since("root_cause_identified");
  facts["time_to_mitigate"] = since("mitigation_started");
  facts["time_to_restore"] =
      at.count("service_restored") ? since("service_restored") : since("resolved");
  facts["time_to_resolve"] = since("resolved");

  // The timeline.
  auto rows = tx.Query(
      "SELECT at, kind, actor_name, data FROM events WHERE incident_id = ? ORDER BY seq LIMIT ?",
      {inc.id, static_cast<int64_t>(kMaxTimeline * 4)});
  if (!rows.ok()) return rows.status();
  json timeline = json::array();
  for (const auto& r : *rows) {
    auto [what, text] = TimelineLine(r.Str(1), r.Str(2), json::parse(r.Str(3), nullptr, false));
    if (what.empty()) continue;
    timeline.push_back(
        {{"at", HumanTime(r.Int(0))}, {"kind", r.Str(1)}, {"what", what}, {"text", text}});
    if (timeline.size() >= kMaxTimeline) break;
  }
  facts["timeline"] = timeline;

  auto alerts = tx.Query(
      "SELECT labels, count, first_seen FROM alerts WHERE incident_id = ? ORDER BY first_seen, id",
      {inc.id});
  if (!alerts.ok()) return alerts.status();
  json alist = json::array();
  for (const auto& a : *alerts) {
    json labels = json::parse(a.Str(0), nullptr, false);
    alist.push_back({{"alertname", labels.is_object() ? labels.value("alertname", "") : ""},
                     {"labels", LabelsText(a.Str(0))},
                     {"count", a.Int(1)},
                     {"first_seen", HumanTime(a.Int(2))}});
  }
  facts["alerts"] = alist;

  auto roles = tx.Query(
      "SELECT r.role, u.username, u.name FROM incident_roles r JOIN users u ON u.id = r.user_id "
      "WHERE r.incident_id = ? ORDER BY r.assigned_at, r.role",
      {inc.id});
  if (!roles.ok()) return roles.status();
  json rlist = json::array();
  for (const auto& r : *roles)
    rlist.push_back({{"role", r.Str(0)}, {"user", r.Str(2).empty() ? r.Str(1) : r.Str(2)}});
  facts["roles"] = rlist;
  return facts;
}

Result<std::string> Reviews::Render(store::Tx& tx, const Row& r, const incidents::Incident& inc) {
  if (r.state == "published" && !r.published_markdown.empty()) return r.published_markdown;
  KLAXON_ASSIGN_OR_RETURN(json facts, Facts(tx, inc));
  for (const char* s : kReviewSections) facts[s] = r.sections.value(s, "");
  facts["owner"] = "";
  if (r.owner_id) {
    auto u = people_.GetUser(tx, *r.owner_id);
    if (u.ok()) facts["owner"] = u->name.empty() ? u->username : u->name;
  }
  facts["due_at"] = r.due_at ? HumanTime(*r.due_at) : "";
  return notify::RenderText(r.tmpl, facts);
}

Result<nlohmann::json> Reviews::ToJson(store::Tx& tx, const Row& r, bool full) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, r.incident_id));
  json owner;
  if (r.owner_id) {
    auto u = people_.GetUser(tx, *r.owner_id);
    if (u.ok()) owner = u->ToJson();
  }
  json reviewers = json::array();
  for (const auto& v : r.reviewers)
    reviewers.push_back({{"username", v.value("username", "")},
                         {"approved_at", v.value("approved_at", json()).is_number()
                                             ? json(FormatTime(v["approved_at"].get<TimeMs>()))
                                             : json()},
                         {"comment", v.value("comment", "")}});
  auto opt = [](const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(); };
  json out = {{"id", r.id},
              {"incident",
               {{"id", inc.id},
                {"ref", inc.ref()},
                {"title", inc.DisplayTitle()},
                {"severity", inc.severity},
                {"status", incidents::StatusName(inc.status)}}},
              {"state", r.state},
              {"owner", owner},
              {"due_at", opt(r.due_at)},
              {"overdue", r.state != "published" && r.due_at && clock_.Now() >= *r.due_at},
              {"template", r.template_name.empty() ? json() : json(r.template_name)},
              {"reviewers", reviewers},
              {"version", r.version},
              {"created_at", FormatTime(r.created_at)},
              {"updated_at", FormatTime(r.updated_at)},
              {"submitted_at", opt(r.submitted_at)},
              {"published_at", opt(r.published_at)}};
  if (!full) return out;
  json sections = json::object();
  for (const char* s : kReviewSections) sections[s] = r.sections.value(s, "");
  out["sections"] = sections;
  out["public_text"] = r.public_text;
  KLAXON_ASSIGN_OR_RETURN(std::string md, Render(tx, r, inc));
  out["markdown"] = md;
  out["html"] = runbook::RenderMarkdown(md);
  return out;
}

// ---------------------------------------------------------------------------------------
// Commands

Result<nlohmann::json> Reviews::Create(store::Tx& tx, int64_t incident_id,
                                       const std::string& template_name,
                                       std::optional<TimeMs> due_at, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  KLAXON_ASSIGN_OR_RETURN(auto existing, Load(tx, incident_id));
  if (existing) return Status(Code::kConflict, inc.ref() + " already has a review");
  auto d = response_.doc();
  const playbook::Template* chosen = nullptr;
  for (const auto& t : d->templates) {
    if (t.kind != "postmortem") continue;
    if (!template_name.empty()) {
      if (t.name == template_name) chosen = &t;
      continue;
    }
    bool for_level =
        std::find(t.severities.begin(), t.severities.end(), inc.severity) != t.severities.end();
    if (!t.severities.empty() && !for_level) continue;
    if (!chosen || (for_level && chosen->severities.empty())) chosen = &t;
  }
  if (!template_name.empty() && !chosen)
    return InvalidField("/template", "no postmortem template named '" + template_name + "'");
  Row r;
  r.incident_id = incident_id;
  r.tmpl = chosen ? chosen->body : kDefaultTemplate;
  r.template_name = chosen ? chosen->name : "";
  // The template must render before the review exists.
  KLAXON_RETURN_IF_ERROR(notify::RenderText(r.tmpl, json::object()).status());
  if (!due_at) {
    auto row = tx.QueryOne("SELECT review_due_at FROM incident_clocks WHERE incident_id = ?",
                           {incident_id});
    if (!row.ok()) return row.status();
    if (*row) due_at = (*row)->OptInt(0);
  }
  r.due_at = due_at;
  KLAXON_ASSIGN_OR_RETURN(auto owner, response_.ReviewOwner(tx, inc));
  if (owner) r.owner_id = owner->id;
  r.created_at = r.updated_at = clock_.Now();
  auto ins = tx.QueryOne(
      "INSERT INTO reviews(incident_id, state, owner_id, due_at, template, template_name, "
      "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
      {incident_id, r.state, store::Opt(r.owner_id), store::Opt(r.due_at), r.tmpl, r.template_name,
       r.created_at, r.updated_at});
  if (!ins.ok()) return ins.status();
  r.id = (*ins)->Int(0);
  KLAXON_RETURN_IF_ERROR(Emit(tx, "review.created", r, actor,
                              {{"owner", owner ? json(owner->username) : json()},
                               {"due_at", r.due_at ? json(FormatTime(*r.due_at)) : json()},
                               {"template", r.template_name}}));
  if (owner) {
    std::string detail = "You own the review of " + inc.ref() + ": " + inc.DisplayTitle() +
                         (r.due_at ? ". It is due " + HumanTime(*r.due_at) + "." : ".");
    KLAXON_RETURN_IF_ERROR(
        response_.Notify(tx, inc, *owner, "review", "review:assigned", "review assigned", detail));
  }
  KLAXON_RETURN_IF_ERROR(Arm(tx, r));
  return ToJson(tx, r, true);
}

Result<nlohmann::json> Reviews::Get(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  return ToJson(tx, r, true);
}

Result<std::string> Reviews::Markdown(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  return Render(tx, r, inc);
}

Result<nlohmann::json> Reviews::List(store::Tx& tx, const std::string& state,
                                     const std::string& owner, bool overdue) {
  std::string sql = "SELECT incident_id FROM reviews r WHERE 1 = 1";
  store::Params params;
  if (!state.empty()) {
    sql += " AND state = ?";
    params.push_back(state);
  }
  if (!owner.empty()) {
    auto u = people_.FindUser(tx, owner);
    if (!u.ok()) return InvalidField("/owner", "unknown user '" + owner + "'");
    sql += " AND owner_id = ?";
    params.push_back(u->id);
  }
  if (overdue) {
    sql += " AND state != 'published' AND due_at IS NOT NULL AND due_at <= ?";
    params.push_back(clock_.Now());
  }
  sql += " ORDER BY due_at IS NULL, due_at, id LIMIT 500";
  auto rows = tx.Query(sql, params);
  if (!rows.ok()) return rows.status();
  json items = json::array();
  for (const auto& row : *rows) {
    KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, row.Int(0)));
    KLAXON_ASSIGN_OR_RETURN(json j, ToJson(tx, r, false));
    items.push_back(std::move(j));
  }
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<nlohmann::json> Reviews::Update(store::Tx& tx, int64_t incident_id, const ReviewPatch& p,
                                       const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  if (r.state == "published") return Status(Code::kConflict, "a published review is final");
  // What the reviewers approve does not change under them: in review, only the owner and
  // the deadline may change (request changes to edit the rest).
  if (r.state == "in_review" && (p.sections || p.reviewers || p.public_text))
    return Status(Code::kConflict,
                  "the review is in review: request changes to edit its text or reviewers");
  if (p.version != r.version)
    return Status(Code::kConflict, "the review changed since version " + std::to_string(p.version) +
                                       " (now " + std::to_string(r.version) +
                                       "); reload and edit again");
  json changes = json::object();
  if (p.sections) {
    if (!p.sections->is_object()) return InvalidField("/sections", "must be an object");
    for (const auto& [k, v] : p.sections->items()) {
      const auto* known = std::find_if(std::begin(kReviewSections), std::end(kReviewSections),
                                       [&](const char* s) { return k == s; });
      if (known == std::end(kReviewSections))
        return InvalidField("/sections/" + k,
                            "unknown section; the sections are root_cause, contributing_factors, "
                            "went_well, went_wrong, lucky, lessons");
      if (!v.is_string()) return InvalidField("/sections/" + k, "must be a string");
      if (v.get<std::string>().size() > kMaxSection)
        return InvalidField("/sections/" + k, "must be at most 20000 bytes");
      if (r.sections.value(k, "") != v.get<std::string>()) {
        r.sections[k] = v;
        changes["sections"][k] = v;
      }
    }
  }
  if (p.owner) {
    std::optional<int64_t> id;
    if (!p.owner->empty()) {
      auto u = people_.FindUser(tx, *p.owner);
      if (!u.ok()) return InvalidField("/owner", "unknown user '" + *p.owner + "'");
      id = u->id;
    }
    if (id != r.owner_id) {
      r.owner_id = id;
      changes["owner"] = *p.owner;
    }
  }
  if (p.reviewers) {
    json next = json::array();
    std::set<std::string> seen;
    for (const auto& name : *p.reviewers) {
      auto u = people_.FindUser(tx, name);
      if (!u.ok()) return InvalidField("/reviewers", "unknown user '" + name + "'");
      if (!seen.insert(u->username).second) continue;
      json kept = {{"username", u->username}, {"approved_at", nullptr}, {"comment", ""}};
      for (const auto& v : r.reviewers)
        if (v.value("username", "") == u->username) kept = v;  // keeps an approval
      next.push_back(kept);
    }
    if (next != r.reviewers) {
      r.reviewers = next;
      json names = json::array();
      for (const auto& v : next) names.push_back(v["username"]);
      changes["reviewers"] = names;
    }
  }
  if (p.public_text) {
    if (p.public_text->size() > kMaxPublicText)
      return InvalidField("/public_text", "must be at most 20000 bytes");
    if (*p.public_text != r.public_text) {
      r.public_text = *p.public_text;
      changes["public_text"] = r.public_text;
    }
  }
  if (p.due_at && p.due_at != r.due_at) {
    r.due_at = p.due_at;
    r.reminded = 0;
    changes["due_at"] = FormatTime(*p.due_at);
  }
  if (changes.empty()) return ToJson(tx, r, true);
  r.version++;
  r.updated_at = clock_.Now();
  KLAXON_RETURN_IF_ERROR(Save(tx, r));
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO review_revisions(review_id, version, at, by, changes) VALUES (?,?,?,?,?)",
      {r.id, r.version, r.updated_at, actor.name, changes.dump()}));
  json fields = json::array();
  for (const auto& [k, v] : changes.items()) {
    if (k == "sections")
      for (const auto& [s, _] : v.items()) fields.push_back("sections." + s);
    else
      fields.push_back(k);
  }
  KLAXON_RETURN_IF_ERROR(Emit(tx, "review.edited", r, actor, {{"fields", fields}}));
  KLAXON_RETURN_IF_ERROR(Arm(tx, r));
  return ToJson(tx, r, true);
}

Result<nlohmann::json> Reviews::Submit(store::Tx& tx, int64_t incident_id,
                                       const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  if (r.state != "draft")
    return Status(Code::kConflict, "only a draft can be submitted (the review is " + r.state + ")");
  if (r.reviewers.empty())
    return InvalidField("/reviewers", "name at least one reviewer before submitting");
  r.state = "in_review";
  r.submitted_at = r.updated_at = clock_.Now();
  r.version++;
  KLAXON_RETURN_IF_ERROR(Save(tx, r));
  KLAXON_RETURN_IF_ERROR(Emit(tx, "review.submitted", r, actor));
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  for (const auto& v : r.reviewers) {
    auto u = people_.FindUser(tx, v.value("username", ""));
    if (!u.ok()) continue;
    KLAXON_RETURN_IF_ERROR(response_.Notify(
        tx, inc, *u, "review", "review:submitted:" + std::to_string(r.version),
        "review ready for you", "The review of " + inc.ref() + " waits for your approval."));
  }
  return ToJson(tx, r, true);
}

Result<nlohmann::json> Reviews::Approve(store::Tx& tx, int64_t incident_id,
                                        const std::string& comment, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  if (r.state != "in_review")
    return Status(Code::kConflict,
                  "only a review in review can be approved (it is " + r.state + ")");
  json* mine = nullptr;
  for (auto& v : r.reviewers)
    if (v.value("username", "") == actor.name) mine = &v;
  if (!mine) return Status(Code::kPermissionDenied, "you are not a reviewer of this review");
  (*mine)["approved_at"] = clock_.Now();
  (*mine)["comment"] = comment;
  r.updated_at = clock_.Now();
  r.version++;
  KLAXON_RETURN_IF_ERROR(Save(tx, r));
  KLAXON_RETURN_IF_ERROR(Emit(tx, "review.approved", r, actor, {{"comment", comment}}));
  return ToJson(tx, r, true);
}

Result<nlohmann::json> Reviews::RequestChanges(store::Tx& tx, int64_t incident_id,
                                               const std::string& comment,
                                               const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  if (r.state != "in_review")
    return Status(Code::kConflict,
                  "changes can be requested only in review (it is " + r.state + ")");
  bool reviewer = std::any_of(r.reviewers.begin(), r.reviewers.end(),
                              [&](const json& v) { return v.value("username", "") == actor.name; });
  bool owner = r.owner_id && actor.id && *r.owner_id == *actor.id;
  if (!reviewer && !owner)
    return Status(Code::kPermissionDenied, "only a reviewer or the owner can request changes");
  r.state = "draft";
  for (auto& v : r.reviewers) v["approved_at"] = nullptr;
  r.updated_at = clock_.Now();
  r.version++;
  KLAXON_RETURN_IF_ERROR(Save(tx, r));
  KLAXON_RETURN_IF_ERROR(Emit(tx, "review.changes_requested", r, actor, {{"comment", comment}}));
  return ToJson(tx, r, true);
}

Result<nlohmann::json> Reviews::Publish(store::Tx& tx, int64_t incident_id,
                                        const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  if (r.state != "in_review")
    return Status(Code::kConflict,
                  "only a review in review can be published (it is " + r.state + ")");
  if (r.reviewers.empty())
    return Status(Code::kConflict, "a review needs at least one reviewer's approval");
  std::vector<std::string> waiting;
  for (const auto& v : r.reviewers)
    if (!v.value("approved_at", json()).is_number()) waiting.push_back(v.value("username", ""));
  if (!waiting.empty()) {
    std::string names;
    for (const auto& w : waiting) names += (names.empty() ? "" : ", ") + w;
    return Status(Code::kConflict, "waiting for approval from " + names);
  }
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  KLAXON_ASSIGN_OR_RETURN(r.published_markdown, Render(tx, r, inc));
  r.state = "published";
  r.published_at = r.updated_at = clock_.Now();
  r.version++;
  KLAXON_RETURN_IF_ERROR(Save(tx, r));
  KLAXON_RETURN_IF_ERROR(
      Emit(tx, "review.published", r, actor, {{"late", r.due_at && *r.published_at > *r.due_at}}));
  KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kTimer, incident_id));
  return ToJson(tx, r, true);
}

Result<nlohmann::json> Reviews::Revisions(store::Tx& tx, int64_t incident_id) {
  KLAXON_ASSIGN_OR_RETURN(Row r, MustLoad(tx, incident_id));
  auto rows = tx.Query(
      "SELECT version, at, by, changes FROM review_revisions WHERE review_id = ? ORDER BY version",
      {r.id});
  if (!rows.ok()) return rows.status();
  json items = json::array();
  for (const auto& row : *rows)
    items.push_back({{"version", row.Int(0)},
                     {"at", FormatTime(row.Int(1))},
                     {"by", row.Str(2)},
                     {"changes", json::parse(row.Str(3), nullptr, false)}});
  return json{{"items", items}, {"next_cursor", nullptr}};
}

}  // namespace klaxon::response
