// The PagerDuty Events API v2 endpoint: `POST /v2/enqueue` (the integration key as the
// body's routing_key) and `POST /intake/pagerduty/{key}/v2/enqueue`. Answers in
// PagerDuty's own shapes and codes, since senders (Alertmanager, Grafana, PD client
// libraries) read them: 202 success with the dedup_key, 400 "invalid event" with a list
// of errors (also for an unknown or revoked key, as PagerDuty answers "Invalid routing
// key"; 400 is not retried), 5xx when the store fails (retried).
#include "api/api.h"
#include "core/random.h"
#include "intake/pagerduty.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

http::Response PagerDutyError(int code, std::string status, std::string message,
                              json errors = json::array()) {
  return http::Response::Json(
      code, {{"status", std::move(status)}, {"message", std::move(message)}, {"errors", errors}});
}

http::Response InvalidEvent(json errors) {
  return PagerDutyError(400, "invalid event", "Event object is invalid", std::move(errors));
}

json ErrorList(const Status& s) {
  json errors = json::array();
  for (const auto& f : s.fields()) errors.push_back(f.field + ": " + f.message);
  if (errors.empty()) errors.push_back(s.message());
  return errors;
}

}  // namespace

void Api::IntakePagerDuty(http::Request& req, http::Reply reply, std::string url_key) {
  if (req.method != "POST") {
    http::Response r = PagerDutyError(405, "invalid request", "Only POST is accepted",
                                      json::array({"method " + req.method + " is not allowed"}));
    r.Header("Allow", "POST");
    return reply(std::move(r));
  }
  std::string_view ct = req.Header("content-type");
  if (!ct.empty() && !ct.starts_with("application/json"))
    return reply(InvalidEvent(json::array({"Content-Type must be application/json"})));

  TimeMs now = d_.clock.Now();
  // PagerDuty generates 32 hex digits; only used by a trigger without a dedup_key.
  std::string generated = HashToken(RandomToken(16)).substr(0, 32);
  auto ev = intake::ParsePagerDutyEvent(req.body, now, generated, !url_key.empty());
  std::string key = url_key;
  if (key.empty() && ev.ok()) key = ev->routing_key;
  if (key.empty() && !ev.ok()) {
    // Attribute an invalid event to its integration when its routing_key is readable.
    json j = json::parse(req.body, nullptr, false);
    if (j.is_object() && j.contains("routing_key") && j["routing_key"].is_string())
      key = j["routing_key"].get<std::string>();
  }

  std::optional<alerts::Integration> integration = d_.alerts.CachedByKey(key);
  Status s = integration ? Status::Ok() : d_.store.Read([&](store::Tx& tx) -> Status {
    auto in = d_.alerts.FindByKey(tx, key);
    if (!in.ok()) return in.status();
    integration = *in;
    return Status::Ok();
  });
  if (s.ok() && integration->kind == "pagerduty")
    reply = Recording(req, integration->id, std::move(reply));
  if (!ev.ok()) return reply(InvalidEvent(ErrorList(ev.status())));
  if (s.code() == Code::kUnauthenticated || (s.ok() && integration->kind != "pagerduty"))
    return reply(InvalidEvent(json::array({"Invalid routing key"})));
  if (!s.ok())
    return reply(PagerDutyError(HttpStatus(s.code()), "error", s.message(), ErrorList(s)));

  std::string dedup_key = ev->dedup_key;
  intake::PrepareForStore(ev->alert);
  d_.store.Submit(
      [this, in = *integration, ev = std::move(ev).value()](store::Tx& tx) -> Status {
        alerts::IngestResult result;
        switch (ev.action) {
          case intake::PagerDutyAction::kTrigger: {
            auto r = d_.alerts.Ingest(tx, in, {ev.alert});
            return r.ok() ? Status::Ok() : r.status();
          }
          case intake::PagerDutyAction::kAcknowledge: {
            auto r = d_.alerts.AcknowledgeAlert(tx, in, ev.alert.fingerprint);
            return r.ok() ? Status::Ok() : r.status();
          }
          case intake::PagerDutyAction::kResolve: {
            auto r = d_.alerts.ResolveKnownAlert(tx, in, ev.alert, result);
            return r.ok() ? Status::Ok() : r.status();
          }
        }
        return Internal("unknown PagerDuty action");
      },
      [reply, dedup_key](const Status& st) {
        if (!st.ok()) {
          int code = HttpStatus(st.code());
          return reply(PagerDutyError(code < 500 ? 500 : code, "error", st.message()));
        }
        reply(http::Response::Json(
            202,
            {{"status", "success"}, {"message", "Event processed"}, {"dedup_key", dedup_key}}));
      });
}

}  // namespace klaxon::api
