// Handlers for intake integrations, the alerts of an incident, and the intake endpoints
// themselves (Alertmanager webhook, Alertmanager API v2 as Prometheus sends it, Grafana
// webhook; PagerDuty Events API v2 is in intake_pagerduty.cc).
#include <sodium.h>

#include "api/api.h"
#include "core/log.h"
#include "core/numbers.h"
#include "core/time_format.h"
#include "intake/generic.h"
#include "intake/grafana.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

// The key from "Authorization: Bearer KEY" or the password of "Basic base64(user:KEY)".
std::string KeyFromAuthorization(std::string_view authz) {
  if (authz.starts_with("Bearer ") || authz.starts_with("bearer "))
    return std::string(authz.substr(7));
  if (authz.starts_with("Basic ") || authz.starts_with("basic ")) {
    std::string_view b64 = authz.substr(6);
    std::string raw(b64.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), b64.data(),
                          b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
      return {};
    raw.resize(len);
    size_t colon = raw.find(':');
    return colon == std::string::npos ? std::string() : raw.substr(colon + 1);
  }
  return {};
}

}  // namespace

void Api::ListIntegrations(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    auto list = d_.alerts.ListIntegrations(tx);
    if (!list.ok()) return list.status();
    json items = json::array();
    for (const auto& in : *list) {
      json j = in.ToJson(d_.public_url);
      j["activity"] = d_.intake_log.Stats(in.id);
      items.push_back(std::move(j));
    }
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

http::Reply Api::Recording(const http::Request& req, int64_t integration_id, http::Reply reply) {
  auto r = std::make_shared<intake::IntakeRequest>();
  r->at = d_.clock.Now();
  r->method = req.method;
  r->route = req.route;
  r->content_type = std::string(req.Header("content-type"));
  r->remote = req.remote;
  r->request_id = req.request_id;
  r->body_bytes = req.body.size();
  r->body = req.body.substr(0, d_.intake_log.max_body() + 4);
  int64_t start = MonotonicMicros();
  return [this, r, integration_id, start, reply = std::move(reply)](http::Response resp) {
    r->status = resp.status;
    r->response = resp.body.substr(0, 4096);
    r->duration_ms = static_cast<double>(MonotonicMicros() - start) / 1000.0;
    d_.intake_log.Record(integration_id, std::move(*r));
    reply(std::move(resp));
  };
}

void Api::IntegrationRequests(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no integration '" + c.req.params["id"] + "'"));
  ReadJson(c, [this, id = *id](store::Tx& tx) -> Result<json> {
    auto in = d_.alerts.GetIntegration(tx, id);
    if (!in.ok()) return in.status();
    json out = d_.intake_log.Recent(id);
    out["integration"] = {{"id", in->id}, {"name", in->name}, {"kind", in->kind}};
    return out;
  });
}

void Api::UpdateIntegration(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no integration '" + c.req.params["id"] + "'"));
  auto body = Body(c);
  if (!body) return;
  alerts::IntegrationPatch patch;
  if (body->contains("name")) patch.name = (*body)["name"].get<std::string>();
  if (body->contains("group_by"))
    patch.group_by = (*body)["group_by"].get<std::vector<std::string>>();
  if (body->contains("auto_resolve")) patch.auto_resolve = (*body)["auto_resolve"].get<bool>();
  if (body->contains("flap_window_seconds"))
    patch.flap_window_s = (*body)["flap_window_seconds"].get<int64_t>();
  for (const char* k : {"heartbeat_interval_seconds", "heartbeat_grace_seconds", "mapping"})
    if (body->contains(k)) patch.settings[k] = (*body)[k];
  std::optional<std::optional<std::string>> service;
  // Body() drops nulls ("not given"); here an explicit null (or "") detaches the service.
  json raw = json::parse(c.req.body, nullptr, false);
  bool detach = raw.is_object() && raw.contains("service") &&
                (raw["service"].is_null() || raw["service"] == "");
  if (detach) {
    service.emplace();
  } else if (body->contains("service")) {
    const json& s = (*body)["service"];
    if (s.is_string())
      service = s.get<std::string>();
    else if (s.is_number_integer())
      service = std::to_string(s.get<int64_t>());
    else
      return Fail(c, InvalidField("/service", "must be a service id, name or null"));
  }
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, patch, service, actor](store::Tx& tx) mutable -> Result<json> {
    if (service) {
      patch.service_id.emplace();
      if (*service) {
        auto s = d_.incidents.FindService(tx, **service);
        if (!s.ok())
          return s.status().code() == Code::kNotFound
                     ? InvalidField("/service", "unknown service '" + **service + "'")
                     : s.status();
        patch.service_id = s->id;
      }
    }
    KLAXON_ASSIGN_OR_RETURN(auto in, d_.alerts.UpdateIntegration(tx, id, patch, actor));
    json j = in.ToJson(d_.public_url);
    j["activity"] = d_.intake_log.Stats(in.id);
    return j;
  });
}

void Api::RotateIntegrationKey(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no integration '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto in, d_.alerts.RotateIntegrationKey(tx, id, actor));
    json j = in.ToJson(d_.public_url);
    j["activity"] = d_.intake_log.Stats(in.id);
    return j;
  });
}

void Api::CreateIntegration(Call& c) {
  auto body = Body(c);
  if (!body) return;
  alerts::Integration spec;
  spec.name = (*body)["name"];
  spec.kind = (*body)["kind"];
  if (body->contains("group_by"))
    spec.group_by = (*body)["group_by"].get<std::vector<std::string>>();
  else
    spec.group_by = alerts::DefaultGroupBy(spec.kind);
  spec.auto_resolve = body->value("auto_resolve", true);
  spec.flap_window_s = body->value("flap_window_seconds", int64_t{300});
  for (const char* k : {"heartbeat_interval_seconds", "heartbeat_grace_seconds", "mapping"})
    if (body->contains(k)) spec.settings[k] = (*body)[k];
  std::optional<std::string> service;
  if (body->contains("service")) {
    const json& s = (*body)["service"];
    if (s.is_string())
      service = s.get<std::string>();
    else if (s.is_number_integer())
      service = std::to_string(s.get<int64_t>());
    else
      return Fail(c, InvalidField("/service", "must be a service id (integer) or name (string)"));
  }
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, spec, service, actor](store::Tx& tx) mutable -> Result<json> {
    if (service) {
      auto s = d_.incidents.FindService(tx, *service);
      if (!s.ok())
        return s.status().code() == Code::kNotFound
                   ? InvalidField("/service", "unknown service '" + *service + "'")
                   : s.status();
      spec.service_id = s->id;
    }
    auto in = d_.alerts.CreateIntegration(tx, spec, actor);
    if (!in.ok()) return in.status();
    return in->ToJson(d_.public_url);
  });
}

void Api::GetIntegration(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no integration '" + c.req.params["id"] + "'"));
  ReadJson(c, [this, id = *id](store::Tx& tx) -> Result<json> {
    auto in = d_.alerts.GetIntegration(tx, id);
    if (!in.ok()) return in.status();
    json j = in->ToJson(d_.public_url);
    j["activity"] = d_.intake_log.Stats(id);
    return j;
  });
}

void Api::RevokeIntegration(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no integration '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, id = *id, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.alerts.RevokeIntegration(tx, id, actor));
    // Its key answers 401 from now on; its debug log of requests goes with it.
    tx.OnCommit([this, id] { d_.intake_log.Forget(id); });
    return json();
  });
}

void Api::ListIncidentAlerts(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  ReadJson(c, [this, id = *id](store::Tx& tx) -> Result<json> {
    auto inc = d_.incidents.Get(tx, id);
    if (!inc.ok()) return inc.status();
    auto items = d_.alerts.AlertsOfIncident(tx, id);
    if (!items.ok()) return items.status();
    return json{{"items", *items}, {"next_cursor", nullptr}};
  });
}

bool Api::IsIntakePath(const std::string& path) const {
  return path.starts_with("/intake/") || path == "/api/v2/alerts" || path == "/v2/enqueue";
}

void Api::Intake(http::Request& req, http::Reply reply) {
  // Routes: /intake/alertmanager/{key}, /intake/prometheus/{key}/api/v2/alerts,
  // /api/v2/alerts with the key as bearer token or basic-auth password,
  // /intake/grafana/{key} or /intake/grafana with the key as for /api/v2/alerts;
  // PagerDuty's /v2/enqueue and /intake/pagerduty/{key}/v2/enqueue.
  auto segs = http::SplitPath(req.path);
  std::string kind, key;
  if (req.path == "/v2/enqueue") {
    req.route = "/v2/enqueue";
    return IntakePagerDuty(req, std::move(reply), "");
  }
  if (segs.size() == 5 && segs[0] == "intake" && segs[1] == "pagerduty" && segs[3] == "v2" &&
      segs[4] == "enqueue") {
    req.route = "/intake/pagerduty/{key}/v2/enqueue";
    return IntakePagerDuty(req, std::move(reply), std::string(segs[2]));
  }
  if (segs.size() == 3 && segs[0] == "intake" && segs[1] == "heartbeat") {
    req.route = "/intake/heartbeat/{key}";
    return Heartbeat(req, std::move(reply), std::string(segs[2]));
  }
  if (segs.size() == 3 && segs[0] == "intake" && segs[1] == "grafana") {
    kind = "grafana";
    key = std::string(segs[2]);
    req.route = "/intake/grafana/{key}";
  } else if (segs.size() == 2 && segs[0] == "intake" && segs[1] == "grafana") {
    kind = "grafana";
    key = KeyFromAuthorization(req.Header("authorization"));
    req.route = "/intake/grafana";
  } else if (segs.size() == 3 && segs[0] == "intake" && segs[1] == "webhook") {
    kind = "webhook";
    key = std::string(segs[2]);
    req.route = "/intake/webhook/{key}";
  } else if (segs.size() == 3 && segs[0] == "intake" && segs[1] == "alertmanager") {
    kind = "alertmanager";
    key = std::string(segs[2]);
    req.route = "/intake/alertmanager/{key}";
  } else if (segs.size() == 6 && segs[0] == "intake" && segs[1] == "prometheus" &&
             segs[3] == "api" && segs[4] == "v2" && segs[5] == "alerts") {
    kind = "prometheus";
    key = std::string(segs[2]);
    req.route = "/intake/prometheus/{key}/api/v2/alerts";
  } else if (req.path == "/api/v2/alerts") {
    kind = "prometheus";
    key = KeyFromAuthorization(req.Header("authorization"));
    req.route = "/api/v2/alerts";
  } else {
    req.route = "unmatched";
    return reply(http::Response::Problem(NotFound("no intake route " + req.path), req.request_id));
  }
  // Prometheus reads only the status code; Alertmanager retries 5xx and drops 4xx; Grafana
  // counts any non-2xx as failed. Klaxon's own problem+json is the body for all three.
  auto fail = [&](const Status& s) {
    http::Response r = http::Response::Problem(s, req.request_id);
    if (s.code() == Code::kUnauthenticated)
      r.Header("WWW-Authenticate", "Bearer realm=\"klaxon-intake\"");
    reply(std::move(r));
  };
  bool put_ok = kind == "grafana";  // Grafana's httpMethod may be PUT
  if (req.method != "POST" && !(put_ok && req.method == "PUT")) {
    http::Response r = http::Response::Problem(
        Status(Code::kMethodNotAllowed, "intake accepts POST only"), req.request_id);
    r.Header("Allow", put_ok ? "POST, PUT" : "POST");
    return reply(std::move(r));
  }
  std::optional<alerts::Integration> integration = d_.alerts.CachedByKey(key);
  Status s = integration ? Status::Ok() : d_.store.Read([&](store::Tx& tx) -> Status {
    auto in = d_.alerts.FindByKey(tx, key);
    if (!in.ok()) return in.status();
    integration = *in;
    return Status::Ok();
  });
  if (!s.ok()) return fail(s);
  // From here on the integration is known: its recent requests show what went wrong.
  reply = Recording(req, integration->id, std::move(reply));
  if (integration->kind != kind)
    return fail(Status(Code::kNotFound,
                       "this key belongs to a " + integration->kind + " integration; use its URL"));
  std::string_view ct = req.Header("content-type");
  if (!ct.empty() && !ct.starts_with("application/json"))
    return fail(Status(Code::kUnsupportedMedia, "intake bodies must be application/json",
                       {{"content-type", "must be application/json"}}));

  TimeMs now = d_.clock.Now();
  Result<std::vector<intake::NormalizedAlert>> batch = std::vector<intake::NormalizedAlert>{};
  if (kind == "webhook") {
    auto mapping = intake::GenericMapping::FromJson(
        integration->settings.value("mapping", nlohmann::json::object()));
    if (!mapping.ok()) return fail(mapping.status());
    batch = intake::ParseGenericWebhook(req.body, *mapping, now);
  } else {
    batch = kind == "alertmanager" ? intake::ParseAlertmanagerWebhook(req.body, now)
            : kind == "grafana"    ? intake::ParseGrafanaWebhook(req.body, now)
                                   : intake::ParsePostableAlerts(req.body, now);
  }
  if (!batch.ok()) return fail(batch.status());

  // The store has one writer: what this thread can do for it, it does here (the stored
  // JSON of labels and annotations). Both closures hold the batch; the answer's goes
  // last, so with durable commits the syncer thread frees it, not the writer.
  auto alerts = std::make_shared<std::vector<intake::NormalizedAlert>>(std::move(batch).value());
  intake::PrepareForStore(*alerts);
  auto result = std::make_shared<alerts::IngestResult>();
  std::string rid = req.request_id;
  // Rerunnable: Ingest reads the batch, not moves from it, and what it changes outside the
  // Tx is harmless to repeat: the fingerprint index (a hint, checked against the rows),
  // the incident drill cache (overwritten), the silence cache (dropped on rollback),
  // prepared pages (dropped with their hooks).
  d_.store.SubmitRerunnable(
      [this, in = *integration, alerts, result](store::Tx& tx) -> Status {
        auto r = d_.alerts.Ingest(tx, in, *alerts);
        if (!r.ok()) return r.status();
        *result = *r;
        return Status::Ok();
      },
      [reply, result, rid, kind, alerts](const Status& st) {
        if (!st.ok()) return reply(http::Response::Problem(st, rid));
        if (kind == "prometheus")
          return reply(http::Response{200, {}, {}, {}, {}});  // as Alertmanager: empty 200
        reply(http::Response::Json(200, {{"status", "ok"},
                                         {"received", result->received},
                                         {"new", result->new_alerts},
                                         {"refreshed", result->refreshed},
                                         {"resolved", result->resolved},
                                         {"silenced", result->silenced},
                                         {"incidents_opened", result->incidents_opened}}));
      });
}

void Api::Heartbeat(http::Request& req, http::Reply reply, std::string key) {
  // A cron job's `curl -fsS URL` (GET) or a POST with any body: the ping is the request.
  if (req.method != "POST" && req.method != "GET" && req.method != "HEAD") {
    http::Response r = http::Response::Problem(
        Status(Code::kMethodNotAllowed, "ping with GET or POST"), req.request_id);
    r.Header("Allow", "GET, POST");
    return reply(std::move(r));
  }
  std::string rid = req.request_id;
  auto next = std::make_shared<TimeMs>(0);
  // The integration is known inside the transaction; the ping is recorded once it is.
  auto integration_id = std::make_shared<int64_t>(0);
  auto request = std::make_shared<http::Request>(req);
  request->body.resize(std::min(request->body.size(), d_.intake_log.max_body() + 4));
  request->headers.clear();
  request->headers.emplace_back("content-type", std::string(req.Header("content-type")));
  reply = [this, integration_id, request, reply = std::move(reply)](http::Response r) {
    if (*integration_id == 0) return reply(std::move(r));
    Recording(*request, *integration_id, reply)(std::move(r));
  };
  d_.store.Submit(
      [this, key, next, integration_id](store::Tx& tx) -> Status {
        KLAXON_ASSIGN_OR_RETURN(alerts::Integration in, d_.alerts.FindByKey(tx, key));
        if (in.kind == "heartbeat") *integration_id = in.id;
        if (in.kind != "heartbeat")
          return Status(Code::kNotFound,
                        "this key belongs to a " + in.kind + " integration; use its URL");
        KLAXON_ASSIGN_OR_RETURN(*next, d_.deadlines.Ping(tx, in));
        return Status::Ok();
      },
      [reply, rid, next](const Status& st) {
        if (!st.ok()) return reply(http::Response::Problem(st, rid));
        reply(http::Response::Json(200, {{"status", "ok"}, {"next_due", FormatTime(*next)}}));
      });
}

}  // namespace klaxon::api
