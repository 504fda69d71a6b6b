// Handlers for people (profile, contact methods, notification rules), schedules and
// overrides, escalation policies, incident escalation and roles, notifications, and the
// two unauthenticated surfaces of paging: signed action links (/a/{token}) and
// iCalendar feeds (/ical/...).

#include "api/api.h"
#include "core/numbers.h"
#include "core/time_format.h"
#include "notify/action_links.h"
#include "notify/text.h"
#include "oncall/ical.h"
#include "oncall/rotation.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

constexpr TimeMs kDay = 86'400'000;
constexpr TimeMs kMaxShiftRange = 100 * kDay;

std::optional<std::string> Query(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<TimeMs> TimeParam(const std::map<std::string, std::string>& q, const char* key,
                         TimeMs fallback) {
  auto v = Query(q, key);
  if (!v) return fallback;
  auto t = ParseTime(*v);
  if (!t)
    return Status(Code::kBadRequest, std::string(key) + " must be an RFC 3339 time",
                  {{key, "must be an RFC 3339 time"}});
  return *t;
}

std::string HtmlEscape(std::string_view s) { return notify::EscapeHtml(s); }

http::Response HtmlPage(int status, const std::string& title, const std::string& body_html) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex\"><title>" +
      HtmlEscape(title) +
      " · Klaxon</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head>"
      "<body class=\"action-page\"><main class=\"card\"><h1>" +
      HtmlEscape(title) + "</h1>" + body_html + "</main></body></html>";
  http::Response r = http::Response::Text(status, std::move(html), "text/html; charset=utf-8");
  r.Header("X-Content-Type-Options", "nosniff");
  r.Header("Referrer-Policy", "no-referrer");
  r.Header("Content-Security-Policy",
           "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
           "base-uri 'none'");
  r.Header("X-Frame-Options", "DENY");
  r.Header("Cache-Control", "no-store");
  return r;
}

// "https://hooks.slack.com/services/T/B/X" → "https://hooks.slack.com/…"; emails stay.
std::string MaskAddress(const std::string& a) {
  auto scheme = a.find("://");
  if (scheme == std::string::npos) return a;
  auto path = a.find('/', scheme + 3);
  return path == std::string::npos ? a : a.substr(0, path) + "/…";
}

// A username or a numeric id in a body field.
std::optional<std::string> NameOrId(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// People

Api::Caller Api::CallerOf(Call& c) {
  return {c.req.params["user"], c.principal.user.id, c.principal.role >= auth::Role::kAdmin};
}

Result<int64_t> Api::UserParam(const Caller& who, store::Tx& tx, bool must_be_self_or_admin) {
  int64_t id = 0;
  if (who.key == "me") {
    id = who.self;
  } else {
    KLAXON_ASSIGN_OR_RETURN(paging::UserRef u, d_.people.FindUser(tx, who.key));
    id = u.id;
  }
  if (must_be_self_or_admin && id != who.self && !who.admin)
    return PermissionDenied("only the user themself or an admin may change this");
  return id;
}

void Api::GetUserProfile(Call& c) {
  // A write: the first look at one's profile mints the iCalendar feed token.
  WriteJson(c, 200, [this, who = CallerOf(c)](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, false));
    bool self_or_admin = id == who.self || who.admin;
    if (self_or_admin) KLAXON_RETURN_IF_ERROR(d_.people.EnsureIcalToken(tx, id).status());
    KLAXON_ASSIGN_OR_RETURN(paging::Profile p, d_.people.GetProfile(tx, id));
    json methods = json::array();
    for (const auto& m : p.methods) methods.push_back(m.ToJson(self_or_admin));
    json rules = json::array();
    for (const auto& r : p.rules) rules.push_back(r.ToJson());
    json out = p.user.ToJson();
    out["role"] = p.role;
    out["time_zone"] = p.time_zone;
    out["contact_methods"] = methods;
    out["notification_rules"] = rules;
    out["ical_url"] = self_or_admin && !p.ical_token.empty()
                          ? json(d_.public_url + "/ical/users/" + p.ical_token + ".ics")
                          : json();
    return out;
  });
}

void Api::UpdateUserProfile(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auto actor = c.principal.actor();
  std::optional<std::string> name, tz;
  if (body->contains("name")) name = (*body)["name"].get<std::string>();
  if (body->contains("time_zone")) tz = (*body)["time_zone"].get<std::string>();
  WriteJson(c, 200, [this, who = CallerOf(c), name, tz, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, true));
    KLAXON_ASSIGN_OR_RETURN(paging::Profile p, d_.people.UpdateProfile(tx, id, name, tz, actor));
    json out = p.user.ToJson();
    out["role"] = p.role;
    out["time_zone"] = p.time_zone;
    return out;
  });
}

void Api::AddContactMethod(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, who = CallerOf(c), body = *body, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, true));
    KLAXON_ASSIGN_OR_RETURN(paging::ContactMethod m,
                            d_.people.AddContactMethod(tx, id, body["kind"].get<std::string>(),
                                                       body["address"].get<std::string>(),
                                                       body.value("label", ""), actor));
    return m.ToJson(true);
  });
}

void Api::RemoveContactMethod(Call& c) {
  auto mid = ParseInt64(c.req.params["id"], 1);
  if (!mid) return Fail(c, NotFound("no contact method '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, who = CallerOf(c), mid = *mid, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, true));
    KLAXON_RETURN_IF_ERROR(d_.people.RemoveContactMethod(tx, id, mid, actor));
    return json();
  });
}

void Api::TestContactMethod(Call& c) {
  auto mid = ParseInt64(c.req.params["id"], 1);
  if (!mid) return Fail(c, NotFound("no contact method '" + c.req.params["id"] + "'"));
  WriteJson(c, 202, [this, who = CallerOf(c), mid = *mid](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, true));
    KLAXON_ASSIGN_OR_RETURN(int64_t nid, d_.pager.SendTest(tx, id, mid));
    return json{{"notification_id", nid}};
  });
}

void Api::VerifyContactMethod(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auto mid = ParseInt64(c.req.params["id"], 1);
  if (!mid) return Fail(c, NotFound("no contact method '" + c.req.params["id"] + "'"));
  std::string code = (*body)["code"].get<std::string>();
  auto actor = c.principal.actor();
  WriteJson(c, 200,
            [this, who = CallerOf(c), mid = *mid, code, actor](store::Tx& tx) -> Result<json> {
              KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, true));
              KLAXON_ASSIGN_OR_RETURN(paging::ContactMethod m,
                                      d_.people.Verify(tx, id, mid, code, actor));
              return m.ToJson(true);
            });
}

void Api::AddNotificationRule(Call& c) {
  auto body = Body(c);
  if (!body) return;
  int64_t method = (*body)["contact_method"].get<int64_t>();
  int delay = static_cast<int>((*body).value("delay_minutes", int64_t{0}));
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, who = CallerOf(c), method, delay, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, true));
    KLAXON_ASSIGN_OR_RETURN(paging::NotificationRule r,
                            d_.people.AddRule(tx, id, method, delay, actor));
    return r.ToJson();
  });
}

void Api::RemoveNotificationRule(Call& c) {
  auto rid = ParseInt64(c.req.params["id"], 1);
  if (!rid) return Fail(c, NotFound("no notification rule '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, who = CallerOf(c), rid = *rid, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(int64_t id, UserParam(who, tx, true));
    KLAXON_RETURN_IF_ERROR(d_.people.RemoveRule(tx, id, rid, actor));
    return json();
  });
}

// ---------------------------------------------------------------------------------------
// Schedules

void Api::ListSchedules(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto list, d_.catalog.ListSchedules(tx));
    json items = json::array();
    TimeMs now = d_.clock.Now();
    for (const auto& s : list) {
      KLAXON_ASSIGN_OR_RETURN(json j, d_.catalog.ScheduleJson(tx, s, now, d_.public_url));
      items.push_back(std::move(j));
    }
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateSchedule(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, body = *body, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.CreateSchedule(tx, body, actor));
    return d_.catalog.ScheduleJson(tx, s, d_.clock.Now(), d_.public_url);
  });
}

void Api::GetSchedule(Call& c) {
  std::string key = c.req.params["id"];
  ReadJson(c, [this, key](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
    return d_.catalog.ScheduleJson(tx, s, d_.clock.Now(), d_.public_url);
  });
}

void Api::UpdateSchedule(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, key, body = *body, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule old, d_.catalog.FindSchedule(tx, key));
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s,
                            d_.catalog.UpdateSchedule(tx, old.schedule.id, body, actor));
    return d_.catalog.ScheduleJson(tx, s, d_.clock.Now(), d_.public_url);
  });
}

void Api::DeleteSchedule(Call& c) {
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, key, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
    KLAXON_RETURN_IF_ERROR(d_.catalog.DeleteSchedule(tx, s.schedule.id, actor));
    return json();
  });
}

void Api::ScheduleOnCall(Call& c) {
  std::string key = c.req.params["id"];
  auto at = TimeParam(c.req.query, "at", d_.clock.Now());
  if (!at.ok()) return Fail(c, at.status());
  ReadJson(c, [this, key, at = *at](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
    json user = nullptr;
    if (auto uid = oncall::OnCallAt(s.schedule, at)) {
      auto u = d_.people.GetUser(tx, *uid);
      if (u.ok()) user = u->ToJson();
    }
    auto until = oncall::NextHandoff(s.schedule, at, at + 366 * kDay);
    return json{{"schedule", {{"id", s.schedule.id}, {"name", s.schedule.name}}},
                {"at", FormatTime(at)},
                {"user", user},
                {"until", until ? json(FormatTime(*until)) : json()}};
  });
}

void Api::ScheduleShifts(Call& c) {
  std::string key = c.req.params["id"];
  TimeMs now = d_.clock.Now();
  auto from = TimeParam(c.req.query, "from", now);
  if (!from.ok()) return Fail(c, from.status());
  auto to = TimeParam(c.req.query, "to", *from + 7 * kDay);
  if (!to.ok()) return Fail(c, to.status());
  if (*to <= *from)
    return Fail(c,
                Status(Code::kBadRequest, "to must be after from", {{"to", "must be after from"}}));
  if (*to - *from > kMaxShiftRange)
    return Fail(c, Status(Code::kBadRequest, "at most 100 days at a time",
                          {{"to", "at most 100 days after from"}}));
  ReadJson(c, [this, key, from = *from, to = *to](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
    json items = json::array();
    for (const auto& shift : oncall::ComputeShifts(s.schedule, from, to)) {
      json j = oncall::ShiftToJson(shift);
      auto u = d_.people.GetUser(tx, shift.user_id);
      j["user"] = u.ok() ? u->ToJson() : json{{"id", shift.user_id}};
      items.push_back(std::move(j));
    }
    return json{{"schedule", {{"id", s.schedule.id}, {"name", s.schedule.name}}},
                {"items", items},
                {"next_cursor", nullptr}};
  });
}

namespace {
json OverrideJson(const paging::StoredOverride& o, const paging::UserRef& u) {
  return {{"id", o.o.id},
          {"user", u.ToJson()},
          {"start", FormatTime(o.o.start)},
          {"end", FormatTime(o.o.end)},
          {"created_by", o.created_by}};
}
}  // namespace

void Api::ListOverrides(Call& c) {
  std::string key = c.req.params["id"];
  ReadJson(c, [this, key](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
    KLAXON_ASSIGN_OR_RETURN(auto list, d_.catalog.ListOverrides(tx, s.schedule.id, d_.clock.Now()));
    json items = json::array();
    for (const auto& o : list) {
      KLAXON_ASSIGN_OR_RETURN(paging::UserRef u, d_.people.GetUser(tx, o.o.user_id));
      items.push_back(OverrideJson(o, u));
    }
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateOverride(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::string key = c.req.params["id"];
  auto start = ParseTime((*body)["start"].get<std::string>());
  if (!start) return Fail(c, InvalidField("/start", "is not an RFC 3339 time"));
  auto end = ParseTime((*body)["end"].get<std::string>());
  if (!end) return Fail(c, InvalidField("/end", "is not an RFC 3339 time"));
  auto user_key = NameOrId((*body)["user"]);
  if (!user_key) return Fail(c, InvalidField("/user", "must be a username or an id"));
  std::string user = *user_key;
  auto actor = c.principal.actor();
  WriteJson(c, 201,
            [this, key, user, start = *start, end = *end, actor](store::Tx& tx) -> Result<json> {
              KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
              auto u = d_.people.FindUser(tx, user);
              if (!u.ok())
                return u.status().code() == Code::kNotFound
                           ? InvalidField("/user", "unknown user '" + user + "'")
                           : u.status();
              KLAXON_ASSIGN_OR_RETURN(
                  paging::StoredOverride o,
                  d_.catalog.AddOverride(tx, s.schedule.id, u->id, start, end, actor));
              return OverrideJson(o, *u);
            });
}

void Api::DeleteOverride(Call& c) {
  std::string key = c.req.params["id"];
  auto oid = ParseInt64(c.req.params["oid"], 1);
  if (!oid) return Fail(c, NotFound("no override '" + c.req.params["oid"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, key, oid = *oid, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
    KLAXON_RETURN_IF_ERROR(d_.catalog.DeleteOverride(tx, s.schedule.id, oid, actor));
    return json();
  });
}

void Api::CreateSwap(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::string key = c.req.params["id"];
  auto a = ParseTime((*body)["a"].get<std::string>());
  if (!a) return Fail(c, InvalidField("/a", "is not an RFC 3339 time"));
  auto b = ParseTime((*body)["b"].get<std::string>());
  if (!b) return Fail(c, InvalidField("/b", "is not an RFC 3339 time"));
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, key, a = *a, b = *b, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d_.catalog.FindSchedule(tx, key));
    auto shift_at = [&](TimeMs t, const char* field) -> Result<oncall::Shift> {
      for (const auto& sh : oncall::ComputeShifts(s.schedule, t - 60 * kDay, t + 60 * kDay))
        if (sh.start <= t && t < sh.end) return sh;
      return InvalidField(std::string("/") + field, "nobody is on call then");
    };
    KLAXON_ASSIGN_OR_RETURN(oncall::Shift sa, shift_at(a, "a"));
    KLAXON_ASSIGN_OR_RETURN(oncall::Shift sb, shift_at(b, "b"));
    if (sa.user_id == sb.user_id) return InvalidField("/b", "is the same person's shift");
    KLAXON_ASSIGN_OR_RETURN(
        paging::StoredOverride o1,
        d_.catalog.AddOverride(tx, s.schedule.id, sb.user_id, sa.start, sa.end, actor, "swap"));
    KLAXON_ASSIGN_OR_RETURN(
        paging::StoredOverride o2,
        d_.catalog.AddOverride(tx, s.schedule.id, sa.user_id, sb.start, sb.end, actor, "swap"));
    KLAXON_ASSIGN_OR_RETURN(paging::UserRef ua, d_.people.GetUser(tx, sa.user_id));
    KLAXON_ASSIGN_OR_RETURN(paging::UserRef ub, d_.people.GetUser(tx, sb.user_id));
    return json{{"overrides", {OverrideJson(o1, ub), OverrideJson(o2, ua)}}};
  });
}

void Api::OnCallNow(Call& c) {
  auto at = TimeParam(c.req.query, "at", d_.clock.Now());
  if (!at.ok()) return Fail(c, at.status());
  ReadJson(c, [this, at = *at](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto list, d_.catalog.ListSchedules(tx));
    json items = json::array();
    for (const auto& s : list) {
      json user = nullptr;
      if (auto uid = oncall::OnCallAt(s.schedule, at)) {
        auto u = d_.people.GetUser(tx, *uid);
        if (u.ok()) user = u->ToJson();
      }
      auto until = oncall::NextHandoff(s.schedule, at, at + 366 * kDay);
      items.push_back({{"schedule", {{"id", s.schedule.id}, {"name", s.schedule.name}}},
                       {"user", user},
                       {"until", until ? json(FormatTime(*until)) : json()}});
    }
    return json{{"at", FormatTime(at)}, {"items", items}, {"next_cursor", nullptr}};
  });
}

// ---------------------------------------------------------------------------------------
// Escalation policies and services

void Api::ListPolicies(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto list, d_.catalog.ListPolicies(tx));
    json items = json::array();
    for (const auto& p : list) items.push_back(p.ToJson());
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreatePolicy(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, body = *body, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::Policy p, d_.catalog.CreatePolicy(tx, body, actor));
    return p.ToJson();
  });
}

void Api::GetPolicy(Call& c) {
  std::string key = c.req.params["id"];
  ReadJson(c, [this, key](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::Policy p, d_.catalog.FindPolicy(tx, key));
    return p.ToJson();
  });
}

void Api::UpdatePolicy(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, key, body = *body, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::Policy old, d_.catalog.FindPolicy(tx, key));
    KLAXON_ASSIGN_OR_RETURN(paging::Policy p, d_.catalog.UpdatePolicy(tx, old.id, body, actor));
    return p.ToJson();
  });
}

void Api::DeletePolicy(Call& c) {
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, key, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(paging::Policy p, d_.catalog.FindPolicy(tx, key));
    KLAXON_RETURN_IF_ERROR(d_.catalog.DeletePolicy(tx, p.id, actor));
    return json();
  });
}

Result<json> Api::ServiceJson(store::Tx& tx, const incidents::Service& s) {
  json j = s.ToJson();
  KLAXON_ASSIGN_OR_RETURN(auto policy, d_.catalog.ServicePolicy(tx, s.id));
  j["escalation_policy"] = policy ? json{{"id", policy->first}, {"name", policy->second}} : json();
  return j;
}

void Api::UpdateService(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, key, body = *body, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(incidents::Service s, d_.incidents.FindService(tx, key));
    json changed = {{"service", s.id}, {"name", s.name}};
    if (body.contains("description")) {
      s.description = body["description"].get<std::string>();
      changed["description"] = s.description;
    }
    if (body.contains("owner")) {
      s.owner = body["owner"].get<std::string>();
      changed["owner"] = s.owner;
    }
    KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE services SET description = ?, owner = ? WHERE id = ?",
                                   {s.description, s.owner, s.id}));
    if (body.contains("escalation_policy")) {
      const json& p = body["escalation_policy"];
      std::optional<int64_t> pid;
      if (!p.is_null()) {
        auto key = NameOrId(p);
        if (!key) return InvalidField("/escalation_policy", "must be a policy id, name or null");
        std::string pk = *key;
        auto policy = d_.catalog.FindPolicy(tx, pk);
        if (!policy.ok())
          return policy.status().code() == Code::kNotFound
                     ? InvalidField("/escalation_policy", "unknown escalation policy '" + pk + "'")
                     : policy.status();
        pid = policy->id;
        changed["escalation_policy"] = policy->name;
      } else {
        changed["escalation_policy"] = nullptr;
      }
      KLAXON_RETURN_IF_ERROR(d_.catalog.SetServicePolicy(tx, s.id, pid));
    }
    KLAXON_RETURN_IF_ERROR(
        d_.log.Append(tx, events::Event::Of("service.updated", actor, changed)).status());
    return ServiceJson(tx, s);
  });
}

// ---------------------------------------------------------------------------------------
// Incident escalation, roles, notifications

void Api::GetEscalation(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  ReadJson(c, [this, id = *id](store::Tx& tx) { return d_.pager.EscalationJson(tx, id); });
}

void Api::EscalateIncident(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  auto actor = c.principal.actor();
  WriteJson(c, 200,
            [this, id = *id, actor](store::Tx& tx) { return d_.pager.EscalateNow(tx, id, actor); });
}

void Api::RepageIncident(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  auto actor = c.principal.actor();
  WriteJson(c, 200,
            [this, id = *id, actor](store::Tx& tx) { return d_.pager.Repage(tx, id, actor); });
}

void Api::ListRoles(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  ReadJson(c, [this, id = *id](store::Tx& tx) { return d_.pager.RolesJson(tx, id); });
}

void Api::AssignRole(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auto id = IncidentId(c);
  if (!id) return;
  std::string role = c.req.params["role"];
  auto user_key = NameOrId((*body)["user"]);
  if (!user_key) return Fail(c, InvalidField("/user", "must be a username or an id"));
  std::string user = *user_key;
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, role, user, actor](store::Tx& tx) {
    return d_.response.AssignRole(tx, id, role, user, actor);
  });
}

void Api::ListNotifications(Call& c) {
  auto status = Query(c.req.query, "status");
  if (status && *status != "pending" && *status != "sent" && *status != "failed" &&
      *status != "cancelled")
    return Fail(c, Status(Code::kBadRequest, "status must be pending, sent, failed or cancelled",
                          {{"status", "must be pending, sent, failed or cancelled"}}));
  std::optional<int64_t> incident;
  if (auto v = Query(c.req.query, "incident")) {
    incident = incidents::ParseIncidentId(*v);
    if (!incident)
      return Fail(c,
                  Status(Code::kBadRequest, "incident must be an id", {{"incident", "not an id"}}));
  }
  auto user = Query(c.req.query, "user");
  if (user && *user == "me") user = std::to_string(c.principal.user.id);
  // Chat and webhook URLs work as passwords: only admins see them whole.
  bool admin = c.principal.role >= auth::Role::kAdmin;
  ReadJson(c, [this, status, incident, user, admin](store::Tx& tx) -> Result<json> {
    std::string sql =
        "SELECT o.id, o.incident_id, u.id, u.username, u.name, o.kind, o.channel, o.address, "
        "o.status, o.attempts, o.created_at, o.next_attempt_at, o.sent_at, o.last_error "
        "FROM outbox o LEFT JOIN users u ON u.id = o.user_id WHERE 1 = 1";
    store::Params params;
    if (status) {
      sql += " AND o.status = ?";
      params.push_back(*status);
    }
    if (incident) {
      sql += " AND o.incident_id = ?";
      params.push_back(*incident);
    }
    if (user) {
      KLAXON_ASSIGN_OR_RETURN(paging::UserRef u, d_.people.FindUser(tx, *user));
      sql += " AND o.user_id = ?";
      params.push_back(u.id);
    }
    sql += " ORDER BY o.id DESC LIMIT 200";
    KLAXON_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
    json items = json::array();
    for (const auto& r : rows) {
      items.push_back(
          {{"id", r.Int(0)},
           {"incident_id", r.IsNull(1) ? json() : json(r.Int(1))},
           {"user", r.IsNull(2) ? json() : paging::UserRef{r.Int(2), r.Str(3), r.Str(4)}.ToJson()},
           {"kind", r.Str(5)},
           {"channel", r.Str(6)},
           {"address", admin ? r.Str(7) : MaskAddress(r.Str(7))},
           {"status", r.Str(8)},
           {"attempts", r.Int(9)},
           {"created_at", FormatTime(r.Int(10))},
           {"next_attempt_at", r.Str(8) == "pending" ? json(FormatTime(r.Int(11))) : json()},
           {"sent_at", r.IsNull(12) ? json() : json(FormatTime(r.Int(12)))},
           {"last_error", r.Str(13)}});
    }
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

// ---------------------------------------------------------------------------------------
// Action links and iCalendar feeds (no login)

bool Api::IsPagingPublicPath(const std::string& path) const {
  return path.starts_with("/a/") || path.starts_with("/ical/");
}

void Api::PagingPublic(http::Request& req, http::Reply reply) {
  if (req.path.starts_with("/ical/")) return IcalFeed(req, std::move(reply));
  req.route = "/a/{token}";
  std::string token = req.path.substr(3);
  if (req.method != "GET" && req.method != "HEAD" && req.method != "POST")
    return reply(
        HtmlPage(405, "Method not allowed", "<p>Open the link from your notification.</p>"));
  auto claim = notify::VerifyAction(d_.pager.options().link_key, token, d_.clock.Now());
  if (!claim.ok()) {
    bool expired = claim.status().code() == Code::kConflict;
    return reply(HtmlPage(expired ? 410 : 401, expired ? "Link expired" : "Invalid link",
                          expired ? "<p>This link has expired. Open the incident in the console "
                                    "instead.</p>"
                                  : "<p>This link is not valid.</p>"));
  }
  const notify::ActionClaim cl = *claim;
  std::string verb = cl.action == "ack"       ? "Acknowledge"
                     : cl.action == "resolve" ? "Resolve"
                                              : "Verify";
  if (req.method != "POST") {
    // Show what the link will do; change nothing.
    std::string what;
    Status s = d_.store.Read([&](store::Tx& tx) -> Status {
      auto used = tx.QueryOne("SELECT used_at FROM used_action_tokens WHERE nonce = ?", {cl.nonce});
      if (!used.ok()) return used.status();
      if (*used) return Conflict("used");
      if (cl.action == "verify") {
        KLAXON_ASSIGN_OR_RETURN(paging::ContactMethod m,
                                d_.people.GetContactMethod(tx, cl.user_id, cl.subject));
        what = "<p>Verify the contact method <strong>" + HtmlEscape(m.label) + "</strong> (" +
               HtmlEscape(m.address) + ")?</p>";
        return Status::Ok();
      }
      KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, d_.incidents.Get(tx, cl.subject));
      what = "<p><strong>" + HtmlEscape(inc.ref()) + "</strong> [" + HtmlEscape(inc.severity) +
             "] " + HtmlEscape(inc.DisplayTitle()) +
             "</p><p>Status: " + HtmlEscape(incidents::StatusName(inc.status)) + "</p>";
      return Status::Ok();
    });
    if (!s.ok()) {
      if (s.code() == Code::kConflict)
        return reply(HtmlPage(409, "Link already used", "<p>This link was used already.</p>"));
      if (s.code() == Code::kNotFound)
        return reply(HtmlPage(404, "Not found", "<p>" + HtmlEscape(s.message()) + "</p>"));
      return reply(HtmlPage(503, "Try again", "<p>Klaxon could not read its store.</p>"));
    }
    return reply(HtmlPage(200, verb + "?",
                          what + "<form method=\"post\" action=\"/a/" + HtmlEscape(token) +
                              "\"><button type=\"submit\">" + verb + "</button></form>"));
  }
  auto done = std::make_shared<http::Reply>(std::move(reply));
  d_.store.Submit(
      [this, cl, result = std::make_shared<std::string>()](store::Tx& tx) -> Status {
        auto ins = tx.QueryOne(
            "INSERT INTO used_action_tokens(nonce, used_at) VALUES (?,?) ON CONFLICT(nonce) DO "
            "NOTHING RETURNING nonce",
            {cl.nonce, d_.clock.Now()});
        if (!ins.ok()) return ins.status();
        if (!*ins) return Conflict("This link was used already.");
        auto user = d_.people.GetUser(tx, cl.user_id);
        if (!user.ok()) return user.status();
        events::Actor actor{"user", user->id, user->username};
        if (cl.action == "verify")
          return d_.people.Verify(tx, cl.user_id, cl.subject, "", actor).status();
        KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, d_.incidents.Get(tx, cl.subject));
        if (inc.status == incidents::IncidentStatus::kResolved)
          return Conflict(inc.ref() + " is already resolved.");
        if (cl.action == "ack") {
          if (inc.status != incidents::IncidentStatus::kTriggered)
            return Conflict(inc.ref() + " was already acknowledged.");
          return d_.incidents.Acknowledge(tx, inc.id, actor).status();
        }
        return d_.incidents.Resolve(tx, inc.id, "resolved from a notification link", actor)
            .status();
      },
      [done, cl, verb](const Status& s) {
        if (s.ok()) {
          std::string what =
              cl.action == "verify" ? "Contact method verified."
              : cl.action == "ack"
                  ? "INC-" + std::to_string(cl.subject) + " acknowledged. Paging has stopped."
                  : "INC-" + std::to_string(cl.subject) + " resolved.";
          return (*done)(HtmlPage(200, "Done", "<p>" + HtmlEscape(what) + "</p>"));
        }
        if (s.code() == Code::kConflict)
          return (*done)(HtmlPage(409, "Nothing to do", "<p>" + HtmlEscape(s.message()) + "</p>"));
        if (s.code() == Code::kNotFound)
          return (*done)(HtmlPage(404, "Not found", "<p>" + HtmlEscape(s.message()) + "</p>"));
        (*done)(HtmlPage(503, "Try again", "<p>Klaxon could not record this; try again.</p>"));
      });
}

void Api::IcalFeed(http::Request& req, http::Reply reply) {
  bool is_schedule = req.path.starts_with("/ical/schedules/");
  req.route = is_schedule ? "/ical/schedules/{token}.ics" : "/ical/users/{token}.ics";
  std::string rest = req.path.substr(is_schedule ? 16 : 12);
  auto not_found = [&] {
    reply(http::Response::Problem(NotFound("no such calendar"), req.request_id));
  };
  if ((!is_schedule && !req.path.starts_with("/ical/users/")) || !rest.ends_with(".ics") ||
      (req.method != "GET" && req.method != "HEAD"))
    return not_found();
  std::string token = rest.substr(0, rest.size() - 4);
  if (token.empty() || token.size() > 100) return not_found();
  TimeMs now = d_.clock.Now();
  TimeMs from = now - 7 * kDay, to = now + 60 * kDay;
  std::string body;
  bool found = false;
  std::string host = d_.public_url;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    std::vector<oncall::CalendarEvent> events;
    std::string name;
    auto add = [&](const paging::StoredSchedule& sched, std::optional<int64_t> only) -> Status {
      for (const auto& sh : oncall::ComputeShifts(sched.schedule, from, to)) {
        if (only && sh.user_id != *only) continue;
        auto u = d_.people.GetUser(tx, sh.user_id);
        std::string who = u.ok() ? u->name : "user " + std::to_string(sh.user_id);
        oncall::CalendarEvent e;
        e.uid = "shift-" + std::to_string(sched.schedule.id) + "-" + std::to_string(sh.user_id) +
                "-" + std::to_string(sh.start) + "@klaxon";
        e.start = sh.start;
        e.end = sh.end;
        e.summary = "On call: " + who + " (" + sched.schedule.name + ")";
        e.description = "On call for " + sched.schedule.name +
                        (sh.source == "override" ? " (override)" : " (" + sh.source + ")");
        e.url = host + "/ui/schedules/" + std::to_string(sched.schedule.id);
        events.push_back(std::move(e));
      }
      return Status::Ok();
    };
    if (is_schedule) {
      KLAXON_ASSIGN_OR_RETURN(auto id, d_.catalog.ScheduleByIcalToken(tx, token));
      if (!id) return Status::Ok();
      KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule sched, d_.catalog.GetSchedule(tx, *id));
      name = sched.schedule.name + " on call";
      KLAXON_RETURN_IF_ERROR(add(sched, std::nullopt));
    } else {
      KLAXON_ASSIGN_OR_RETURN(auto uid, d_.people.UserByIcalToken(tx, token));
      if (!uid) return Status::Ok();
      KLAXON_ASSIGN_OR_RETURN(paging::UserRef u, d_.people.GetUser(tx, *uid));
      name = u.name + " on call";
      KLAXON_ASSIGN_OR_RETURN(auto all, d_.catalog.ListSchedules(tx));
      for (const auto& sched : all) KLAXON_RETURN_IF_ERROR(add(sched, *uid));
    }
    found = true;
    body = oncall::RenderCalendar(name, events, now);
    return Status::Ok();
  });
  if (!s.ok()) return reply(http::Response::Problem(s, req.request_id));
  if (!found) return not_found();
  http::Response r = http::Response::Text(200, std::move(body), "text/calendar; charset=utf-8");
  r.Header("X-Content-Type-Options", "nosniff");
  r.Header("Cache-Control", "private, max-age=300");
  reply(std::move(r));
}

}  // namespace klaxon::api
