// Handlers for severities, services, incidents and the event log.
#include <sodium.h>

#include "api/api.h"
#include "core/numbers.h"
#include "core/time_format.h"
#include "remediation/runner.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

std::string EncodeCursor(int64_t id) {
  std::string raw = "i" + std::to_string(id);
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::optional<int64_t> DecodeCursor(const std::string& c) {
  std::string raw(c.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), c.data(),
                        c.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  raw.resize(len);
  if (raw.size() < 2 || raw[0] != 'i') return std::nullopt;
  try {
    size_t pos = 0;
    int64_t v = std::stoll(raw.substr(1), &pos);
    if (pos != raw.size() - 1 || v <= 0) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// ?limit= in 1..200 (default 50).
Result<int64_t> LimitParam(const std::map<std::string, std::string>& q) {
  auto it = q.find("limit");
  if (it == q.end()) return int64_t{50};
  try {
    size_t pos = 0;
    int64_t v = std::stoll(it->second, &pos);
    if (pos == it->second.size() && v >= 1 && v <= 200) return v;
  } catch (...) {
  }
  return Status(Code::kBadRequest, "limit must be an integer from 1 to 200",
                {{"limit", "must be 1-200"}});
}

std::optional<std::string> QueryValue(const std::map<std::string, std::string>& q,
                                      const char* key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace

void Api::ListSeverities(Call& c) {
  c.reply(http::Response::Json(200, d_.response.SeveritiesJson()));
}

void Api::ListServices(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    auto list = d_.incidents.ListServices(tx);
    if (!list.ok()) return list.status();
    json items = json::array();
    for (const auto& s : *list) {
      KLAXON_ASSIGN_OR_RETURN(json j, ServiceJson(tx, s));
      items.push_back(std::move(j));
    }
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateService(Call& c) {
  auto body = Body(c);
  if (!body) return;
  incidents::Service s;
  s.name = (*body)["name"];
  s.description = body->value("description", "");
  s.owner = body->value("owner", "");
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, s, actor](store::Tx& tx) -> Result<json> {
    auto created = d_.incidents.CreateService(tx, s, actor);
    if (!created.ok()) return created.status();
    return ServiceJson(tx, *created);
  });
}

void Api::GetService(Call& c) {
  std::string id = c.req.params["id"];
  ReadJson(c, [this, id](store::Tx& tx) -> Result<json> {
    auto s = d_.incidents.FindService(tx, id);
    if (!s.ok()) return s.status();
    return ServiceJson(tx, *s);
  });
}

void Api::ListIncidents(Call& c) {
  incidents::ListQuery q;
  auto limit = LimitParam(c.req.query);
  if (!limit.ok()) return Fail(c, limit.status());
  q.limit = *limit;
  q.status = QueryValue(c.req.query, "status");
  q.severity = QueryValue(c.req.query, "severity");
  q.service = QueryValue(c.req.query, "service");
  q.text = QueryValue(c.req.query, "q");
  if (auto cur = QueryValue(c.req.query, "cursor")) {
    q.before_id = DecodeCursor(*cur);
    if (!q.before_id)
      return Fail(c, Status(Code::kBadRequest, "invalid cursor",
                            {{"cursor", "not a cursor from next_cursor"}}));
  }
  ReadJson(c, [this, q](store::Tx& tx) -> Result<json> {
    auto page = d_.incidents.List(tx, q);
    if (!page.ok()) return page.status();
    json items = json::array();
    for (const auto& i : page->items) items.push_back(i.ToJson());
    return json{
        {"items", items},
        {"next_cursor", page->next_before_id ? json(EncodeCursor(*page->next_before_id)) : json()}};
  });
}

void Api::DeclareIncident(Call& c) {
  auto body = Body(c);
  if (!body) return;
  incidents::DeclareRequest r;
  r.title = (*body)["title"];
  r.severity = body->value("severity", "");
  if (body->contains("service") && !(*body)["service"].is_null()) {
    const json& svc = (*body)["service"];
    if (svc.is_string())
      r.service = svc.get<std::string>();
    else if (svc.is_number_integer())
      r.service = std::to_string(svc.get<int64_t>());
    else
      return Fail(c, InvalidField("/service", "must be a service id (integer) or name (string)"));
  }
  r.description = body->value("description", "");
  r.impact = body->value("impact", "");
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, r, actor](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.Declare(tx, r, actor);
    if (!inc.ok()) return inc.status();
    return inc->ToJson();
  });
}

void Api::GetIncident(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  ReadJson(c, [this, id = *id](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.Get(tx, id);
    if (!inc.ok()) return inc.status();
    auto events = d_.log.List(tx, 0, id, 100000);
    if (!events.ok()) return events.status();
    json out = inc->ToJson();
    json timeline = json::array();
    for (const auto& e : *events) timeline.push_back(e.ToJson());
    out["timeline"] = std::move(timeline);
    KLAXON_ASSIGN_OR_RETURN(out["playbook"], d_.response.IncidentJson(tx, *inc));
    return out;
  });
}

void Api::AcknowledgeIncident(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, actor](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.Acknowledge(tx, id, actor);
    if (!inc.ok()) return inc.status();
    return inc->ToJson();
  });
}

void Api::ChangeStatus(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  auto to = *incidents::ParseStatus((*body)["status"].get<std::string>());
  std::string message = body->value("message", "");
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, to, message, actor](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.ChangeStatus(tx, id, to, message, actor);
    if (!inc.ok()) return inc.status();
    return inc->ToJson();
  });
}

void Api::ChangeSeverity(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string severity = (*body)["severity"];
  std::string reason = body->value("reason", "");
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, severity, reason, actor](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.ChangeSeverity(tx, id, severity, reason, actor);
    if (!inc.ok()) return inc.status();
    return inc->ToJson();
  });
}

void Api::AddNote(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string text = (*body)["text"];
  std::string type = body->value("type", "note");
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, id = *id, text, type, actor](store::Tx& tx) -> Result<json> {
    auto e = d_.incidents.AddNote(tx, id, text, actor, type);
    if (!e.ok()) return e.status();
    return e->ToJson();
  });
}

void Api::MarkMoment(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string moment = (*body)["moment"];
  std::string note = body->value("note", "");
  std::optional<TimeMs> at;
  if (body->contains("at")) {
    at = ParseTime((*body)["at"].get<std::string>());
    if (!at) return Fail(c, InvalidField("/at", "must be an RFC 3339 time"));
  }
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, moment, at, note, actor](store::Tx& tx) {
    return d_.response.Mark(tx, id, moment, at, note, actor);
  });
}

void Api::SetWarRoom(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::optional<std::string> name, link;
  if (body->contains("name")) name = (*body)["name"].get<std::string>();
  if (body->contains("link")) link = (*body)["link"].get<std::string>();
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, name, link, actor](store::Tx& tx) {
    return d_.response.SetWarRoom(tx, id, name, link, actor);
  });
}

void Api::CheckRunbookStep(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  auto step = ParseInt64(c.req.params["step"], 1);
  if (!step || *step > 1000) return Fail(c, Status(Code::kNotFound, "no such step"));
  bool done = (*body)["done"].get<bool>();
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, step = static_cast<int>(*step), done, actor](store::Tx& tx) {
    return d_.response.CheckStep(tx, id, step, done, actor);
  });
}

void Api::RunAction(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  if (!(*body)["confirm"].get<bool>())
    return Fail(c,
                InvalidField("/confirm", "must be true: running an action needs a confirmation"));
  std::string name = c.req.params["action"];
  std::optional<response::Response::ActionRun> run;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    auto r = d_.response.PrepareAction(tx, *id, name);
    if (!r.ok()) return r.status();
    run = std::move(r).value();
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  auto actor = c.principal.actor();
  // The call may take up to its timeout: off the HTTP workers, outside any transaction.
  bool queued = actions_.Post([this, c, id = *id, name, run = std::move(*run), actor]() mutable {
    remediation::RunResult result =
        remediation::Run(run.action, run.facts, remediation::ProcessEnv());
    WriteJson(c, 200, [this, id, name, result = result.ToJson(), actor](store::Tx& tx) {
      return d_.response.RecordActionRun(tx, id, name, result, actor);
    });
  });
  if (!queued) Fail(c, Unavailable("too many actions running; try again"));
}

void Api::PostUpdate(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string text = (*body)["text"];
  std::string subject = body->value("subject", "");
  std::vector<std::string> audiences;
  for (const auto& a : body->value("audiences", json::array())) audiences.push_back(a);
  auto actor = c.principal.actor();
  WriteJson(
      c, 201, [this, id = *id, text, subject, audiences, actor](store::Tx& tx) -> Result<json> {
        KLAXON_ASSIGN_OR_RETURN(json out,
                                d_.response.PostUpdate(tx, id, text, subject, audiences, actor));
        bool pub = false;
        for (const auto& a : out["audiences"])
          pub = pub || a == "status_page" || a == "customer_email";
        if (!pub) return out;
        // The public status page (its subscribers are the customers): an update on the public
        // incident published from this one, or a new public incident.
        KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, d_.incidents.Get(tx, id));
        auto row = tx.QueryOne(
            "SELECT public_id FROM status_incidents WHERE incident_id = ? AND kind = 'incident' "
            "ORDER BY id DESC LIMIT 1",
            {id});
        if (!row.ok()) return row.status();
        json update = {{"body", text}};
        if (inc.status == incidents::IncidentStatus::kResolved) update["status"] = "resolved";
        Result<status::Incident> published = Status(Code::kInternal, "unreachable");
        if (*row) {
          published = d_.status_page.AddUpdate(tx, (*row)->Str(0), update, actor);
        } else {
          // A drill's public incident gets its [DRILL] mark from CreateIncident.
          update["name"] = subject.empty() ? inc.title : subject;
          update["incident"] = id;
          published = d_.status_page.CreateIncident(tx, update, actor);
        }
        if (!published.ok()) return published.status();
        out["status_page"] = {{"id", published->public_id}, {"status", published->status}};
        return out;
      });
}

void Api::ComposeUpdate(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string kind = body->value("kind", "");
  std::string audience = (*body)["audience"];
  std::string name = body->value("template", "");
  ReadJson(c, [this, id = *id, kind, audience, name](store::Tx& tx) {
    return d_.response.Compose(tx, id, kind, audience, name);
  });
}

void Api::ResolveIncident(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string summary = body->value("summary", "");
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, summary, actor](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.Resolve(tx, id, summary, actor);
    if (!inc.ok()) return inc.status();
    return inc->ToJson();
  });
}

void Api::ReopenIncident(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string reason = body->value("reason", "");
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, reason, actor](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.Reopen(tx, id, reason, actor);
    if (!inc.ok()) return inc.status();
    return inc->ToJson();
  });
}

void Api::ListEvents(Call& c) {
  auto limit = LimitParam(c.req.query);
  if (!limit.ok()) return Fail(c, limit.status());
  int64_t after = 0;
  std::optional<int64_t> incident;
  for (const char* key : {"after", "cursor"}) {
    auto v = QueryValue(c.req.query, key);
    if (!v) continue;
    auto n = ParseInt64(*v, 0);
    if (!n)
      return Fail(c, Status(Code::kBadRequest, std::string(key) + " must be an event seq",
                            {{key, "must be a non-negative integer"}}));
    after = *n;
  }
  if (auto i = QueryValue(c.req.query, "incident")) {
    incident = incidents::ParseIncidentId(*i);
    if (!incident)
      return Fail(
          c, Status(Code::kBadRequest, "bad incident id", {{"incident", "must be 42 or INC-42"}}));
  }
  int64_t lim = *limit;
  ReadJson(c, [this, after, incident, lim](store::Tx& tx) -> Result<json> {
    auto events = d_.log.List(tx, after, incident, lim);
    if (!events.ok()) return events.status();
    json items = json::array();
    for (const auto& e : *events) items.push_back(e.ToJson());
    json next = static_cast<int64_t>(events->size()) == lim
                    ? json(std::to_string(events->back().seq))
                    : json();
    return json{{"items", items}, {"next_cursor", next}};
  });
}

}  // namespace klaxon::api
